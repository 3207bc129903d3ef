//! `sync`: one page of the caller's mailbox, posted to this device in order, then `synced`.

use parley_core::clock::now_ms;
use parley_core::cursor::Cursor;
use parley_core::delivery::Posted;
use parley_core::Error;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};
use parley_protocol::client::Sync;

pub async fn run(services: &Services, caller: &Caller, sync: Sync) -> Result<ServerFrame, Error> {
    let cursor = match &sync.cursor {
        Some(text) => Cursor::decode(text)?,
        None => Cursor::start(),
    };
    let page = services
        .store
        .mailbox_page(&caller.user_id, &cursor, sync.page_size())
        .await?;
    let device = caller.device();
    let now = now_ms();
    // One after another: the client sees them in position order, then `synced` last.
    for message in &page.messages {
        let cursor = Cursor::settled(&message.position(), now);
        if services
            .delivery
            .post(&device, &message.frame(&cursor))
            .await
            != Posted::Delivered
        {
            return Err(Error::internal(
                "a sync post to the requesting device failed",
            ));
        }
    }
    Ok(ServerFrame::Synced {
        cursor: page.cursor.encode(),
        more: page.more,
    })
}
