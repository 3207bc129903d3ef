//! Parley's ids as the Matrix ids OlmMachine checks (docs/proposals/e2e-encryption.md §3):
//! user `@<user id>:parley`, Megolm room `!<conversation id, ':' → '.'>:parley`, event
//! `$<message id>`. The server name is fixed, not the stack's domain, so ids are the same in
//! every environment; both clients (this and web/) must derive them the same way.

use parley_protocol::ids::ConversationId;
use ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UserId};

use super::CryptoError;

/// The server name of every Matrix id Parley makes.
pub const SERVER_NAME: &str = "parley";

/// `@<user>:parley`.
pub fn matrix_user(user: &str) -> Result<OwnedUserId, CryptoError> {
    UserId::parse(format!("@{user}:{SERVER_NAME}"))
        .map_err(|e| CryptoError::Id(format!("user {user:?}: {e}")))
}

/// The Parley user id of a Matrix user id of Parley's; None for any other.
pub fn parley_user(user: &UserId) -> Option<&str> {
    (user.server_name().as_str() == SERVER_NAME).then(|| user.localpart())
}

/// The conversation's Megolm room id. `:` becomes `.`: user ids contain neither, so the map is
/// one to one, and the result is also valid under Matrix's older `!local:server` rule.
pub fn room_id(conversation: &ConversationId) -> Result<OwnedRoomId, CryptoError> {
    let local = conversation.as_str().replace(':', ".");
    OwnedRoomId::try_from(format!("!{local}:{SERVER_NAME}"))
        .map_err(|e| CryptoError::Id(format!("conversation {conversation}: {e}")))
}

/// `$<message id>`.
pub fn event_id(message_id: &str) -> Result<OwnedEventId, CryptoError> {
    OwnedEventId::try_from(format!("${message_id}"))
        .map_err(|e| CryptoError::Id(format!("message {message_id:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_both_ways_and_keep_conversations_apart() {
        let user = matrix_user("4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15").unwrap();
        assert_eq!(
            user.as_str(),
            "@4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15:parley"
        );
        assert_eq!(
            parley_user(&user),
            Some("4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15")
        );
        assert_eq!(parley_user(&UserId::parse("@x:matrix.org").unwrap()), None);

        let direct = ConversationId::direct("bob", "alice");
        assert_eq!(room_id(&direct).unwrap().as_str(), "!d.alice.bob:parley");
        let group = ConversationId::group([0xab; 16]);
        assert_eq!(
            room_id(&group).unwrap().as_str(),
            format!("!g.{}:parley", "ab".repeat(16))
        );
        assert_ne!(
            room_id(&direct).unwrap(),
            room_id(&ConversationId::direct("alice", "carol")).unwrap()
        );
        assert_eq!(
            event_id("01JDX4P7Q8R9S0T1U2V3W4X5Y6").unwrap().as_str(),
            "$01JDX4P7Q8R9S0T1U2V3W4X5Y6"
        );
    }
}
