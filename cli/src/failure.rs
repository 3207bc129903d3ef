//! Why a command failed, and the exit code that says so (documented in `parley --help`).

use parley_client::account::{AccountError, ErrorKind};

pub const EXIT_OTHER: u8 = 1;
pub const EXIT_REFUSED: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;

#[derive(Debug)]
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

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::other(message)
    }
}
