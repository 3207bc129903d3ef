//! `downloadUrl {id, key}` → `downloadUrl`: a presigned GET for a key of a conversation the
//! caller is in.

use parley_core::rules;
use parley_core::Error;
use parley_protocol::client::DownloadUrl;
use parley_protocol::ServerFrame;
use std::time::SystemTime;

use crate::keys::parse_key;
use crate::presign::EXPIRES_IN;
use crate::services::Services;

pub async fn run(
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
