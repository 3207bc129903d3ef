//! Typed access to a client frame's fields, with refusals that name the field. A `null`
//! field counts as absent; unknown fields are ignored.

use serde_json::{Map, Value};

use crate::error::FrameError;
use crate::ids::{is_valid_id, is_valid_user_id, ConversationId, Kind};

pub(crate) struct Fields<'a>(pub(crate) &'a Map<String, Value>);

impl Fields<'_> {
    pub(crate) fn has(&self, name: &str) -> bool {
        !matches!(self.0.get(name), None | Some(Value::Null))
    }

    pub(crate) fn id(&self) -> Result<String, FrameError> {
        let id = self.required_str("id")?;
        if is_valid_id(id) {
            Ok(id.to_owned())
        } else {
            Err(FrameError::bad_request(
                "id must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
            ))
        }
    }

    pub(crate) fn optional_str(&self, name: &str) -> Result<Option<&str>, FrameError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(FrameError::bad_request(format!("{name} must be a string"))),
        }
    }

    pub(crate) fn required_str(&self, name: &str) -> Result<&str, FrameError> {
        self.optional_str(name)?
            .ok_or_else(|| FrameError::bad_request(format!("{name} is required")))
    }

    pub(crate) fn optional_u64(
        &self,
        name: &str,
        must: &'static str,
    ) -> Result<Option<u64>, FrameError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| FrameError::bad_request(format!("{name} must be {must}"))),
        }
    }

    pub(crate) fn optional_bool(&self, name: &str) -> Result<Option<bool>, FrameError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(_) => Err(FrameError::bad_request(format!(
                "{name} must be true or false"
            ))),
        }
    }

    pub(crate) fn required_u64(&self, name: &str, must: &'static str) -> Result<u64, FrameError> {
        self.optional_u64(name, must)?
            .ok_or_else(|| FrameError::bad_request(format!("{name} is required")))
    }

    pub(crate) fn conversation(&self, name: &str) -> Result<ConversationId, FrameError> {
        ConversationId::parse(self.required_str(name)?)
            .map_err(|invalid| FrameError::bad_request(invalid.to_string()))
    }

    /// A group's id: add, remove and leave apply to groups only.
    pub(crate) fn group(&self, name: &str) -> Result<ConversationId, FrameError> {
        let conversation = self.conversation(name)?;
        if conversation.kind() != Kind::Group {
            return Err(FrameError::bad_request("conversation is not a group"));
        }
        Ok(conversation)
    }

    pub(crate) fn user(&self, name: &str) -> Result<String, FrameError> {
        let user = self.required_str(name)?;
        if !is_valid_user_id(user) {
            return Err(FrameError::bad_request(format!(
                "{name} is not a valid user id"
            )));
        }
        Ok(user.to_owned())
    }

    /// A list of strings of at most `max` entries (`too_many` refuses a longer one).
    pub(crate) fn string_list(
        &self,
        name: &str,
        max: usize,
        too_many: impl FnOnce() -> FrameError,
    ) -> Result<Vec<String>, FrameError> {
        let invalid = || FrameError::bad_request(format!("{name} must be a list of strings"));
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) if items.len() <= max => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(invalid))
                .collect(),
            Some(Value::Array(_)) => Err(too_many()),
            Some(_) => Err(invalid()),
        }
    }
}
