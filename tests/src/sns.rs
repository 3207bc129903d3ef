//! What moto's SNS published, read from moto's own state (`/moto-api/data.json`): the push
//! tests' only window on notifications, since no real FCM or APNs is behind the endpoints.

use serde_json::Value;

use crate::stack::StackInfo;

/// Every platform endpoint moto knows, with what SNS published to it.
pub async fn endpoints(stack: &StackInfo) -> Vec<Value> {
    let url = format!("{}/moto-api/data.json", stack.aws_endpoint);
    let data: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
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
