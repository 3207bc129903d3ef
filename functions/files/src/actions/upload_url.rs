//! `uploadUrl {id, conversation | toUser, name, contentType, size}` → `uploadUrl`: membership
//! first, then a key the server makes, reserved for the caller in that conversation before
//! the presigned PUT exists (`send` accepts an attachment only with this reservation). In a
//! conversation under a disappearing-messages timer the PUT signs an expiry tag, so the
//! bucket's lifecycle removes the object with the messages (a day late at most: S3 runs
//! lifecycle once a day).

use parley_core::rules;
use parley_core::store::Reservation;
use parley_core::Error;
use parley_protocol::client::{Target, UploadUrl};
use parley_protocol::{Attachment, ConversationId, Kind, ServerFrame};
use std::time::SystemTime;

use crate::keys::new_key;
use crate::presign::{expire_days, EXPIRES_IN};
use crate::services::Services;

pub async fn run(services: &Services, user: &str, upload: UploadUrl) -> Result<ServerFrame, Error> {
    let conversation = match upload.target() {
        Some(Target::Conversation(conversation)) => conversation.clone(),
        Some(Target::User(other)) => ConversationId::direct(user, other),
        None => return Err(Error::bad_request("give conversation or toUser")),
    };
    // One read of the record: a group's members, and the timer an attachment expires by.
    let record = services.store.conversation(&conversation).await?;
    let members = match conversation.kind() {
        Kind::Direct => conversation.direct_members(),
        Kind::Group => record
            .as_ref()
            .map(|r| r.members.clone())
            .unwrap_or_default(),
    };
    rules::member(members, user)?;
    let expire_days = record.and_then(|r| r.timer).and_then(expire_days);
    let key = new_key(&conversation, &upload.name);
    // Reserved before the URL exists: `send` accepts the key only with this record.
    services
        .store
        .reserve(
            user,
            &Reservation {
                conversation: conversation.to_string(),
                file: Attachment {
                    key: key.clone(),
                    name: upload.name,
                    content_type: upload.content_type.clone(),
                    size: upload.size,
                },
            },
        )
        .await?;
    let presigned = services
        .presigner
        .upload(
            &key,
            &upload.content_type,
            upload.size,
            expire_days,
            SystemTime::now(),
        )
        .await?;
    Ok(ServerFrame::UploadUrl {
        id: upload.id,
        key,
        url: presigned.url,
        method: presigned.method,
        headers: presigned.headers,
        expires_in: EXPIRES_IN.as_secs(),
    })
}
