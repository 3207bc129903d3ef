//! `uploadUrl` and `downloadUrl`: membership first, then a presigned request for a key the
//! server made (upload) or a key of a conversation the caller is in (download).

use parley_core::rules;
use parley_core::store::Reservation;
use parley_core::Error;
use parley_protocol::ConversationId;
use parley_protocol::{Attachment, ServerFrame};
use std::time::SystemTime;

use crate::handler::Services;
use crate::keys::{new_key, parse_key};
use crate::presign::EXPIRES_IN;
use parley_protocol::client::{DownloadUrl, Target, UploadUrl};

pub async fn upload_url(
    services: &Services,
    user: &str,
    upload: UploadUrl,
) -> Result<ServerFrame, Error> {
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

pub async fn download_url(
    services: &Services,
    user: &str,
    download: DownloadUrl,
) -> Result<ServerFrame, Error> {
    let (conversation, file_name) = parse_key(&download.key)?;
    rules::member(services.store.members(&conversation).await?, user)?;
    let presigned = services
        .presigner
        .download(&download.key, file_name, SystemTime::now())
        .await?;
    Ok(ServerFrame::DownloadUrl {
        id: download.id,
        url: presigned.url,
        expires_in: EXPIRES_IN.as_secs(),
    })
}
