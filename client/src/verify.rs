//! Verifying a device by short code, as the application calls it (docs/client-library.md,
//! "Verifying devices"): [`Client::verify`] asks a device, [`crate::Event::Verification`] reports
//! each step (an incoming request, the code, the end), and the person's answers go back
//! with [`Client::accept_verification`], [`Client::confirm_verification`] and
//! [`Client::cancel_verification`]. A flow is named by the other user and its flow id.

use crate::client::{Client, ClientError};
use crate::crypto::Verification;
use crate::e2e::verification::Action;

impl Client {
    /// Asks `user`'s device `device` to verify with this one (a contact's, or another of
    /// this user's devices: see [`Client::devices`]). The flow goes on in
    /// [`crate::Event::Verification`]s: accepted (the code is then computed), the code to compare,
    /// then done or cancelled.
    pub async fn verify(&self, user: &str, device: &str) -> Result<Verification, ClientError> {
        let e2e = self.encryption().await?;
        // The device must be known: ask for the user's devices now.
        self.devices(user).await?;
        Ok(e2e.verifier.request(user, device).await?)
    }

    /// Accepts another device's request (an [`crate::Event::Verification`] in state `Incoming`).
    pub async fn accept_verification(&self, user: &str, flow_id: &str) -> Result<(), ClientError> {
        self.act(user, flow_id, Action::Accept).await
    }

    /// The code on both screens is the same: confirm. Once the other side confirmed too,
    /// the flow is done and the other device is verified on this one.
    pub async fn confirm_verification(&self, user: &str, flow_id: &str) -> Result<(), ClientError> {
        self.act(user, flow_id, Action::Confirm).await
    }

    /// Declines a request, gives up, or (`mismatch`) says the codes differ. Neither device
    /// is verified; both sides get the cancellation.
    pub async fn cancel_verification(
        &self,
        user: &str,
        flow_id: &str,
        mismatch: bool,
    ) -> Result<(), ClientError> {
        self.act(user, flow_id, Action::Cancel { mismatch }).await
    }

    /// A flow as it stands now (None once it finished and was reported).
    pub async fn verification(
        &self,
        user: &str,
        flow_id: &str,
    ) -> Result<Option<Verification>, ClientError> {
        Ok(self.encryption().await?.crypto.verification(user, flow_id))
    }

    async fn act(&self, user: &str, flow_id: &str, action: Action) -> Result<(), ClientError> {
        let e2e = self.encryption().await?;
        Ok(e2e.verifier.act(user, flow_id, action).await?)
    }

    async fn encryption(&self) -> Result<std::sync::Arc<crate::e2e::E2e>, ClientError> {
        let handle = self
            .e2e
            .as_ref()
            .ok_or_else(|| ClientError::Crypto("encryption is off on this client".into()))?;
        handle.get().await.map_err(ClientError::Crypto)
    }
}
