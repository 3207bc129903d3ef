//! Device verification on the client's connection (crate::crypto's verification, wired):
//! the key task hands the engine the `m.key.verification.*` messages that came (after asking
//! for their senders' devices), each action of the application goes to the engine, and after
//! either, what the flows need sent goes out and the application hears of every flow whose
//! state changed ([`Event::Verification`]): an incoming request, the code to compare, done,
//! cancelled.

use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex};

use super::transport::SocketTransport;
use crate::crypto::{
    Answer, Crypto, CryptoError, KeyTransport, Outgoing, ToDeviceMessage, Verification,
    VerificationState,
};
use crate::events::Event;

pub(crate) struct Verifier {
    crypto: Arc<Crypto>,
    transport: SocketTransport,
    events: mpsc::UnboundedSender<Event>,
    /// The state last told to the application, by (user, flow id); one at a time.
    told: Mutex<HashMap<(String, String), VerificationState>>,
}

impl Verifier {
    pub fn new(
        crypto: Arc<Crypto>,
        transport: SocketTransport,
        events: mpsc::UnboundedSender<Event>,
    ) -> Self {
        Self {
            crypto,
            transport,
            events,
            told: Mutex::new(HashMap::new()),
        }
    }

    /// Verification messages from the server: their senders' devices are asked for first.
    pub async fn receive(&self, messages: Vec<ToDeviceMessage>) -> Result<(), CryptoError> {
        let mut senders: Vec<String> = messages.iter().map(|m| m.from.clone()).collect();
        senders.sort();
        senders.dedup();
        let mut told = self.told.lock().await;
        let mut transport = self.transport.clone();
        self.crypto
            .refresh_devices(&mut transport, &senders)
            .await?;
        let new = self.crypto.receive_verification(&messages).await?;
        for verification in new {
            self.tell(&mut told, verification);
        }
        self.advance(&mut told).await
    }

    /// Asks `user`'s device `device` to verify.
    pub async fn request(&self, user: &str, device: &str) -> Result<Verification, CryptoError> {
        let mut told = self.told.lock().await;
        let (verification, out) = self.crypto.request_verification(user, device).await?;
        self.send(out).await?;
        told.insert(
            (user.to_owned(), verification.flow_id.clone()),
            verification.state.clone(),
        );
        self.advance(&mut told).await?;
        Ok(verification)
    }

    /// Accepts, confirms or cancels (`mismatch`: the codes differ) a flow.
    pub async fn act(&self, user: &str, flow_id: &str, action: Action) -> Result<(), CryptoError> {
        let mut told = self.told.lock().await;
        let out = match action {
            Action::Accept => self.crypto.accept_verification(user, flow_id).await?,
            Action::Confirm => self.crypto.confirm_verification(user, flow_id).await?,
            Action::Cancel { mismatch } => {
                self.crypto
                    .cancel_verification(user, flow_id, mismatch)
                    .await?
            }
        };
        self.send(out).await?;
        self.advance(&mut told).await
    }

    /// The automatic steps, what the engine queued, and the news.
    async fn advance(
        &self,
        told: &mut HashMap<(String, String), VerificationState>,
    ) -> Result<(), CryptoError> {
        let out = self.crypto.advance_verifications().await?;
        self.send(out).await?;
        let mut transport = self.transport.clone();
        self.crypto.process_outgoing(&mut transport).await?;
        for verification in self.crypto.verifications() {
            self.tell(told, verification);
        }
        Ok(())
    }

    fn tell(
        &self,
        told: &mut HashMap<(String, String), VerificationState>,
        verification: Verification,
    ) {
        let key = (verification.user.clone(), verification.flow_id.clone());
        if verification.state.is_final() {
            if told.remove(&key).as_ref() == Some(&verification.state) {
                return;
            }
        } else if told.insert(key, verification.state.clone()).as_ref() == Some(&verification.state)
        {
            return;
        }
        let _ = self.events.send(Event::Verification(verification));
    }

    async fn send(&self, requests: Vec<Outgoing>) -> Result<(), CryptoError> {
        let mut transport = self.transport.clone();
        for request in requests {
            let answer = transport.send(&request).await?;
            if answer != Answer::ToDeviceSent {
                return Err(CryptoError::Answer(format!("{answer:?} to a verification")));
            }
            self.crypto.mark_sent(request.request_id(), &answer).await?;
        }
        Ok(())
    }
}

/// What the person decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Accept,
    Confirm,
    Cancel { mismatch: bool },
}
