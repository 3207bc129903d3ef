//! Files, end to end (issue 15; docs/protocol.md "End-to-end encryption"): a file's bytes
//! are encrypted before upload with the library's attachment encryption (AES-256-CTR with a
//! fresh key and iv, and a SHA-256 of the ciphertext: matrix-sdk-crypto's
//! [`AttachmentEncryptor`], the same code the web client runs as wasm), and decrypted after
//! download, the hash checked ([`AttachmentDecryptor`]). The key travels inside the
//! encrypted message as the library's `MediaEncryptionInfo` JSON (`v`, `key` (a JWK), `iv`,
//! `hashes`): the web client's `attachment.file`.
//!
//! Both work from file to file, a block at a time, so a 100 MiB file is never held whole
//! in memory; they block, so callers run them on a blocking thread.

use matrix_sdk_crypto::{AttachmentDecryptor, AttachmentEncryptor, MediaEncryptionInfo};
use serde_json::Value;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use super::CryptoError;

/// Encrypts the file at `plain` into `encrypted` (the same length): the key to it.
pub fn encrypt_file(plain: &Path, encrypted: &Path) -> Result<Value, CryptoError> {
    let mut input = BufReader::new(std::fs::File::open(plain)?);
    let mut output = BufWriter::new(std::fs::File::create(encrypted)?);
    let mut encryptor = AttachmentEncryptor::new(&mut input);
    std::io::copy(&mut encryptor, &mut output)?;
    let info = encryptor.finish();
    output.flush()?;
    output.get_ref().sync_all()?;
    Ok(serde_json::to_value(info)?)
}

/// Decrypts the file at `encrypted` into `plain` with its key `file`; refused (and `plain`
/// removed) when the bytes are not the ones the key's hash names, or the key is malformed.
pub fn decrypt_file(encrypted: &Path, plain: &Path, file: &Value) -> Result<u64, CryptoError> {
    let info: MediaEncryptionInfo = serde_json::from_value(file.clone())?;
    let mut input = BufReader::new(std::fs::File::open(encrypted)?);
    let mut decryptor = AttachmentDecryptor::new(&mut input, info)
        .map_err(|e| CryptoError::Undecryptable(format!("the file's key: {e}")))?;
    let written = (|| {
        let mut output = BufWriter::new(std::fs::File::create(plain)?);
        let written = std::io::copy(&mut decryptor, &mut output)?;
        output.flush()?;
        output.get_ref().sync_all()?;
        Ok::<u64, std::io::Error>(written)
    })();
    match written {
        Ok(written) => Ok(written),
        Err(error) => {
            let _ = std::fs::remove_file(plain);
            Err(CryptoError::Undecryptable(format!("the file: {error}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> Vec<u8> {
        (0..200_000u32).map(|n| (n % 253) as u8).collect()
    }

    #[test]
    fn a_file_comes_back_as_it_was_and_its_ciphertext_differs() {
        let dir = tempfile::tempdir().unwrap();
        let (plain, sealed, back) = (
            dir.path().join("a"),
            dir.path().join("a.enc"),
            dir.path().join("a.out"),
        );
        std::fs::write(&plain, content()).unwrap();
        let key = encrypt_file(&plain, &sealed).unwrap();
        let ciphertext = std::fs::read(&sealed).unwrap();
        assert_eq!(ciphertext.len(), content().len());
        assert_ne!(ciphertext, content());
        // The web client's format (the wasm's mediaEncryptionInfo): v2, a JWK, iv, sha256.
        assert_eq!(key["v"], "v2", "{key}");
        assert_eq!(key["key"]["alg"], "A256CTR", "{key}");
        assert!(
            key["key"]["k"].is_string() && key["iv"].is_string(),
            "{key}"
        );
        assert!(key["hashes"]["sha256"].is_string(), "{key}");
        assert_eq!(decrypt_file(&sealed, &back, &key).unwrap(), 200_000);
        assert_eq!(std::fs::read(&back).unwrap(), content());
    }

    #[test]
    fn a_changed_byte_fails_the_hash_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let (plain, sealed, back) = (
            dir.path().join("a"),
            dir.path().join("a.enc"),
            dir.path().join("a.out"),
        );
        std::fs::write(&plain, content()).unwrap();
        let key = encrypt_file(&plain, &sealed).unwrap();
        let mut ciphertext = std::fs::read(&sealed).unwrap();
        ciphertext[1000] ^= 1;
        std::fs::write(&sealed, ciphertext).unwrap();
        let error = decrypt_file(&sealed, &back, &key).unwrap_err();
        assert!(matches!(error, CryptoError::Undecryptable(_)), "{error}");
        assert!(!back.exists());
    }

    #[test]
    fn a_file_encrypted_by_the_web_client_s_format_decrypts() {
        // matrix-sdk-crypto's own example key and ciphertext (the wasm's JSON shape).
        let key = serde_json::json!({
            "v": "v2",
            "key": {"kty": "oct", "alg": "A256CTR", "ext": true,
                    "k": "Voq2nkPme_x8no5-Tjq_laDAdxE6iDbxnlQXxwFPgE4",
                    "key_ops": ["decrypt", "encrypt"]},
            "iv": "i0DovxYdJEcAAAAAAAAAAA",
            "hashes": {"sha256": "ANdt819a8bZl4jKy3Z+jcqtiNICa2y0AW4BBJ/iQRAU"}
        });
        let ciphertext: [u8; 26] = [
            179, 154, 118, 127, 186, 127, 110, 33, 203, 33, 33, 134, 67, 100, 173, 46, 235, 27,
            215, 172, 36, 26, 75, 47, 33, 160,
        ];
        let dir = tempfile::tempdir().unwrap();
        let (sealed, back) = (dir.path().join("e"), dir.path().join("p"));
        std::fs::write(&sealed, ciphertext).unwrap();
        decrypt_file(&sealed, &back, &key).unwrap();
        assert_eq!(std::fs::read(&back).unwrap(), b"It's a secret to everybody");
    }
}
