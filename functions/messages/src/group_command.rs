//! The group actions a client frame can carry (`createGroup`, `addMembers`, `removeMembers`,
//! `leaveGroup`), checked field by field. Each names its frame `id`, which makes it
//! idempotent the way `send` is: a retry with the same id changes nothing again.

use parley_core::conversation::{ConversationId, Kind};
use parley_core::protocol::{is_valid_id, ClientFrame};
use parley_core::store::membership::{check_member_ids, check_name, Change, MAX_GROUP_MEMBERS};
use parley_core::Error;
use serde_json::Value;

/// The actions this module reads.
pub const ACTIONS: [&str; 4] = ["createGroup", "addMembers", "removeMembers", "leaveGroup"];

#[derive(Debug, Clone, PartialEq)]
pub struct GroupCommand {
    pub id: String,
    /// The group changed; `None` for `createGroup` (the server makes the id).
    pub conversation: Option<ConversationId>,
    pub change: Change,
}

impl GroupCommand {
    pub fn parse(frame: &ClientFrame) -> Result<Self, Error> {
        let fields = &frame.fields;
        let id = match fields.get("id") {
            Some(Value::String(id)) if is_valid_id(id) => id.clone(),
            Some(_) => {
                return Err(Error::bad_request(
                    "id must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
                ))
            }
            None => return Err(Error::bad_request("id is required")),
        };
        let members = || -> Result<Vec<String>, Error> {
            let invalid = || Error::bad_request("members must be a list of user ids");
            let list = match fields.get("members") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) if items.len() <= MAX_GROUP_MEMBERS => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned).ok_or_else(invalid))
                    .collect::<Result<_, _>>()?,
                Some(Value::Array(_)) => {
                    return Err(Error::client(
                        parley_core::protocol::ErrorCode::TooLarge,
                        format!("a group has at most {MAX_GROUP_MEMBERS} members"),
                    ))
                }
                Some(_) => return Err(invalid()),
            };
            check_member_ids(&list)?;
            Ok(list)
        };
        let conversation = || -> Result<ConversationId, Error> {
            let text = match fields.get("conversation") {
                Some(Value::String(text)) => text,
                Some(_) => return Err(Error::bad_request("conversation must be a string")),
                None => return Err(Error::bad_request("conversation is required")),
            };
            let conversation = ConversationId::parse(text)?;
            if conversation.kind() != Kind::Group {
                return Err(Error::bad_request("conversation is not a group"));
            }
            Ok(conversation)
        };
        let (conversation, change) = match frame.action.as_str() {
            "createGroup" => {
                let name = match fields.get("name") {
                    Some(Value::String(name)) => name.clone(),
                    Some(_) => return Err(Error::bad_request("name must be a string")),
                    None => return Err(Error::bad_request("name is required")),
                };
                check_name(&name)?;
                let members = members()?;
                (None, Change::Create { name, members })
            }
            "addMembers" | "removeMembers" => {
                let conversation = conversation()?;
                let members = members()?;
                if members.is_empty() {
                    return Err(Error::bad_request("members must name at least one user"));
                }
                let change = if frame.action == "addMembers" {
                    Change::Add(members)
                } else {
                    Change::Remove(members)
                };
                (Some(conversation), change)
            }
            "leaveGroup" => (Some(conversation()?), Change::Leave),
            _ => return Err(Error::bad_request("unknown action")),
        };
        Ok(Self {
            id,
            conversation,
            change,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::protocol::ErrorCode;
    use serde_json::json;

    fn parse(frame: Value) -> Result<GroupCommand, Error> {
        GroupCommand::parse(&ClientFrame::parse(&frame.to_string()).unwrap())
    }

    const GROUP: &str = "g:0123456789abcdef0123456789abcdef";

    #[test]
    fn reads_each_action() {
        let create =
            parse(json!({"action": "createGroup", "id": "c1", "name": "team", "members": ["b"]}))
                .unwrap();
        assert_eq!(create.conversation, None);
        assert_eq!(
            create.change,
            Change::Create {
                name: "team".into(),
                members: vec!["b".into()]
            }
        );
        let add = parse(
            json!({"action": "addMembers", "id": "a1", "conversation": GROUP, "members": ["c"]}),
        )
        .unwrap();
        assert_eq!(add.change, Change::Add(vec!["c".into()]));
        assert_eq!(add.conversation.unwrap().as_str(), GROUP);
        let leave =
            parse(json!({"action": "leaveGroup", "id": "l1", "conversation": GROUP})).unwrap();
        assert_eq!(leave.change, Change::Leave);
    }

    #[test]
    fn refuses_what_is_malformed() {
        for (frame, code) in [
            (
                json!({"action": "createGroup", "name": "x"}),
                ErrorCode::BadRequest,
            ),
            (
                json!({"action": "createGroup", "id": "c", "name": ""}),
                ErrorCode::BadRequest,
            ),
            (
                json!({"action": "createGroup", "id": "c", "name": "x", "members": "b"}),
                ErrorCode::BadRequest,
            ),
            (
                json!({"action": "createGroup", "id": "c", "name": "x", "members": ["b#"]}),
                ErrorCode::BadRequest,
            ),
            (
                json!({"action": "addMembers", "id": "a", "conversation": "d:a:b", "members": ["c"]}),
                ErrorCode::BadRequest,
            ),
            (
                json!({"action": "addMembers", "id": "a", "conversation": GROUP, "members": []}),
                ErrorCode::BadRequest,
            ),
            (
                json!({"action": "removeMembers", "id": "r", "members": ["c"]}),
                ErrorCode::BadRequest,
            ),
            (
                json!({"action": "leaveGroup", "id": "l"}),
                ErrorCode::BadRequest,
            ),
        ] {
            assert_eq!(parse(frame.clone()).unwrap_err().code(), code, "{frame}");
        }
        let many: Vec<String> = (0..=MAX_GROUP_MEMBERS).map(|i| format!("u{i}")).collect();
        assert_eq!(
            parse(json!({"action": "createGroup", "id": "c", "name": "x", "members": many}))
                .unwrap_err()
                .code(),
            ErrorCode::TooLarge
        );
    }
}
