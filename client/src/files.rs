//! Files: an upload is a presigned PUT of the file's bytes streamed from disk (with exactly
//! the headers `uploadUrl` returned: they sign its size and type); a download streams the
//! presigned GET to disk. Neither holds the whole file in memory. `progress` is called
//! with (bytes so far, total) as the bytes go.
//!
//! With end-to-end encryption on, a file to a conversation whose every member can decrypt
//! is encrypted first (crate::crypto::encrypt_file, into a temporary file of the same
//! length) and uploaded under a neutral name and type ([`SEALED_FILE_NAME`],
//! [`SEALED_FILE_TYPE`]), as the web client does; its real name, type, size and key are kept
//! in the store by the object's key, and travel inside the encrypted message
//! ([`Client::send_attachment`]). A download of a file whose key this device holds (its own,
//! or one a decrypted message brought) is decrypted, its hash checked, before it lands at
//! the path. A file to a conversation sent in the clear (a member without keys) goes as
//! before.

use futures_util::StreamExt;
use parley_protocol::Attachment;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use crate::client::{Client, ClientError, To};
use crate::crypto::{decrypt_file, encrypt_file, CryptoError};
use crate::store::SealedFile;

/// The name and type an encrypted file is uploaded under (the web client's): the real ones
/// are inside the message.
pub const SEALED_FILE_NAME: &str = "file";
pub const SEALED_FILE_TYPE: &str = "application/octet-stream";

/// The attachment a message carries for an encrypted file: its object, neutrally named.
pub(crate) fn neutral(attachment: &Attachment) -> Attachment {
    Attachment {
        key: attachment.key.clone(),
        name: SEALED_FILE_NAME.to_owned(),
        content_type: SEALED_FILE_TYPE.to_owned(),
        size: attachment.size,
    }
}

/// Removes a temporary file when dropped (an upload's ciphertext, a download's parts).
struct Temporary(PathBuf);

impl Drop for Temporary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Client {
    /// Uploads a file into a conversation; answers the attachment to send with
    /// [`Client::send_attachment`] (its real name and type, also when the bytes went
    /// encrypted).
    pub async fn upload(
        &self,
        path: &Path,
        to: To,
        content_type: &str,
        progress: impl FnMut(u64, u64) + Send + 'static,
    ) -> Result<Attachment, ClientError> {
        let size = tokio::fs::metadata(path).await?.len();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        if !self.encrypts_files_to(&to).await? {
            let key = self
                .put_file(
                    path,
                    to,
                    name.clone(),
                    content_type.to_owned(),
                    size,
                    progress,
                )
                .await?;
            return Ok(Attachment {
                key,
                name,
                content_type: content_type.to_owned(),
                size,
            });
        }
        let sealed =
            Temporary(std::env::temp_dir().join(format!("parley-upload-{}", uuid::Uuid::new_v4())));
        let (plain, target) = (path.to_owned(), sealed.0.clone());
        let file = tokio::task::spawn_blocking(move || encrypt_file(&plain, &target))
            .await
            .map_err(|e| ClientError::Crypto(e.to_string()))??;
        let key = self
            .put_file(
                &sealed.0,
                to,
                SEALED_FILE_NAME.to_owned(),
                SEALED_FILE_TYPE.to_owned(),
                size,
                progress,
            )
            .await?;
        let attachment = Attachment {
            key,
            name,
            content_type: content_type.to_owned(),
            size,
        };
        self.store.save_sealed_file(&SealedFile {
            attachment: attachment.clone(),
            file,
        })?;
        Ok(attachment)
    }

    /// Whether a file to `to` is encrypted: encryption is on and every member of the
    /// conversation has a device with keys (the messages to it are encrypted then).
    async fn encrypts_files_to(&self, to: &To) -> Result<bool, ClientError> {
        let Some(handle) = self.e2e_handle() else {
            return Ok(false);
        };
        let e2e = handle.get().await.map_err(ClientError::Crypto)?;
        let members = match crate::e2e::members_of(&self.store, self.user_id(), to) {
            Ok((_, members)) => members,
            Err(CryptoError::UnknownMembers) => return Ok(false),
            Err(error) => return Err(error.into()),
        };
        Ok(e2e.encrypts(self.user_id(), &members).await?)
    }

    /// Reserves an upload and streams the file at `path` to it: its object key.
    async fn put_file(
        &self,
        path: &Path,
        to: To,
        name: String,
        content_type: String,
        size: u64,
        mut progress: impl FnMut(u64, u64) + Send + 'static,
    ) -> Result<String, ClientError> {
        let file = tokio::fs::File::open(path).await?;
        let (key, url, headers) = self.upload_url(to, name, content_type, size).await?;
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
        Ok(key)
    }

    /// Downloads an attachment to `path` (written beside it, then renamed into place, so a
    /// failed download leaves no partial file); answers its size. An encrypted file whose
    /// key this device holds is decrypted (refused if its bytes are not the ones its key's
    /// hash names).
    pub async fn download(
        &self,
        key: &str,
        path: &Path,
        progress: impl FnMut(u64, Option<u64>) + Send,
    ) -> Result<u64, ClientError> {
        let sealed = self.store.sealed_file(key)?;
        let partial = Temporary(path.with_extension("part"));
        let written = self.get_file(key, &partial.0, progress).await?;
        let Some(sealed) = sealed else {
            tokio::fs::rename(&partial.0, path).await?;
            return Ok(written);
        };
        let plain = Temporary(path.with_extension("plain.part"));
        let (from, to) = (partial.0.clone(), plain.0.clone());
        let size = tokio::task::spawn_blocking(move || decrypt_file(&from, &to, &sealed.file))
            .await
            .map_err(|e| ClientError::Crypto(e.to_string()))??;
        tokio::fs::rename(&plain.0, path).await?;
        Ok(size)
    }

    /// Streams the object at `key` to `path`: its size.
    async fn get_file(
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
        let mut file = tokio::fs::File::create(path).await?;
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
        Ok(written)
    }
}
