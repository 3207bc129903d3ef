//! `sync`: one page of the caller's mailbox, posted to this device in order, then `synced`.
//! A message that was changed (edited, reacted to, deleted) comes with its current `state`,
//! so a device that syncs after the changes need not replay them.

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
    // Each changed message with its state after every change so far.
    let mut states = services.store.states(&page.messages).await?;
    let device = caller.device();
    let now = now_ms();
    // One after another: the client sees them in position order, then `synced` last.
    for message in &page.messages {
        let cursor = Cursor::settled(&message.position(), now);
        let state = states.remove(&(message.conversation.clone(), message.seq));
        if services
            .delivery
            .post(&device, &message.frame_with_state(&cursor, state))
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
