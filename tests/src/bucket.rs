//! Reading the stack's files bucket directly (as the tables are read in [`crate::tables`]),
//! to check what the functions left in it.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

use crate::stack::StackInfo;

fn s3(stack: &StackInfo) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(stack.region.clone()))
        .endpoint_url(&stack.aws_endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new("test", "test", None, None, "e2e"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The HTTP status the bucket answers a HEAD of the object at `key` with (200: there;
/// 404: no such object).
pub async fn object_status(stack: &StackInfo, key: &str) -> u16 {
    match s3(stack)
        .head_object()
        .bucket(&stack.bucket)
        .key(key)
        .send()
        .await
    {
        Ok(_) => 200,
        Err(error) => error
            .raw_response()
            .map(|response| response.status().as_u16())
            .unwrap_or_else(|| panic!("HEAD {key}: {error:?}")),
    }
}

/// The bytes stored under `key`, as the bucket holds them, with the object's content type.
pub async fn object_bytes(stack: &StackInfo, key: &str) -> (Vec<u8>, Option<String>) {
    let object = s3(stack)
        .get_object()
        .bucket(&stack.bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {key}: {e:?}"));
    let content_type = object.content_type().map(str::to_owned);
    let bytes = object
        .body
        .collect()
        .await
        .expect("read the object")
        .into_bytes()
        .to_vec();
    (bytes, content_type)
}
