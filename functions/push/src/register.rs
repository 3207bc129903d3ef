//! `registerPush {id, platform, token}` → `pushRegistered {id}`: the token's SNS endpoint,
//! created or reused under its platform's application, recorded as a device of the caller
//! (and taken from any other user who had it).

use parley_core::protocol::{is_valid_id, ClientFrame, ServerFrame};
use parley_core::Error;

use crate::devices::Devices;
use crate::platform::Platform;
use crate::sns::Sns;

/// Longer than any FCM or APNs token.
const MAX_TOKEN_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: String,
    pub platform: Platform,
    pub token: String,
}

impl Registration {
    pub fn parse(frame: &ClientFrame) -> Result<Self, Error> {
        if frame.action != "registerPush" {
            return Err(Error::bad_request("unknown action"));
        }
        let text = |name: &str| match frame.fields.get(name) {
            Some(serde_json::Value::String(text)) => Ok(text.as_str()),
            None | Some(serde_json::Value::Null) => {
                Err(Error::bad_request(format!("{name} is required")))
            }
            Some(_) => Err(Error::bad_request(format!("{name} must be a string"))),
        };
        let id = text("id")?;
        if !is_valid_id(id) {
            return Err(Error::bad_request(
                "id must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
            ));
        }
        let platform = Platform::parse(text("platform")?).ok_or_else(|| {
            Error::bad_request("platform must be \"fcm\", \"apns\" or \"apns_sandbox\"")
        })?;
        let token = text("token")?;
        // Tokens are printable ASCII without spaces; they go into keys and to SNS as given.
        if token.is_empty()
            || token.len() > MAX_TOKEN_LEN
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(Error::bad_request(
                "token must be 1-1024 printable characters without spaces",
            ));
        }
        Ok(Self {
            id: id.to_owned(),
            platform,
            token: token.to_owned(),
        })
    }
}

pub async fn run(
    sns: &Sns,
    devices: &Devices,
    user_id: &str,
    registration: Registration,
) -> Result<ServerFrame, Error> {
    let endpoint_arn = sns
        .endpoint_for(registration.platform, &registration.token)
        .await?;
    devices
        .register(
            user_id,
            registration.platform,
            &registration.token,
            &endpoint_arn,
        )
        .await?;
    tracing::info!(user = user_id, platform = registration.platform.as_str(), endpoint = %endpoint_arn, "push registered");
    Ok(ServerFrame::PushRegistered {
        id: registration.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(frame: serde_json::Value) -> Result<Registration, Error> {
        Registration::parse(&ClientFrame::parse(&frame.to_string()).unwrap())
    }

    #[test]
    fn a_registration() {
        let registration =
            parse(json!({"action": "registerPush", "id": "r1", "platform": "apns_sandbox", "token": "a1b2"}))
                .unwrap();
        assert_eq!(
            registration,
            Registration {
                id: "r1".into(),
                platform: Platform::ApnsSandbox,
                token: "a1b2".into()
            }
        );
    }

    #[test]
    fn registrations_are_checked() {
        for (frame, expected) in [
            (
                json!({"action": "registerPush", "platform": "fcm", "token": "t"}),
                "id is required",
            ),
            (
                json!({"action": "registerPush", "id": "r 1", "platform": "fcm", "token": "t"}),
                "id must be",
            ),
            (
                json!({"action": "registerPush", "id": "r1", "platform": "gcm", "token": "t"}),
                "platform must be",
            ),
            (
                json!({"action": "registerPush", "id": "r1", "platform": "fcm"}),
                "token is required",
            ),
            (
                json!({"action": "registerPush", "id": "r1", "platform": "fcm", "token": ""}),
                "token must be",
            ),
            (
                json!({"action": "registerPush", "id": "r1", "platform": "fcm", "token": "a b"}),
                "token must be",
            ),
            (
                json!({"action": "registerPush", "id": "r1", "platform": "fcm", "token": "x".repeat(1025)}),
                "token must be",
            ),
            (
                json!({"action": "registerPush", "id": "r1", "platform": "fcm", "token": 5}),
                "token must be a string",
            ),
        ] {
            let error = parse(frame.clone()).unwrap_err();
            assert!(
                error.public_message().contains(expected),
                "{frame}: {}",
                error.public_message()
            );
        }
    }
}
