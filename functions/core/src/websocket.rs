//! Reading API Gateway WebSocket events and answering them: who sent a frame, on which
//! connection, and the response that a two-way route sends back to the client.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use serde_json::Value;

use crate::identity::Identity;
use crate::Error;
use parley_protocol::{ClientFrame, FrameError, ServerFrame};

/// The identity the authorizer established at `$connect`. API Gateway hands its context to
/// every event of the connection; it may pass numbers as strings, so both are read.
pub fn identity(event: &ApiGatewayWebsocketProxyRequest) -> Result<Identity, Error> {
    let fields = &event.request_context.authorizer.fields;
    let user_id = fields
        .get("userId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            Error::internal(
                "event has no authorizer userId: is the route behind the $connect authorizer?",
            )
        })?;
    let token_expires_at = fields
        .get("tokenExpiresAt")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .ok_or_else(|| Error::internal("event has no authorizer tokenExpiresAt"))?;
    let device_id = fields
        .get("deviceId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    Ok(Identity {
        user_id: user_id.to_owned(),
        token_expires_at,
        device_id,
    })
}

/// The id of the connection the event came from.
pub fn connection_id(event: &ApiGatewayWebsocketProxyRequest) -> Result<&str, Error> {
    event
        .request_context
        .connection_id
        .as_deref()
        .ok_or_else(|| Error::internal("event has no requestContext.connectionId"))
}

/// The client frame an event carries, read through the protocol's checks; a refusal becomes
/// the `error` frame that answers it (`ServerFrame::from`).
pub fn client_frame(event: &ApiGatewayWebsocketProxyRequest) -> Result<ClientFrame, FrameError> {
    match (event.is_base64_encoded, event.body.as_deref()) {
        (false, Some(text)) => ClientFrame::parse(text).inspect_err(|refused| {
            tracing::info!(code = %refused.code, "frame refused");
        }),
        _ => Err(FrameError::bad_request("frames are JSON text")),
    }
}

/// The reply to a frame an action refused: its `error` frame, echoing the frame's id, with
/// the refusal logged.
pub fn refusal(action: &str, id: Option<String>, error: &Error) -> ApiGatewayProxyResponse {
    tracing::info!(action, code = %error.code(), "refused");
    reply(&error.to_frame(id))
}

/// A 200 with no body: accepts a `$connect`, acknowledges a one-way route.
pub fn ok() -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    response
}

/// A 200 whose body a two-way route sends to the client as one frame.
pub fn reply(frame: &ServerFrame) -> ApiGatewayProxyResponse {
    let mut response = ok();
    response.body = Some(Body::Text(frame.to_json()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::ErrorCode;
    use serde_json::json;

    fn event(authorizer: Value) -> ApiGatewayWebsocketProxyRequest {
        serde_json::from_value(json!({
            "requestContext": {
                "routeKey": "$default",
                "eventType": "MESSAGE",
                "connectionId": "L0SM9cOFvHcCIhw=",
                "connectedAt": 1700000000000i64,
                "requestTimeEpoch": 1700000000100i64,
                "authorizer": authorizer
            },
            "body": "{}",
            "isBase64Encoded": false
        }))
        .unwrap()
    }

    #[test]
    fn reads_identity_with_numbers_or_strings() {
        let numeric =
            event(json!({"principalId": "u1", "userId": "u1", "tokenExpiresAt": 1700003600}));
        assert_eq!(
            identity(&numeric).unwrap(),
            Identity {
                user_id: "u1".into(),
                token_expires_at: 1700003600,
                device_id: None,
            }
        );
        let with_device = event(
            json!({"principalId": "u1", "userId": "u1", "tokenExpiresAt": 1, "deviceId": "PHONE"}),
        );
        assert_eq!(
            identity(&with_device).unwrap().device_id.as_deref(),
            Some("PHONE")
        );
        let stringly =
            event(json!({"principalId": "u1", "userId": "u1", "tokenExpiresAt": "1700003600"}));
        assert_eq!(identity(&stringly).unwrap().token_expires_at, 1700003600);
        assert_eq!(connection_id(&stringly).unwrap(), "L0SM9cOFvHcCIhw=");
    }

    #[test]
    fn a_missing_identity_is_our_fault_not_the_clients() {
        let err = identity(&event(json!({"principalId": "u1"}))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Internal);
    }

    #[test]
    fn reply_carries_the_frame_as_body() {
        let frame = ServerFrame::Error {
            id: None,
            code: ErrorCode::BadRequest,
            message: "x".into(),
        };
        let response = serde_json::to_value(reply(&frame)).unwrap();
        assert_eq!(response["statusCode"], 200);
        let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["type"], "error");
    }
}
