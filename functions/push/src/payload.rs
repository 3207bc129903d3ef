//! What a notification carries: enough to wake the app and tell it where to look (the
//! conversation, the sender, the message id), never the text or the attachment. The app
//! then syncs. One SNS `MessageStructure: json` message per endpoint, with that platform's
//! key: FCM gets a high-priority data message (no `notification`, so the app decides what
//! to show); APNs gets a `mutable-content` alert with a generic text, which the app's
//! notification service extension may replace after fetching, and a collapse id.

use parley_core::message::Message;
use serde_json::{json, Value};

use crate::platform::Platform;

/// What the user sees when the app cannot (yet) say more.
pub const GENERIC_TEXT: &str = "New message";
/// The same for a reaction to one of the user's messages.
pub const REACTION_TEXT: &str = "New reaction";
const TITLE: &str = "Parley";

/// The facts a notification names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub conversation: String,
    pub from: String,
    pub message_id: String,
    pub seq: u64,
    /// A reaction to the user's message (the only change that pushes), not a message.
    pub reaction: bool,
}

impl Notice {
    pub fn of(message: &Message) -> Self {
        Self {
            conversation: message.conversation.to_string(),
            from: message.from.clone(),
            message_id: message.message_id.clone(),
            seq: message.seq,
            reaction: message.kind == Some(parley_protocol::ChangeKind::React),
        }
    }

    /// The app's own fields, the same on every platform (FCM data values must be strings).
    fn fields(&self) -> Value {
        json!({
            "type": if self.reaction { "reaction" } else { "message" },
            "conversation": self.conversation,
            "from": self.from,
            "messageId": self.message_id,
            "seq": self.seq.to_string(),
        })
    }
}

/// One SNS Publish: the message and its message attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// A `MessageStructure: json` document.
    pub message: String,
    /// `(name, string value)` pairs.
    pub attributes: Vec<(&'static str, String)>,
}

