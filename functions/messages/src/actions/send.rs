//! `send`: store the message once, then post it to every other device of every member.
//! `sent` goes back only after the store holds it; a failed post loses nothing (sync). The
//! copy of a member who had no live device is marked for the push function.
//! An attachment must be a key the sender reserved with `uploadUrl` for this conversation,
//! as that reservation describes it.
//!
//! [`append`] runs the steps of every stored message ([`crate::steps`]) in order: read and
//! check, find the members' devices, commit, post, mark for push; the group actions use it
//! too.

use futures_util::future::join;

use parley_core::rate_limit;
use parley_core::store::{Appended, Draft};
use parley_core::Error;
use parley_protocol::client::{Send, Target};
use parley_protocol::{Attachment, ConversationId, Kind, ServerFrame};

use crate::services::{Caller, Services};
use crate::steps::check::{self, Checked};
use crate::steps::devices::{self, Reach};
use crate::steps::{commit, mark, post, scrub, wake};

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
        limit: rate_limit::taken_in_the_commit("send"),
        kind: send.kind,
        target: send.target,
        reply_to: send.reply_to,
        mentions: send.mentions,
        forwarded: send.forwarded,
        encrypted: send.encrypted,
        seconds: send.seconds,
        ..Draft::message(
            caller.user_id.clone(),
            send.id.clone(),
            conversation,
            send.body,
            send.attachment,
        )
    };
    let appended = append(services, caller, &draft).await?;
    let record = appended
        .record()
        .ok_or_else(|| Error::internal("a send stored no record"))?;
    Ok(ServerFrame::Sent {
        id: send.id,
        conversation: ConversationId::parse(&record.conversation).map_err(Error::internal)?,
        seq: record.seq,
        message_id: record.message_id,
        ts: record.ts,
    })
}

/// Stores `draft` once and delivers it: every step of a message, in order.
pub(super) async fn append(
    services: &Services,
    caller: &Caller,
    draft: &Draft,
) -> Result<Appended, Error> {
    let (store, delivery) = (&services.store, &services.delivery);
    // 1. Read and check. A direct chat's members are in its id: their devices (step 2) are
    // found while the store reads.
    let direct =
        (draft.conversation.kind() == Kind::Direct).then(|| draft.conversation.direct_members());
    let found_early = async {
        match &direct {
            Some(members) => Some(devices::find(delivery, members).await),
            None => None,
        }
    };
    let (checked, found_early) = join(check::read_and_check(store, draft), found_early).await;
    let (appended, reach) = match checked? {
        Checked::Fresh { seen, members } => {
            // 2. Find the members' devices.
            let reach = match found_early {
                Some(reach) => reach,
                None => devices::find(delivery, &members).await,
            };
            // 2b. Whom a reaction wakes (its author, offline and opted in).
            let woken = wake::wakes(store, draft, &seen, &reach)
                .await
                .map(|author| Draft {
                    wakes: Some(author),
                    ..draft.clone()
                });
            // 3. Commit.
            let draft = woken.as_ref().unwrap_or(draft);
            (commit::commit(store, draft, seen, &reach).await?, reach)
        }
        Checked::Stored { earlier, record } => {
            (Appended::Duplicate { earlier, record }, Reach::default())
        }
        Checked::Unchanged(record) => (Appended::Unchanged(record), Reach::default()),
    };
    match &appended {
        Appended::New {
            message,
            members,
            hidden,
            scrub,
            ..
        } => {
            // 4. Post, to the devices of the members the message was stored for (a `skip`
            // to those who block the sender).
            let reach = reach.of_members(members);
            let report = post::post(delivery, caller, message, &reach, hidden).await;
            tracing::info!(
                conversation = %message.conversation,
                seq = message.seq,
                members = members.len(),
                delivered = report.delivered,
                gone = report.gone,
                failed = report.failed,
                "stored and posted"
            );
            // 5. Mark for push what could not be delivered.
            mark::mark(store, &caller.user_id, message, &report).await;
            // 3b. A delete for everyone: what its commit did not remove. `sent` waits.
            if let Some(scrub) = scrub {
                scrub::finish(store, &services.files, scrub).await?;
            }
        }
        // A retry (or this send's own, answered late): a group's fan-out may be unfinished.
        Appended::Duplicate { earlier, record } => {
            commit::complete(
                store,
                delivery,
                &services.files,
                draft.kind,
                &draft.conversation,
                earlier,
                record.as_ref(),
            )
            .await?;
        }
        Appended::Unchanged(_) => {}
    }
    Ok(appended)
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
