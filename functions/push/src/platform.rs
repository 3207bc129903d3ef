//! The push platforms a client may register for (the protocol's `registerPush.platform`),
//! and what SNS calls them.

pub use parley_protocol::client::Platform;

/// The key of a platform's payload in an SNS `MessageStructure: json` message.
pub fn sns_key(platform: Platform) -> &'static str {
    match platform {
        Platform::Fcm => "GCM",
        Platform::Apns => "APNS",
        Platform::ApnsSandbox => "APNS_SANDBOX",
    }
}

pub fn is_apple(platform: Platform) -> bool {
    matches!(platform, Platform::Apns | Platform::ApnsSandbox)
}
