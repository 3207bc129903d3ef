//! `parley upload`: sends a file into a conversation: streamed up with a progress bar, then
//! the attachment message, waited for until `sent` like `parley send`.

use std::path::Path;

use super::send::{print_sent, until_sent};
use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::progress;
use crate::target;

pub async fn run(
    cli: &Cli,
    out: Out,
    to: &str,
    file: &Path,
    content_type: Option<&str>,
) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let to = target::resolve(&mut online, to).await?;
    let content_type = content_type.unwrap_or_else(|| guess_type(file)).to_owned();
    let bar = progress::bar("upload", None);
    let shown = bar.clone();
    let path = file.to_owned();
    let upload_to = to.clone();
    let attachment = online
        .call(|client| async move {
            client
                .upload(&path, upload_to, &content_type, move |done, total| {
                    shown.set_length(total);
                    shown.set_position(done);
                })
                .await
        })
        .await;
    bar.finish_and_clear();
    let attachment = attachment?;
    let id = online
        .call(|client| async move { client.send_attachment(to, attachment, None).await })
        .await?;
    let (conversation, seq) = until_sent(&mut online, &id).await?;
    print_sent(out, &conversation, seq, &id);
    Ok(())
}

/// The content type by the file's extension, for the few common kinds; else the generic
/// `application/octet-stream` (give `--content-type` for others).
fn guess_type(file: &Path) -> &'static str {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "txt" | "md" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}
