//! The one error type of the functions. Every error carries a protocol `code` and a public
//! message that is safe to show a client; internal detail (SDK errors, bugs) goes to the log
//! only, and the client sees `internal` with a fixed text.

use parley_protocol::{ErrorCode, ServerFrame};

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client's fault, or a refusal: the message is written for the client.
    #[error("{code}: {message}")]
    Client { code: ErrorCode, message: String },
    /// Ours: the detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(#[source] Source),
}

/// Whether a DynamoDB write was refused by its condition expression: for writes whose
/// condition only keeps them from doing harm (deleting what moved on, creating what is gone),
/// where a refusal means there was nothing to do.
pub fn condition_failed<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    error.code() == Some("ConditionalCheckFailedException")
}

/// What a client is told when the fault is ours.
pub const INTERNAL_MESSAGE: &str = "internal error, try again";

impl Error {
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Client {
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::BadRequest, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::Forbidden, message)
    }

    /// Wraps any failure of ours (an SDK call, a broken invariant).
    pub fn internal(source: impl Into<Source>) -> Self {
        Self::Internal(source.into())
    }

    /// Wraps a failed AWS SDK call, keeping the whole error chain for the log (the SDK's
    /// `Display` alone says only "service error").
    pub fn aws(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::internal(aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Client { code, .. } => *code,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The text a client may see.
    pub fn public_message(&self) -> &str {
        match self {
            Self::Client { message, .. } => message,
            Self::Internal(_) => INTERNAL_MESSAGE,
        }
    }

    /// The `error` frame for this error, logging internal detail on the way.
    pub fn to_frame(&self, id: Option<String>) -> ServerFrame {
        if let Self::Internal(source) = self {
            tracing::error!(error = %source, detail = ?source, "request failed");
        }
        ServerFrame::Error {
            id,
            code: self.code(),
            message: self.public_message().to_string(),
        }
    }
}

/// A handler that fails reports to the Runtime API with the code as the error type; the
/// detail lands in the function's log, never with the client (API Gateway answers 500).
impl From<Error> for lambda_runtime::Diagnostic {
    fn from(error: Error) -> Self {
        tracing::error!(code = %error.code(), error = %error, "invocation failed");
        Self {
            error_type: format!("parley.{}", error.code()),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_keep_their_code_and_message() {
        let err = Error::forbidden("not a member of this conversation");
        assert_eq!(err.code(), ErrorCode::Forbidden);
        assert_eq!(err.public_message(), "not a member of this conversation");
    }

    #[test]
    fn internal_detail_never_reaches_the_frame() {
        let err =
            Error::internal("ResourceNotFoundException: table parley-connections in 123456789012");
        let frame = serde_json::to_value(err.to_frame(Some("m1".into()))).unwrap();
        assert_eq!(
            frame,
            serde_json::json!({"type": "error", "id": "m1", "code": "internal", "message": INTERNAL_MESSAGE})
        );
        assert!(!frame.to_string().contains("ResourceNotFound"));
    }
}
