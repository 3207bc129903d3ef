//! Answers `ping` with `pong`, and frames that no route took: unreadable ones and unknown
//! actions. It reads no table and calls no AWS API, which makes it the cheapest home for the
//! keepalive (docs/architecture.md).

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;
use parley_core::{websocket, Error};
use parley_protocol::{ClientFrame, ErrorCode, ServerFrame};

pub async fn handle(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let event = event.payload;
    let frame = if event.is_base64_encoded {
        refusal(None, "frames are JSON text, not binary".into())
    } else {
        answer(event.body.as_deref().unwrap_or_default())
    };
    Ok(websocket::reply(&frame))
}

/// The reply to a frame that reached this function: `pong` to a `ping` (its route), or the
/// protocol's refusal of an unreadable frame or an unknown action on `$default`. (Another
/// known action is routed to its function and never lands here; if one does, the stage's
/// routes are missing it.)
///
/// A `ping` is answered whatever its token's expiry: it reads and changes nothing, and the
/// clients move to a fresh connection before their token expires.
pub fn answer(text: &str) -> ServerFrame {
    match ClientFrame::parse(text) {
        Err(refused) => ServerFrame::Error {
            id: refused.id,
            code: refused.code,
            message: refused.message.into_owned(),
        },
        Ok(ClientFrame::Ping(ping)) => ServerFrame::Pong { id: ping.id },
        Ok(frame) => refusal(
            frame.id().map(str::to_owned),
            format!("unknown action \"{}\"", frame.action()),
        ),
    }
}

fn refusal(id: Option<String>, message: String) -> ServerFrame {
    ServerFrame::Error {
        id,
        code: ErrorCode::BadRequest,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn reply_to(text: &str) -> Value {
        serde_json::from_str(&answer(text).to_json()).unwrap()
    }

    #[test]
    fn unknown_actions_are_bad_requests_echoing_the_id() {
        assert_eq!(
            reply_to(r#"{"action":"fly","id":"f1"}"#),
            json!({"type": "error", "id": "f1", "code": "bad_request", "message": "unknown action \"fly\""})
        );
    }

    #[test]
    fn a_ping_gets_a_pong_echoing_its_id() {
        assert_eq!(
            reply_to(r#"{"action":"ping","id":"k1"}"#),
            json!({"type": "pong", "id": "k1"})
        );
        assert_eq!(reply_to(r#"{"action":"ping"}"#), json!({"type": "pong"}));
    }

    #[tokio::test]
    async fn the_ping_event_gets_a_pong() {
        let event: ApiGatewayWebsocketProxyRequest =
            serde_json::from_str(include_str!("../../../events/default-ping.json")).unwrap();
        let response = handle(LambdaEvent::new(event, Default::default()))
            .await
            .unwrap();
        let Some(aws_lambda_events::encodings::Body::Text(body)) = response.body else {
            panic!("two-way reply has a text body");
        };
        let frame: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(frame, json!({"type": "pong", "id": "k-1"}));
    }

    #[test]
    fn unreadable_frames_are_bad_requests() {
        assert_eq!(reply_to("{oops")["message"], "frame is not valid JSON");
        assert_eq!(reply_to("42")["code"], "bad_request");
        assert_eq!(reply_to(r#"{"id":"x1"}"#)["id"], "x1");
    }

    #[test]
    fn long_actions_are_cut_in_the_reply() {
        let long = "a".repeat(10_000);
        let reply = reply_to(&format!(r#"{{"action":"{long}"}}"#));
        assert!(reply["message"].as_str().unwrap().len() < 100);
    }

    #[tokio::test]
    async fn the_sample_event_gets_an_error_frame() {
        let event: ApiGatewayWebsocketProxyRequest =
            serde_json::from_str(include_str!("../../../events/default-message.json")).unwrap();
        let response = handle(LambdaEvent::new(event, Default::default()))
            .await
            .unwrap();
        assert_eq!(response.status_code, 200);
        let Some(aws_lambda_events::encodings::Body::Text(body)) = response.body else {
            panic!("two-way reply has a text body");
        };
        let frame: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(frame["code"], "bad_request");
        assert_eq!(frame["id"], "m-42");
    }
}