/// The publication for one endpoint of `platform`.
pub fn publication(notice: &Notice, platform: Platform) -> Publication {
    let (payload, attributes) = if crate::platform::is_apple(platform) {
        let payload = json!({
            "aps": {
                "alert": {"title": TITLE, "body": if notice.reaction { REACTION_TEXT } else { GENERIC_TEXT }},
                "mutable-content": 1,
                "sound": "default",
                "thread-id": notice.conversation,
            },
            "parley": notice.fields(),
        });
        // The collapse id is the message id: should a notification ever go out twice (see
        // `notify`), the device replaces the first instead of showing two.
        let attributes = vec![
            ("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "alert".to_owned()),
            ("AWS.SNS.MOBILE.APNS.PRIORITY", "10".to_owned()),
            ("AWS.SNS.MOBILE.APNS.COLLAPSE_ID", notice.message_id.clone()),
        ];
        (payload, attributes)
    } else {
        let payload = json!({
            "fcmV1Message": {
                "message": {
                    "data": notice.fields(),
                    "android": {"priority": "HIGH"},
                }
            }
        });
        (payload, Vec::new())
    };
    let message = json!({
        "default": GENERIC_TEXT,
        crate::platform::sns_key(platform): payload.to_string(),
    });
    Publication {
        message: message.to_string(),
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            conversation: parley_protocol::ConversationId::direct("alice", "bob"),
            seq: 7,
            message_id: "0123abcd".into(),
            client_id: "c-1".into(),
            from: "alice".into(),
            ts: 1_700_000_000_000,
            body: Some("the secret plan".into()),
            attachment: None,
            system: None,
            kind: None,
            target: None,
            reply_to: None,
            mentions: Vec::new(),
            forwarded: false,
            wakes: None,
            encrypted: None,
            seconds: None,
            lifetime: None,
        }
    }

    fn platform_payload(publication: &Publication, key: &str) -> Value {
        let outer: Value = serde_json::from_str(&publication.message).unwrap();
        assert_eq!(outer["default"], GENERIC_TEXT);
        serde_json::from_str(
            outer[key]
                .as_str()
                .expect("the platform key holds a string"),
        )
        .unwrap()
    }

    #[test]
    fn no_platform_gets_the_text() {
        let notice = Notice::of(&message());
        for platform in [Platform::Fcm, Platform::Apns, Platform::ApnsSandbox] {
            let publication = publication(&notice, platform);
            assert!(!publication.message.contains("secret"), "{publication:?}");
            assert!(publication.message.contains("0123abcd"));
            assert!(publication.message.contains("d:alice:bob"));
        }
    }

    #[test]
    fn no_platform_gets_encrypted_content() {
        let encrypted = Message {
            body: None,
            encrypted: Some(r#"{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"CIPHER"}"#.into()),
            ..message()
        };
        let notice = Notice::of(&encrypted);
        for platform in [Platform::Fcm, Platform::Apns, Platform::ApnsSandbox] {
            let publication = publication(&notice, platform);
            for part in ["CIPHER", "megolm", "algorithm"] {
                assert!(!publication.message.contains(part), "{publication:?}");
            }
            assert!(publication.message.contains("0123abcd"));
        }
    }

    #[test]
    fn fcm_gets_a_data_message_of_strings() {
        let publication = publication(&Notice::of(&message()), Platform::Fcm);
        let payload = platform_payload(&publication, "GCM");
        let message = &payload["fcmV1Message"]["message"];
        assert!(
            message.get("notification").is_none(),
            "data only: {payload}"
        );
        let data = message["data"].as_object().unwrap();
        assert!(data.values().all(Value::is_string), "{payload}");
        assert_eq!(data["conversation"], "d:alice:bob");
        assert_eq!(data["from"], "alice");
        assert_eq!(data["messageId"], "0123abcd");
        assert_eq!(data["seq"], "7");
        assert_eq!(message["android"]["priority"], "HIGH");
        assert!(publication.attributes.is_empty());
    }

    #[test]
    fn apns_gets_a_mutable_generic_alert_with_a_collapse_id() {
        for (platform, key) in [
            (Platform::Apns, "APNS"),
            (Platform::ApnsSandbox, "APNS_SANDBOX"),
        ] {
            let publication = publication(&Notice::of(&message()), platform);
            let payload = platform_payload(&publication, key);
            assert_eq!(payload["aps"]["mutable-content"], 1);
            assert_eq!(payload["aps"]["alert"]["body"], GENERIC_TEXT);
            assert_eq!(payload["parley"]["messageId"], "0123abcd");
            assert_eq!(payload["parley"]["from"], "alice");
            assert!(publication
                .attributes
                .contains(&("AWS.SNS.MOBILE.APNS.COLLAPSE_ID", "0123abcd".into())));
            assert!(publication
                .attributes
                .contains(&("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "alert".into())));
        }
    }

    #[test]
    fn a_reaction_says_it_is_one_and_still_carries_no_text() {
        let reaction = Message {
            kind: Some(parley_protocol::ChangeKind::React),
            target: Some(3),
            body: Some("🎉".into()),
            ..message()
        };
        let notice = Notice::of(&reaction);
        let fcm = platform_payload(&publication(&notice, Platform::Fcm), "GCM");
        assert_eq!(fcm["fcmV1Message"]["message"]["data"]["type"], "reaction");
        let apns = platform_payload(&publication(&notice, Platform::Apns), "APNS");
        assert_eq!(apns["aps"]["alert"]["body"], REACTION_TEXT);
        assert_eq!(apns["parley"]["type"], "reaction");
        assert!(!apns.to_string().contains('🎉'), "{apns}");
        let plain = platform_payload(&publication(&Notice::of(&message()), Platform::Fcm), "GCM");
        assert_eq!(plain["fcmV1Message"]["message"]["data"]["type"], "message");
    }
}
