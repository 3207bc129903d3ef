//! `send`: store the message once, then post it to every other device of every member.
//! `sent` goes back only after the store holds it; a failed post loses nothing (sync).

use parley_core::conversation::{ConversationId, Kind};
use parley_core::cursor::Cursor;
use parley_core::protocol::ServerFrame;
use parley_core::store::{now_ms, Appended, Draft};
use parley_core::Error;

use super::{Caller, Services};
use crate::command::{Send, Target};

pub async fn run(services: &Services, caller: &Caller, send: Send) -> Result<ServerFrame, Error> {
    let conversation = match &send.target {
        Target::User(user) => ConversationId::direct(&caller.user_id, user),
        Target::Conversation(conversation) => conversation.clone(),
    };
    if send.attachment.is_some() {
        return Err(Error::bad_request("attachments are not supported yet"));
    }
    let draft = Draft {
        sender: caller.user_id.clone(),
        client_id: send.id.clone(),
        conversation: conversation.clone(),
        body: send.body,
        attachment: send.attachment,
        system: None,
    };

    // A direct chat's members are known before the write: look up their devices meanwhile.
    let now_secs = now_ms() / 1000;
    let (appended, early_devices) = match conversation.kind() {
        Kind::Direct => {
            let members = conversation.direct_members();
            let (appended, devices) = tokio::join!(
                services.store.append(&draft),
                services.delivery.devices_of(&members, now_secs)
            );
            (appended?, Some(devices))
        }
        Kind::Group => (services.store.append(&draft).await?, None),
    };

    let record = appended.record();
    if let Appended::New { message, members } = &appended {
        let devices = match early_devices {
            Some(devices) => devices,
            None => services.delivery.devices_of(members, now_secs).await,
        };
        let devices = devices.unwrap_or_else(|error| {
            tracing::warn!(%error, "could not list devices; members will sync");
            Vec::new()
        });
        let others: Vec<_> = devices
            .into_iter()
            .filter(|d| d.connection_id != caller.connection_id)
            .collect();
        let cursor = Cursor::settled(&message.position(), now_ms());
        let report = services
            .delivery
            .post_all(&others, &message.frame(&cursor))
            .await;
        tracing::info!(
            conversation = %message.conversation,
            seq = message.seq,
            delivered = report.delivered,
            gone = report.gone,
            failed = report.failed,
            "sent"
        );
    }
    Ok(ServerFrame::Sent {
        id: send.id,
        conversation: record.conversation,
        seq: record.seq,
        message_id: record.message_id,
        ts: record.ts,
    })
}
