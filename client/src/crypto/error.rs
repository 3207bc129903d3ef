//! What can go wrong with end-to-end encryption, in words a caller can act on: above all,
//! a message whose key has not arrived yet (wait for it) apart from one that will never
//! decrypt, and a message passed off as someone else's.

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the crypto store: {0}")]
    Store(String),
    #[error("the crypto folder: {0}")]
    Io(#[from] std::io::Error),
    /// The engine refused (an Olm or Megolm failure while sending or receiving keys).
    #[error("encryption: {0}")]
    Olm(String),
    #[error("not an id Parley can map: {0}")]
    Id(String),
    /// The server's answer is not what the request called for.
    #[error("unusable answer from the server: {0}")]
    Answer(String),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the key transport: {0}")]
    Transport(String),
    /// A group whose members this device does not know (it never saw the group).
    #[error("this device does not know the group's members")]
    UnknownMembers,
    /// No such verification, or not at a step where this can be done.
    #[error("verification: {0}")]
    NoVerification(String),
    #[error("not supported by Parley: {0}")]
    Unsupported(&'static str),
    /// The message's room key has not arrived (yet): keep the message and retry when a room
    /// key for `session_id` comes in.
    #[error("no key yet for this message (session {session_id:?})")]
    MissingKey { session_id: Option<String> },
    /// The message will not decrypt with any key this device can get.
    #[error("cannot decrypt this message: {0}")]
    Undecryptable(String),
    /// The message decrypted, but its key belongs to another user than its claimed sender.
    #[error("this message claims to be from {claimed}, who does not own its key")]
    MismatchedSender { claimed: String },
}

impl From<matrix_sdk_crypto::CryptoStoreError> for CryptoError {
    fn from(e: matrix_sdk_crypto::CryptoStoreError) -> Self {
        CryptoError::Store(e.to_string())
    }
}
