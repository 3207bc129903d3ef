//! `chat`: the caller changes their own settings of a conversation (mute, archive, pin,
//! unread). The reply carries the settings as they now stand, and the caller's other
//! connected devices get the same `chat` frame without an `id`.

use parley_core::clock::now_ms;
use parley_core::rules::{self, chats::muted_until};
use parley_core::store::ChatChange;
use parley_core::Error;
use parley_protocol::client::Chat;
use parley_protocol::ServerFrame;

use crate::services::{Caller, Services};

pub async fn run(services: &Services, caller: &Caller, chat: Chat) -> Result<ServerFrame, Error> {
    // A direct chat's members come from its id; a group costs one GetItem.
    rules::member(
        services.store.members(&chat.conversation).await?,
        &caller.user_id,
    )?;
    let now = now_ms();
    let change = ChatChange {
        muted_until: chat.mute.map(|mute| muted_until(mute, now)),
        archived: chat.archived,
        pinned: chat.pinned,
        unread: chat.unread,
    };
    let settings = services
        .store
        .change_chat(&caller.user_id, &chat.conversation, &change)
        .await?;
    // The change is stored: a failure to tell the other devices is theirs to catch up
    // with (`chats` after their next connect), not a reason to refuse it.
    match services
        .delivery
        .devices_of(std::slice::from_ref(&caller.user_id), now / 1000)
        .await
    {
        Ok(devices) => {
            let others: Vec<_> = devices
                .into_iter()
                .filter(|d| d.connection_id != caller.connection_id)
                .collect();
            if !others.is_empty() {
                let frame = settings.clone().into_frame(None);
                services.delivery.post_all(&others, &frame).await;
            }
        }
        Err(error) => tracing::warn!(%error, "could not tell the other devices of a chat change"),
    }
    Ok(settings.into_frame(Some(chat.id)))
}
