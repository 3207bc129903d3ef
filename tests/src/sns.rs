//! What moto's SNS published, read from moto's own state (`/moto-api/data.json`): the push
//! tests' only window on notifications, since no real FCM or APNs is behind the endpoints.

use serde_json::Value;

use crate::stack::StackInfo;
use parley_protocol::stack_file::StackFile;

/// All of moto's state, as `/moto-api/data.json` shows it (`sns` holds SNS's).
pub async fn state(stack: &StackFile) -> Result<Value, reqwest::Error> {
    let url = format!("{}/moto-api/data.json", stack.aws_endpoint);
    reqwest::get(&url).await?.error_for_status()?.json().await
}

/// Every platform endpoint moto knows, with what SNS published to it.
pub async fn endpoints(stack: &StackInfo) -> Vec<Value> {
    let data = state(stack).await.expect("moto's state");
    data["sns"]["PlatformEndpoint"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The messages SNS published to the endpoint of `token`, parsed.
pub async fn published_to(stack: &StackInfo, token: &str) -> Vec<Value> {
    endpoints(stack)
        .await
        .iter()
        .filter(|e| e["token"] == token)
        .flat_map(|e| {
            e["messages"]
                .as_object()
                .map(|m| m.values().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
        .map(|m| serde_json::from_str(m.as_str().unwrap()).unwrap())
        .collect()
}
