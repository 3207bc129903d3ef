//! What can go wrong with an account call, in words a user can act on: Cognito's exceptions
//! by name, the stack being out of reach, and answers this client cannot use.

use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this username already exists")]
    UsernameExists,
    #[error("wrong confirmation code (or it was replaced by a newer one)")]
    CodeMismatch,
    #[error("the confirmation code has expired: ask for a new one")]
    ExpiredCode,
    /// Wrong username or password, a disabled user, a revoked refresh token, …: Cognito's
    /// own message says which.
    #[error("not authorized: {0}")]
    NotAuthorized(String),
    #[error("the account is not confirmed yet: confirm it with the code that was sent")]
    UserNotConfirmed,
    #[error("the password does not meet the pool's policy: {0}")]
    InvalidPassword(String),
    #[error("no such user")]
    UserNotFound,
    #[error("too many requests or attempts: wait a little and try again ({0})")]
    TooManyRequests(String),
    /// E.g. USER_PASSWORD_AUTH on an app client that does not allow it.
    #[error("refused as invalid: {0}")]
    InvalidParameter(String),
    #[error("the verification code could not be delivered: {0}")]
    CodeDeliveryFailure(String),
    /// Any other exception Cognito answered with.
    #[error("Cognito refused ({code}): {message}")]
    Refused { code: String, message: String },
    #[error("{0:?} is neither an email address nor a phone number in +E.164 form (+15551234567)")]
    InvalidUsername(String),
    #[error("Cognito asked for the {0} challenge, which this client does not answer")]
    UnsupportedChallenge(String),
    #[error("cannot reach {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error("SRP: {0}")]
    Srp(String),
    #[error("unexpected answer: {0}")]
    Unexpected(String),
    #[error("the stack has no local outbox (only the local stack keeps one)")]
    NotLocal,
}

/// How a caller (the CLI's exit code) tells failures apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Cognito answered and said no.
    Refused,
    /// Cognito or the stack could not be reached.
    Unreachable,
    /// Bad input, or an answer this client cannot use.
    Other,
}

impl AccountError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::UsernameExists
            | Self::CodeMismatch
            | Self::ExpiredCode
            | Self::NotAuthorized(_)
            | Self::UserNotConfirmed
            | Self::InvalidPassword(_)
            | Self::UserNotFound
            | Self::TooManyRequests(_)
            | Self::InvalidParameter(_)
            | Self::CodeDeliveryFailure(_)
            | Self::Refused { .. }
            | Self::UnsupportedChallenge(_) => ErrorKind::Refused,
            Self::Unreachable { .. } => ErrorKind::Unreachable,
            Self::InvalidUsername(_) | Self::Srp(_) | Self::Unexpected(_) | Self::NotLocal => {
                ErrorKind::Other
            }
        }
    }

    /// Cognito's exception by its code (the same for every operation).
    pub(crate) fn from_cognito(code: &str, message: &str) -> Self {
        let message = message.to_owned();
        match code {
            "UsernameExistsException" | "AliasExistsException" => Self::UsernameExists,
            "CodeMismatchException" => Self::CodeMismatch,
            "ExpiredCodeException" => Self::ExpiredCode,
            "NotAuthorizedException" => Self::NotAuthorized(message),
            "UserNotConfirmedException" => Self::UserNotConfirmed,
            "InvalidPasswordException" => Self::InvalidPassword(message),
            "UserNotFoundException" => Self::UserNotFound,
            "TooManyRequestsException"
            | "LimitExceededException"
            | "TooManyFailedAttemptsException" => Self::TooManyRequests(message),
            "InvalidParameterException" => Self::InvalidParameter(message),
            "CodeDeliveryFailureException" => Self::CodeDeliveryFailure(message),
            _ => Self::Refused {
                code: code.to_owned(),
                message,
            },
        }
    }

    /// An SDK error: Cognito's answer, or why there was none.
    pub(crate) fn from_sdk<E, R>(endpoint: &str, error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match &error {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Self::Unreachable {
                endpoint: endpoint.to_owned(),
                detail: DisplayErrorContext(&error).to_string(),
            },
            SdkError::ServiceError(service) => {
                let inner = service.err();
                match inner.code() {
                    Some(code) => Self::from_cognito(code, inner.message().unwrap_or_default()),
                    None => Self::Unexpected(DisplayErrorContext(&error).to_string()),
                }
            }
            _ => Self::Unexpected(DisplayErrorContext(&error).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_exceptions_map_by_name_and_kind() {
        let cases = [
            ("UsernameExistsException", "already"),
            ("CodeMismatchException", "wrong confirmation code"),
            ("ExpiredCodeException", "expired"),
            ("NotAuthorizedException", "Incorrect username or password."),
            ("UserNotConfirmedException", "not confirmed"),
            ("InvalidPasswordException", "Password did not conform"),
            ("TooManyRequestsException", "wait"),
            (
                "InvalidParameterException",
                "USER_PASSWORD_AUTH flow not enabled",
            ),
        ];
        for (code, shown) in cases {
            let error = AccountError::from_cognito(code, shown);
            assert_eq!(error.kind(), ErrorKind::Refused, "{code}");
            assert!(error.to_string().contains(shown), "{code}: {error}");
        }
        assert!(matches!(
            AccountError::from_cognito("CodeMismatchException", ""),
            AccountError::CodeMismatch
        ));
        let other = AccountError::from_cognito("ForbiddenException", "WAF said no");
        assert_eq!(
            other.to_string(),
            "Cognito refused (ForbiddenException): WAF said no"
        );
    }

    #[test]
    fn unreachable_and_local_errors_have_their_own_kinds() {
        let unreachable = AccountError::Unreachable {
            endpoint: "http://127.0.0.1:1".into(),
            detail: "connection refused".into(),
        };
        assert_eq!(unreachable.kind(), ErrorKind::Unreachable);
        assert_eq!(
            AccountError::InvalidUsername("bob".into()).kind(),
            ErrorKind::Other
        );
    }
}
