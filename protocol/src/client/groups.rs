//! The group actions: `createGroup`, `addMembers`, `removeMembers`, `leaveGroup`. Each names
//! its frame `id`, which makes it idempotent the way `send` is: a retry with the same id
//! changes nothing again.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;
use crate::ids::{is_valid_user_id, ConversationId};
use crate::limits::{MAX_GROUP_MEMBERS, MAX_GROUP_NAME_BYTES};

/// `createGroup`: a new group with the caller as its first member and admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CreateGroup {
    pub id: String,
    /// 1–256 bytes of text.
    pub name: String,
    /// User ids; the creator is added. At most 1024 in all.
    #[serde(default)]
    pub members: Vec<String>,
}

/// `addMembers` and `removeMembers` (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Members {
    pub id: String,
    pub conversation: ConversationId,
    /// At least one user id.
    pub members: Vec<String>,
}

/// `leaveGroup`: the caller leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LeaveGroup {
    pub id: String,
    pub conversation: ConversationId,
}

impl CreateGroup {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let name = fields.required_str("name")?.to_owned();
        check_name(&name)?;
        let members = member_list(fields)?;
        Ok(Self { id, name, members })
    }
}

impl Members {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let conversation = fields.group("conversation")?;
        let members = member_list(fields)?;
        if members.is_empty() {
            return Err(FrameError::bad_request(
                "members must name at least one user",
            ));
        }
        Ok(Self {
            id,
            conversation,
            members,
        })
    }
}

impl LeaveGroup {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        Ok(Self {
            id: fields.id()?,
            conversation: fields.group("conversation")?,
        })
    }
}

fn too_many_members() -> FrameError {
    FrameError::too_large(format!("a group has at most {MAX_GROUP_MEMBERS} members"))
}

/// The `members` list: user ids (of users who may never have connected: they find the group
/// when they first sync).
fn member_list(fields: &Fields) -> Result<Vec<String>, FrameError> {
    let members = fields
        .string_list("members", MAX_GROUP_MEMBERS, too_many_members)
        .map_err(|error| match error.code {
            crate::ErrorCode::TooLarge => error,
            _ => FrameError::bad_request("members must be a list of user ids"),
        })?;
    if !members.iter().all(|id| is_valid_user_id(id)) {
        return Err(FrameError::bad_request("members must be user ids"));
    }
    Ok(members)
}

/// Checks a group name: 1–256 bytes, not blank, no control characters.
pub fn check_name(name: &str) -> Result<(), FrameError> {
    if name.trim().is_empty() || name.len() > MAX_GROUP_NAME_BYTES {
        return Err(FrameError::bad_request("name must be 1-256 bytes of text"));
    }
    if name.chars().any(char::is_control) {
        return Err(FrameError::bad_request(
            "name must not hold control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::{json, Value};

    const GROUP: &str = "g:0123456789abcdef0123456789abcdef";

    fn parse(frame: Value) -> Result<ClientFrame, FrameError> {
        ClientFrame::parse(&frame.to_string())
    }

    #[test]
    fn reads_each_action() {
        let create = json!({"action": "createGroup", "id": "c1", "name": "team", "members": ["b"]});
        let parsed = parse(create.clone()).unwrap();
        assert_eq!(
            parsed,
            ClientFrame::CreateGroup(CreateGroup {
                id: "c1".into(),
                name: "team".into(),
                members: vec!["b".into()]
            })
        );
        assert_eq!(serde_json::to_value(&parsed).unwrap(), create);
        let add =
            json!({"action": "addMembers", "id": "a1", "conversation": GROUP, "members": ["c"]});
        let parsed = parse(add.clone()).unwrap();
        assert!(matches!(&parsed, ClientFrame::AddMembers(m) if m.members == ["c"]));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), add);
        let remove =
            json!({"action": "removeMembers", "id": "r1", "conversation": GROUP, "members": ["c"]});
        assert!(matches!(
            parse(remove).unwrap(),
            ClientFrame::RemoveMembers(_)
        ));
        let leave = json!({"action": "leaveGroup", "id": "l1", "conversation": GROUP});
        assert_eq!(
            serde_json::to_value(parse(leave.clone()).unwrap()).unwrap(),
            leave
        );
    }

    #[test]
    fn refuses_what_is_malformed() {
        for frame in [
            json!({"action": "createGroup", "name": "x"}),
            json!({"action": "createGroup", "id": "c", "name": ""}),
            json!({"action": "createGroup", "id": "c", "name": "a\u{7}b"}),
            json!({"action": "createGroup", "id": "c", "name": "x", "members": "b"}),
            json!({"action": "createGroup", "id": "c", "name": "x", "members": ["b#"]}),
            json!({"action": "addMembers", "id": "a", "conversation": "d:a:b", "members": ["c"]}),
            json!({"action": "addMembers", "id": "a", "conversation": GROUP, "members": []}),
            json!({"action": "removeMembers", "id": "r", "members": ["c"]}),
            json!({"action": "leaveGroup", "id": "l"}),
        ] {
            assert_eq!(
                parse(frame.clone()).unwrap_err().code,
                ErrorCode::BadRequest,
                "{frame}"
            );
        }
        let many: Vec<String> = (0..=MAX_GROUP_MEMBERS).map(|i| format!("u{i}")).collect();
        assert_eq!(
            parse(json!({"action": "createGroup", "id": "c", "name": "x", "members": many}))
                .unwrap_err()
                .code,
            ErrorCode::TooLarge
        );
        assert!(check_name(&"n".repeat(MAX_GROUP_NAME_BYTES)).is_ok());
        assert!(check_name(&"n".repeat(MAX_GROUP_NAME_BYTES + 1)).is_err());
    }
}
