//! `registerPush`: this device's push token, so that it is woken when it has no connection.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;
use crate::limits::MAX_PUSH_TOKEN_LEN;

/// A push service: Firebase Cloud Messaging, or Apple's (production or sandbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Platform {
    Fcm,
    Apns,
    ApnsSandbox,
}

impl Platform {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "fcm" => Some(Self::Fcm),
            "apns" => Some(Self::Apns),
            "apns_sandbox" => Some(Self::ApnsSandbox),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fcm => "fcm",
            Self::Apns => "apns",
            Self::ApnsSandbox => "apns_sandbox",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RegisterPush {
    pub id: String,
    pub platform: Platform,
    /// The device's push token: 1–1024 printable characters without spaces.
    pub token: String,
}

impl RegisterPush {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let platform = Platform::parse(fields.required_str("platform")?).ok_or_else(|| {
            FrameError::bad_request("platform must be \"fcm\", \"apns\" or \"apns_sandbox\"")
        })?;
        let token = fields.required_str("token")?;
        // Tokens go into keys and to SNS as given.
        if token.is_empty()
            || token.len() > MAX_PUSH_TOKEN_LEN
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(FrameError::bad_request(
                "token must be 1-1024 printable characters without spaces",
            ));
        }
        Ok(Self {
            id,
            platform,
            token: token.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientFrame;
    use serde_json::json;

    #[test]
    fn platform_names_round_trip() {
        for platform in [Platform::Fcm, Platform::Apns, Platform::ApnsSandbox] {
            assert_eq!(Platform::parse(platform.as_str()), Some(platform));
            assert_eq!(
                serde_json::to_value(platform).unwrap(),
                json!(platform.as_str())
            );
        }
        assert_eq!(Platform::parse("gcm"), None);
        assert_eq!(Platform::parse("APNS"), None);
    }

    #[test]
    fn registrations_are_checked() {
        let frame =
            json!({"action": "registerPush", "id": "p1", "platform": "fcm", "token": "abc"});
        let parsed = ClientFrame::parse(&frame.to_string()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), frame);
        for bad in [
            json!({"action": "registerPush", "id": "p1", "platform": "gcm", "token": "abc"}),
            json!({"action": "registerPush", "id": "p1", "platform": "fcm", "token": "a b"}),
            json!({"action": "registerPush", "id": "p1", "platform": "fcm", "token": ""}),
            json!({"action": "registerPush", "id": "p1", "platform": "fcm"}),
        ] {
            assert!(ClientFrame::parse(&bad.to_string()).is_err(), "{bad}");
        }
    }
}
