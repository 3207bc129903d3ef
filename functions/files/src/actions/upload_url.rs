//! `uploadUrl {id, conversation | toUser, name, contentType, size}` → `uploadUrl`: membership
//! first, then a key the server makes, reserved for the caller in that conversation before
//! the presigned PUT exists (`send` accepts an attachment only with this reservation).

use parley_core::rules;
use parley_core::store::Reservation;
use parley_core::Error;
use parley_protocol::client::{Target, UploadUrl};
use parley_protocol::{Attachment, ConversationId, ServerFrame};
use std::time::SystemTime;

use crate::keys::new_key;
use crate::presign::EXPIRES_IN;
use crate::services::Services;

pub async fn run(services: &Services, user: &str, upload: UploadUrl) -> Result<ServerFrame, Error> {
    let conversation = match upload.target() {
        Some(Target::Conversation(conversation)) => conversation.clone(),
        Some(Target::User(other)) => ConversationId::direct(user, other),
        None => return Err(Error::bad_request("give conversation or toUser")),
    };
    rules::member(services.store.members(&conversation).await?, user)?;
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
        .upload(&key, &upload.content_type, upload.size, SystemTime::now())
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
