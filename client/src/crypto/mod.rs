//! End-to-end encryption (issue 15; docs/proposals/e2e-encryption.md §6.2): [`Crypto`] owns
//! this device's OlmMachine (Matrix's Olm/Megolm engine, the one the web client runs as wasm)
//! with its SQLite store in the client's data folder. It turns what the machine needs from
//! the server into plain data ([`Outgoing`]) and takes the server's answers back
//! ([`Answer`]); a [`KeyTransport`] carries them. It encrypts and decrypts one conversation's
//! messages. The client's connection drives it (crate::e2e).

mod devices;
mod error;
mod files;
pub mod ids;
mod messages;
mod requests;
#[cfg(test)]
mod tests;
mod verification;

use std::path::Path;

use matrix_sdk_crypto::OlmMachine;
use matrix_sdk_sqlite::SqliteCryptoStore;
use tokio::sync::Mutex;

pub use devices::{DeviceInfo, NewDevice};
pub use error::CryptoError;
pub use files::{decrypt_file, encrypt_file};
pub use messages::{
    Decrypted, Received, RoomKey, SyncChanges, ToDeviceMessage, MESSAGE_EVENT_TYPE,
};
pub use requests::{Answer, Outgoing};
pub use verification::{
    is_verification_event, Emoji, Verification, VerificationState, VERIFICATION_EVENT_PREFIX,
};

/// The folder of the crypto store, inside the client's data folder.
pub const CRYPTO_DIR: &str = "crypto";

/// Carries [`Outgoing`] requests to the server and brings back its [`Answer`]s.
#[allow(async_fn_in_trait)]
pub trait KeyTransport {
    async fn send(&mut self, request: &Outgoing) -> Result<Answer, CryptoError>;
}

/// This device's keys and sessions.
pub struct Crypto {
    machine: OlmMachine,
    /// One exchange with the server at a time: the machine hands out each request until it
    /// is answered, and claiming keys twice at once would waste one-time keys.
    exchange: Mutex<()>,
    /// Device verifications under way (see [`Verification`]).
    flows: verification::Flows,
}

/// This device's public identity keys (base64), for a "safety number".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityKeys {
    pub ed25519: String,
    pub curve25519: String,
}

impl Crypto {
    /// Opens (or creates) the store under `data_dir/crypto` (owner-only, like the local
    /// database) for `user`'s device `device`. A store made for another user or device is
    /// refused.
    pub async fn open(data_dir: &Path, user: &str, device: &str) -> Result<Crypto, CryptoError> {
        Crypto::open_in(&data_dir.join(CRYPTO_DIR), user, device).await
    }

    /// Opens (or creates) the store in the folder `dir` itself (owner-only).
    pub async fn open_in(dir: &Path, user: &str, device: &str) -> Result<Crypto, CryptoError> {
        create_private_dir(dir)?;
        let store = SqliteCryptoStore::open(dir, None)
            .await
            .map_err(|e| CryptoError::Store(e.to_string()))?;
        let machine =
            OlmMachine::with_store(&ids::matrix_user(user)?, device.into(), store, None).await?;
        Ok(Crypto::from_machine(machine))
    }

    /// A machine whose keys live in memory only (tests, throwaway devices).
    pub async fn in_memory(user: &str, device: &str) -> Result<Crypto, CryptoError> {
        let machine = OlmMachine::new(&ids::matrix_user(user)?, device.into()).await;
        Ok(Crypto::from_machine(machine))
    }

    fn from_machine(machine: OlmMachine) -> Crypto {
        Crypto {
            machine,
            exchange: Mutex::new(()),
            flows: Default::default(),
        }
    }

    pub fn device_id(&self) -> &str {
        self.machine.device_id().as_str()
    }

    pub fn identity_keys(&self) -> IdentityKeys {
        let keys = self.machine.identity_keys();
        IdentityKeys {
            ed25519: keys.ed25519.to_base64(),
            curve25519: keys.curve25519.to_base64(),
        }
    }

    /// Every user whose devices this device follows is asked for again at the next exchange
    /// (after a reconnect: the server announces no device changes yet).
    pub async fn mark_all_devices_stale(&self) -> Result<(), CryptoError> {
        Ok(self.machine.mark_all_tracked_users_as_dirty().await?)
    }

    /// Forgets the conversation's outbound room key: the next message starts a new one,
    /// shared only with the members then (after a member left or was removed; the engine
    /// would rotate anyway once they are missing from the members it is given).
    pub async fn discard_room_key(
        &self,
        conversation: &parley_protocol::ConversationId,
    ) -> Result<bool, CryptoError> {
        Ok(self
            .machine
            .discard_room_key(&ids::room_id(conversation)?)
            .await?)
    }

    /// What the machine wants sent now (key uploads, key queries, queued to-device messages).
    pub async fn outgoing_requests(&self) -> Result<Vec<Outgoing>, CryptoError> {
        let mut out = Vec::new();
        for request in self.machine.outgoing_requests().await? {
            match requests::outgoing(request.request_id().as_str(), request.request())? {
                Some(r) => out.push(r),
                None => {
                    tracing::warn!(kind = ?request.request(), "an encryption request Parley does not serve")
                }
            }
        }
        Ok(out)
    }

    /// Hands the server's answer to request `request_id` to the machine.
    pub async fn mark_sent(&self, request_id: &str, answer: &Answer) -> Result<(), CryptoError> {
        requests::mark_sent(&self.machine, request_id, answer).await
    }

    /// Sends everything the machine wants sent, until it wants nothing more (after connecting,
    /// after each sync). One at a time.
    pub async fn process_outgoing(
        &self,
        transport: &mut impl KeyTransport,
    ) -> Result<(), CryptoError> {
        let _exchange = self.exchange.lock().await;
        self.process_outgoing_locked(transport).await
    }

    async fn process_outgoing_locked(
        &self,
        transport: &mut impl KeyTransport,
    ) -> Result<(), CryptoError> {
        // A key upload is followed by at most a query; more rounds mean a loop.
        for _ in 0..8 {
            let requests = self.outgoing_requests().await?;
            if requests.is_empty() {
                return Ok(());
            }
            for request in requests {
                let answer = transport.send(&request).await?;
                self.mark_sent(request.request_id(), &answer).await?;
            }
        }
        Err(CryptoError::Olm(
            "the engine keeps asking for requests".to_owned(),
        ))
    }
}

/// Creates the folder accessible to its owner only, and narrows an existing one.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}
