//! `lookup`: which of these emails and phone numbers belong to registered users.

use serde::{Deserialize, Serialize};

use crate::error::FrameError;
use crate::fields::Fields;
use crate::limits::{MAX_ADDRESS_LEN, MAX_LOOKUP};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Lookup {
    pub id: String,
    /// 1–100 emails and phones in all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>", optional))]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>", optional))]
    pub phones: Vec<String>,
}

impl Lookup {
    pub(crate) fn parse(fields: &Fields) -> Result<Self, FrameError> {
        let id = fields.id()?;
        let too_many = || FrameError::bad_request("at most 100 emails and phones in all");
        let emails = fields.string_list("emails", MAX_LOOKUP, too_many)?;
        let phones = fields.string_list("phones", MAX_LOOKUP, too_many)?;
        if emails.is_empty() && phones.is_empty() {
            return Err(FrameError::bad_request("give emails or phones to look up"));
        }
        if emails.len() + phones.len() > MAX_LOOKUP {
            return Err(too_many());
        }
        // Addresses become keys: nothing unprintable, nothing that could end a quoted string.
        let well_formed = |a: &String| {
            !a.is_empty()
                && a.len() <= MAX_ADDRESS_LEN
                && !a.contains(['"', '\\'])
                && !a.chars().any(char::is_control)
        };
        if !emails.iter().chain(&phones).all(well_formed) {
            return Err(FrameError::bad_request(
                "emails and phones must be plain strings of at most 254 characters",
            ));
        }
        Ok(Self { id, emails, phones })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientFrame, ErrorCode};
    use serde_json::{json, Value};

    fn parse(frame: Value) -> Result<ClientFrame, FrameError> {
        ClientFrame::parse(&frame.to_string())
    }

    #[test]
    fn lookups_are_bounded_and_safe() {
        let frame =
            json!({"action": "lookup", "id": "l1", "emails": ["a@x.io"], "phones": ["+15550100"]});
        let ok = parse(frame.clone()).unwrap();
        assert_eq!(
            ok,
            ClientFrame::Lookup(Lookup {
                id: "l1".into(),
                emails: vec!["a@x.io".into()],
                phones: vec!["+15550100".into()]
            })
        );
        assert_eq!(serde_json::to_value(&ok).unwrap(), frame);
        let many: Vec<String> = (0..101).map(|i| format!("u{i}@x.io")).collect();
        assert!(
            parse(json!({"action": "lookup", "id": "l1", "emails": many}))
                .unwrap_err()
                .message
                .contains("at most 100")
        );
        let split: Vec<String> = (0..60).map(|i| format!("u{i}@x.io")).collect();
        assert!(
            parse(json!({"action": "lookup", "id": "l1", "emails": split, "phones": split}))
                .unwrap_err()
                .message
                .contains("at most 100")
        );
        for bad in [
            json!({"action": "lookup", "id": "l1", "emails": ["a\"@x.io"]}),
            json!({"action": "lookup", "id": "l1"}),
            json!({"action": "lookup", "id": "l1", "emails": "a@x.io"}),
        ] {
            assert_eq!(parse(bad).unwrap_err().code, ErrorCode::BadRequest);
        }
    }
}
