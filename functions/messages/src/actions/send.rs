//! `send`: store the message once, then post it to every other device of every member.
//! `sent` goes back only after the store holds it; a failed post loses nothing (sync). The
//! copy of a member who had no live device is marked for the push function.
//! An attachment must be a key the sender reserved with `uploadUrl` for this conversation,
//! as that reservation describes it.

use std::collections::BTreeSet;
use tokio::sync::oneshot;

use parley_core::connections::Connection;
use parley_core::cursor::Cursor;
use parley_core::message::Message;
use parley_core::rate_limit::SEND;
use parley_core::store::{now_ms, Appended, Draft};
use parley_core::Error;
use parley_protocol::{Attachment, ServerFrame};
use parley_protocol::{ConversationId, Kind};

use super::{Caller, Services};
use parley_protocol::client::{Send, Target};

pub async fn run(services: &Services, caller: &Caller, send: Send) -> Result<ServerFrame, Error> {
    let conversation = match send.target() {
        Some(Target::User(user)) => ConversationId::direct(&caller.user_id, user),
        Some(Target::Conversation(conversation)) => conversation.clone(),
        None => return Err(Error::bad_request("give toUser or conversation")),
    };
    if let Some(attachment) = &send.attachment {
        check_attachment(services, caller, &conversation, attachment).await?;
    }
    let draft = Draft {
        sender: caller.user_id.clone(),
        client_id: send.id.clone(),
        conversation: conversation.clone(),
        body: send.body,
        attachment: send.attachment,
        system: None,
        change: None,
        // The token is taken inside the store's write: no request of its own.
        limit: Some(&SEND),
    };

    // A direct chat's members are known before the write: their devices are looked up while
    // the store reads, and a member with none gets a copy marked for push.
    let now_secs = now_ms() / 1000;
    let (appended, early_devices) = match conversation.kind() {
        Kind::Direct => {
            let members = conversation.direct_members();
            let (found, devices) = oneshot::channel();
            let lookup = async {
                let devices = services.delivery.devices_of(&members, now_secs).await;
                let reachable = reachable_users(&devices);
                let _ = found.send(devices);
                reachable
            };
            let appended = services.store.append(&draft, lookup).await?;
            (appended, devices.await.ok())
        }
        // A group's members are known only once the store has read them: every copy is
        // marked offline, and the push function checks who is online for itself.
        Kind::Group => (
            services
                .store
                .append(&draft, std::future::ready(BTreeSet::new()))
                .await?,
            None,
        ),
    };

    let record = appended
        .record()
        .ok_or_else(|| Error::internal("a send stored no record"))?;
    if let Appended::New { message, members } = &appended {
        deliver(services, caller, message, members, early_devices).await;
    }
    Ok(ServerFrame::Sent {
        id: send.id,
        conversation: ConversationId::parse(&record.conversation).map_err(Error::internal)?,
        seq: record.seq,
        message_id: record.message_id,
        ts: record.ts,
    })
}

/// Posts a newly stored message to every device of `members` but the sender's own (which has
/// its reply). `devices` are the members' devices when already looked up.
pub(super) async fn deliver(
    services: &Services,
    caller: &Caller,
    message: &Message,
    members: &[String],
    devices: Option<Result<Vec<Connection>, Error>>,
) {
    // Devices looked up before the write marked the copies of members without one; without
    // that lookup (groups), every copy was marked offline already.
    let looked_up_before = devices.is_some();
    let devices = match devices {
        Some(devices) => devices,
        None => services.delivery.devices_of(members, now_ms() / 1000).await,
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
        members = members.len(),
        delivered = report.delivered,
        gone = report.gone,
        failed = report.failed,
        "stored and posted"
    );
    // Members whose every device was gone were offline after all: wake them by push. The
    // sender's own copy never pushes.
    let offline: Vec<String> = report
        .all_gone
        .into_iter()
        .filter(|user| *user != caller.user_id)
        .collect();
    if looked_up_before && !offline.is_empty() {
        if let Err(error) = services.store.mark_offline(message, &offline).await {
            tracing::warn!(%error, "could not mark copies for push; those members will sync");
        }
    }
}

/// The users with at least one live device (none when the lookup failed: then every copy is
/// marked offline and the push function decides for itself).
fn reachable_users(devices: &Result<Vec<Connection>, Error>) -> BTreeSet<String> {
    match devices {
        Ok(devices) => devices.iter().map(|d| d.user_id.clone()).collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// An attachment is accepted only as its sender reserved it, for this conversation.
async fn check_attachment(
    services: &Services,
    caller: &Caller,
    conversation: &ConversationId,
    attachment: &Attachment,
) -> Result<(), Error> {
    let reservation = services
        .store
        .reservation(&caller.user_id, &attachment.key)
        .await?
        .ok_or_else(|| Error::forbidden("attachment key is not one you reserved with uploadUrl"))?;
    if reservation.conversation != conversation.as_str() {
        return Err(Error::forbidden(
            "attachment key was reserved for another conversation",
        ));
    }
    if &reservation.file != attachment {
        return Err(Error::bad_request(
            "attachment must be {key, name, contentType, size} as uploadUrl reserved it",
        ));
    }
    Ok(())
}
