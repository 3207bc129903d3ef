//! Why a command failed, and the exit code that says so (documented in `parley --help`).

use parley_client::account::{AccountError, ErrorKind};
use parley_client::chat::RequestError;
use parley_client::ClientError;

pub const EXIT_OTHER: u8 = 1;
pub const EXIT_REFUSED: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;

#[derive(Debug, Clone)]
pub struct Failure {
    pub exit_code: u8,
    pub message: String,
}

impl Failure {
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            exit_code: EXIT_OTHER,
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            exit_code: EXIT_REFUSED,
            message: message.into(),
        }
    }

    pub fn unreachable(message: impl Into<String>) -> Self {
        Self {
            exit_code: EXIT_UNREACHABLE,
            message: message.into(),
        }
    }

    pub fn not_logged_in() -> Self {
        Self::other("not logged in: parley login <email or phone>")
    }

    /// For `--json`: what failed, in words and as a kind a script can test.
    pub fn kind(&self) -> &'static str {
        match self.exit_code {
            EXIT_REFUSED => "refused",
            EXIT_UNREACHABLE => "unreachable",
            _ => "error",
        }
    }
}

impl From<AccountError> for Failure {
    fn from(error: AccountError) -> Self {
        let exit_code = match error.kind() {
            ErrorKind::Refused => EXIT_REFUSED,
            ErrorKind::Unreachable => EXIT_UNREACHABLE,
            ErrorKind::Other => EXIT_OTHER,
        };
        Self {
            exit_code,
            message: error.to_string(),
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::SignedOut => Self::not_logged_in(),
            ClientError::Request(RequestError::Refused { code, message }) => {
                Self::refused(format!("refused ({code}): {message}"))
            }
            other => Self::other(other.to_string()),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::other(message)
    }
}
