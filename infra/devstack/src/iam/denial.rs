//! A refused request, answered the way the service answers a principal its policies do not
//! allow: the JSON protocols (DynamoDB, Cognito) with HTTP 400 `AccessDeniedException`,
//! S3 with 403 `AccessDenied` XML, SNS with 403 `AuthorizationError` XML, the
//! `@connections` API with 403 `AccessDeniedException`; each carrying IAM's message
//! ("User: … is not authorized to perform: … on resource: … because no identity-based
//! policy allows the … action").

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::request::Access;

/// Locally every refusal has this request id; nothing correlates by it.
const REQUEST_ID: &str = "00000000-0000-0000-0000-0000000000a1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The function's logical id.
    pub function: String,
    /// The role session, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION`.
    pub principal: String,
    /// The SigV4 service (`execute-api` for `@connections`).
    pub service: String,
    pub access: Access,
    /// A `Deny` statement matched (rather than no `Allow`).
    pub explicit: bool,
}

impl Denial {
    /// IAM's own wording.
    pub fn message(&self) -> String {
        let Access { action, resource } = &self.access;
        let reason = if self.explicit {
            "with an explicit deny in an identity-based policy".to_owned()
        } else {
            format!("because no identity-based policy allows the {action} action")
        };
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource} {reason}",
            self.principal
        )
    }

    pub fn response(&self) -> Response {
        let message = self.message();
        let (status, content_type, error_type, body) = match self.service.as_str() {
            "s3" => (
                StatusCode::FORBIDDEN,
                "application/xml",
                "AccessDenied",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>{}</Message><RequestId>{REQUEST_ID}</RequestId><HostId>devstack</HostId></Error>",
                    xml_escaped(&message)
                ),
            ),
            "sns" => (
                StatusCode::FORBIDDEN,
                "text/xml",
                "AuthorizationError",
                format!(
                    "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>{}</Message></Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>",
                    xml_escaped(&message)
                ),
            ),
            "execute-api" => (
                StatusCode::FORBIDDEN,
                "application/json",
                "AccessDeniedException",
                serde_json::json!({"Message": message}).to_string(),
            ),
            "dynamodb" => (
                StatusCode::BAD_REQUEST,
                "application/x-amz-json-1.0",
                "AccessDeniedException",
                serde_json::json!({
                    "__type": "com.amazon.coral.service#AccessDeniedException",
                    "Message": message,
                })
                .to_string(),
            ),
            _ => (
                StatusCode::BAD_REQUEST,
                "application/x-amz-json-1.1",
                "AccessDeniedException",
                serde_json::json!({"__type": "AccessDeniedException", "message": message})
                    .to_string(),
            ),
        };
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static(content_type));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(error_type));
        headers.insert("x-amzn-requestid", HeaderValue::from_static(REQUEST_ID));
        response
    }
}

fn xml_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denial(service: &str, action: &str, resource: &str) -> Denial {
        Denial {
            function: "MessagesFunction".into(),
            principal: "arn:aws:sts::000000000000:assumed-role/parley-local-MessagesFunctionRole/parley-local-MessagesFunction".into(),
            service: service.into(),
            access: Access::new(action, resource),
            explicit: false,
        }
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 100_000)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn each_service_answers_in_its_own_protocol() {
        let table = "arn:aws:dynamodb:us-east-1:000000000000:table/t";
        let dynamodb = denial("dynamodb", "dynamodb:DeleteItem", table);
        assert_eq!(
            dynamodb.message(),
            format!("User: {} is not authorized to perform: dynamodb:DeleteItem on resource: {table} because no identity-based policy allows the dynamodb:DeleteItem action", dynamodb.principal)
        );
        let response = dynamodb.response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let json: serde_json::Value = serde_json::from_str(&body(response).await).unwrap();
        assert_eq!(
            json["__type"],
            "com.amazon.coral.service#AccessDeniedException"
        );
        assert_eq!(json["Message"], dynamodb.message());

        let s3 = denial("s3", "s3:GetObject", "arn:aws:s3:::b/a&b").response();
        assert_eq!(s3.status(), StatusCode::FORBIDDEN);
        let xml = body(s3).await;
        assert!(
            xml.contains("<Code>AccessDenied</Code>") && xml.contains("b/a&amp;b"),
            "{xml}"
        );

        let sns = denial("sns", "sns:Publish", "arn:aws:sns:us-east-1:0:endpoint/x").response();
        assert_eq!(sns.status(), StatusCode::FORBIDDEN);
        assert!(body(sns).await.contains("<Code>AuthorizationError</Code>"));

        let connections =
            denial("execute-api", "execute-api:ManageConnections", "arn:x").response();
        assert_eq!(connections.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            connections.headers()["x-amzn-errortype"],
            "AccessDeniedException"
        );

        let cognito = denial("cognito-idp", "cognito-idp:ListUsers", "arn:y").response();
        assert_eq!(cognito.status(), StatusCode::BAD_REQUEST);
        let json: serde_json::Value = serde_json::from_str(&body(cognito).await).unwrap();
        assert_eq!(json["__type"], "AccessDeniedException");
    }

    #[test]
    fn an_explicit_deny_says_so() {
        let mut explicit = denial("dynamodb", "dynamodb:PutItem", "arn:t");
        explicit.explicit = true;
        assert!(explicit
            .message()
            .ends_with("on resource: arn:t with an explicit deny in an identity-based policy"));
    }
}
