//! The local stack's outbox: where the verification codes Cognito would send by email or SMS
//! land (`GET {awsEndpoint}/_devstack/outbox.json?to=<address>`, newest first). For tests,
//! and for telling a developer where their code is.

use serde::{Deserialize, Serialize};

use super::AccountError;
use crate::stack::StackInfo;

/// One code the local stack "sent".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalCode {
    /// When, RFC 3339.
    pub at: String,
    /// `EMAIL` or `SMS`.
    pub medium: String,
    /// The address or phone number it went to.
    pub to: String,
    /// `SignUp` or `ResendConfirmationCode`.
    pub reason: String,
    pub username: String,
    pub code: String,
    /// A code confirms once.
    #[serde(default)]
    pub used: bool,
}

#[derive(Deserialize)]
struct Listing {
    messages: Vec<LocalCode>,
}

/// The page listing every code sent locally (for people), when the stack is local.
pub fn local_outbox_page(stack: &StackInfo) -> Option<String> {
    let endpoint = stack.cognito_endpoint.as_deref()?;
    Some(format!(
        "{}/_devstack/outbox",
        endpoint.trim_end_matches('/')
    ))
}

/// Where the codes sent to `address` are listed as JSON, when the stack is local.
pub fn local_outbox_url(stack: &StackInfo, address: &str) -> Option<String> {
    let endpoint = stack.cognito_endpoint.as_deref()?;
    let base = format!("{}/_devstack/outbox.json", endpoint.trim_end_matches('/'));
    reqwest::Url::parse_with_params(&base, [("to", address)])
        .ok()
        .map(String::from)
}

/// The codes the local stack sent to `address`, newest first.
pub async fn local_codes(stack: &StackInfo, address: &str) -> Result<Vec<LocalCode>, AccountError> {
    let url = local_outbox_url(stack, address).ok_or(AccountError::NotLocal)?;
    let unreachable = |e: reqwest::Error| AccountError::Unreachable {
        endpoint: stack.cognito_endpoint.clone().unwrap_or_default(),
        detail: e.to_string(),
    };
    let response = reqwest::get(&url).await.map_err(unreachable)?;
    if !response.status().is_success() {
        return Err(AccountError::Unexpected(format!(
            "the outbox answered {}",
            response.status()
        )));
    }
    let listing: Listing = response
        .json()
        .await
        .map_err(|e| AccountError::Unexpected(format!("the outbox's JSON: {e}")))?;
    Ok(listing.messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(endpoint: Option<&str>) -> StackInfo {
        StackInfo::new(
            "ws://127.0.0.1:1/prod",
            "us-east-1",
            "us-east-1_x",
            "c",
            endpoint.map(str::to_owned),
        )
        .unwrap()
    }

    #[test]
    fn the_outbox_url_escapes_the_address() {
        let local = stack(Some("http://127.0.0.1:8791/"));
        assert_eq!(
            local_outbox_url(&local, "+15551234567").unwrap(),
            "http://127.0.0.1:8791/_devstack/outbox.json?to=%2B15551234567"
        );
        assert_eq!(
            local_outbox_url(&local, "a+b@x.io").unwrap(),
            "http://127.0.0.1:8791/_devstack/outbox.json?to=a%2Bb%40x.io"
        );
        assert_eq!(
            local_outbox_page(&local).unwrap(),
            "http://127.0.0.1:8791/_devstack/outbox"
        );
    }

    #[tokio::test]
    async fn a_deployed_stack_has_no_outbox() {
        let deployed = stack(None);
        assert_eq!(local_outbox_url(&deployed, "a@x.io"), None);
        assert!(matches!(
            local_codes(&deployed, "a@x.io").await,
            Err(AccountError::NotLocal)
        ));
    }

    #[tokio::test]
    async fn an_outbox_nobody_serves_is_unreachable() {
        // Bind then drop: a port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let error = local_codes(&stack(Some(&format!("http://127.0.0.1:{port}"))), "a@x.io")
            .await
            .unwrap_err();
        assert!(matches!(error, AccountError::Unreachable { .. }), "{error}");
    }
}
