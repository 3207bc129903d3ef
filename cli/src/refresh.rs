//! Fresh tokens for the connection worker: a refresh through the stack's user pool. The
//! worker saves what this answers in the store itself (before it connects with it), so the
//! next command starts from the refreshed tokens too.

use parley_client::account::Account;
use parley_client::{TokenError, TokenSource, Tokens};
use std::sync::{Arc, Mutex};

use crate::failure::Failure;

pub struct Refresh {
    account: Account,
    /// Why the last refresh failed: when the stack then stays out of reach, the command
    /// says this (a revoked session is "refused", not "unreachable").
    last_failure: Arc<Mutex<Option<Failure>>>,
}

impl Refresh {
    pub fn new(account: Account) -> (Self, Arc<Mutex<Option<Failure>>>) {
        let last_failure = Arc::new(Mutex::new(None));
        let source = Self {
            account,
            last_failure: last_failure.clone(),
        };
        (source, last_failure)
    }
}

impl TokenSource for Refresh {
    async fn refresh(&self, current: &Tokens) -> Result<Tokens, TokenError> {
        match self.account.refresh(current).await {
            Ok(tokens) => {
                *self.last_failure.lock().expect("not poisoned") = None;
                Ok(tokens)
            }
            Err(error) => {
                let failure = Failure::from(error);
                let message = failure.message.clone();
                *self.last_failure.lock().expect("not poisoned") = Some(failure);
                Err(message.into())
            }
        }
    }
}
