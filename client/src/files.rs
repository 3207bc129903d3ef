//! Files: an upload is a presigned PUT of the file's bytes streamed from disk (with exactly
//! the headers `uploadUrl` returned: they sign its size and type); a download streams the
//! presigned GET to disk. Neither holds the whole file in memory. `progress` is called
//! with (bytes so far, total) as the bytes go.

use futures_util::StreamExt;
use parley_protocol::Attachment;
use std::path::Path;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use crate::client::{Client, ClientError, To};

impl Client {
    /// Uploads a file into a conversation; answers the attachment to send with
    /// [`Client::send_attachment`].
    pub async fn upload(
        &self,
        path: &Path,
        to: To,
        content_type: &str,
        mut progress: impl FnMut(u64, u64) + Send + 'static,
    ) -> Result<Attachment, ClientError> {
        let file = tokio::fs::File::open(path).await?;
        let size = file.metadata().await?.len();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let (key, url, headers) = self
            .upload_url(to, name.clone(), content_type.to_owned(), size)
            .await?;
        let mut sent = 0u64;
        let body = ReaderStream::new(file).map(move |chunk| {
            if let Ok(bytes) = &chunk {
                sent += bytes.len() as u64;
                progress(sent, size);
            }
            chunk
        });
        let mut request = self.http.put(&url).body(reqwest::Body::wrap_stream(body));
        for (header, value) in &headers {
            request = request.header(header, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ClientError::Http(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(ClientError::Http(format!(
                "the upload was refused with HTTP {}",
                response.status()
            )));
        }
        Ok(Attachment {
            key,
            name,
            content_type: content_type.to_owned(),
            size,
        })
    }

    /// Downloads an attachment to `path` (written beside it, then renamed into place, so a
    /// failed download leaves no partial file); answers its size.
    pub async fn download(
        &self,
        key: &str,
        path: &Path,
        mut progress: impl FnMut(u64, Option<u64>) + Send,
    ) -> Result<u64, ClientError> {
        let url = self.download_url(key.to_owned()).await?;
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| ClientError::Http(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(ClientError::Http(format!(
                "the download was refused with HTTP {}",
                response.status()
            )));
        }
        let total = response.content_length();
        let partial = path.with_extension("part");
        let mut file = tokio::fs::File::create(&partial).await?;
        let mut stream = response.bytes_stream();
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ClientError::Http(e.without_url().to_string()))?;
            file.write_all(&chunk).await?;
            written += chunk.len() as u64;
            progress(written, total);
        }
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&partial, path).await?;
        Ok(written)
    }
}
