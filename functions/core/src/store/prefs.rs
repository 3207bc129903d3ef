//! A user's own preferences: one item `prefs` in their partition of the messages table
//! (sorts after `p$`, outside the positions a sync reads). Today one: `reactionPush`,
//! whether a reaction to one of their messages pushes while they are offline (off unless
//! set, so a user who never chose is not woken for reactions).

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::Store;
use crate::Error;

const SK: &str = "prefs";
const REACTION_PUSH: &str = "reactionPush";

/// What a user chose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prefs {
    pub reaction_push: bool,
}

impl Prefs {
    fn from_item(item: &std::collections::HashMap<String, AttributeValue>) -> Self {
        Self {
            reaction_push: item.get(REACTION_PUSH).and_then(|v| v.as_bool().ok()) == Some(&true),
        }
    }
}

impl Store {
    /// `user`'s preferences (the defaults when they never set any).
    pub async fn prefs(&self, user: &str) -> Result<Prefs, Error> {
        let output = self
            .db
            .get_item()
            .table_name(&self.messages_table)
            .key("userId", AttributeValue::S(user.to_owned()))
            .key("sk", AttributeValue::S(SK.to_owned()))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output.item().map(Prefs::from_item).unwrap_or_default())
    }

    /// Sets what is given of `user`'s preferences (none: just reads them), and returns them
    /// as they now stand.
    pub async fn set_prefs(&self, user: &str, reaction_push: Option<bool>) -> Result<Prefs, Error> {
        let Some(reaction_push) = reaction_push else {
            return self.prefs(user).await;
        };
        let output = self
            .db
            .update_item()
            .table_name(&self.messages_table)
            .key("userId", AttributeValue::S(user.to_owned()))
            .key("sk", AttributeValue::S(SK.to_owned()))
            .update_expression("SET #reactionPush = :on")
            .expression_attribute_names("#reactionPush", REACTION_PUSH)
            .expression_attribute_values(":on", AttributeValue::Bool(reaction_push))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output
            .attributes()
            .map(Prefs::from_item)
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefs_sort_outside_the_positions_and_default_to_off() {
        assert!(
            SK > crate::cursor::END,
            "after p$, so a sync never reads it"
        );
        assert_eq!(Prefs::from_item(&Default::default()), Prefs::default());
        assert!(!Prefs::default().reaction_push);
    }
}
