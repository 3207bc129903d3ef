//! The users table: who is registered, and under which email address and phone number.
//!
//! Cognito's PostConfirmation trigger (the users function) writes it when a sign-up is
//! confirmed, so that sends and lookups never call Cognito (whose read APIs are rate-limited
//! per account). Items, keyed by `key`:
//! - `user#<user id>`: the user exists (a direct message to anyone else is refused);
//! - `email#<address, lowercased>` and `phone#<number>`: who has that address, for `lookup`.
//!
//! Each item carries the user's id, email and phone, so a lookup is one BatchGetItem.

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem};
use std::collections::{BTreeMap, HashMap};

use crate::Error;
use parley_protocol::UserEntry;

/// BatchGetItem's limit on keys per request (also `lookup`'s limit on entries).
const MAX_KEYS_PER_READ: usize = 100;
/// How often keys DynamoDB left unprocessed are asked for again.
const MAX_READS: u32 = 10;

/// The key of a user's existence item.
pub fn user_key(user_id: &str) -> HashMap<String, AttributeValue> {
    key(format!("user#{user_id}"))
}

fn email_key(email: &str) -> HashMap<String, AttributeValue> {
    key(format!("email#{}", email.to_lowercase()))
}

fn phone_key(phone: &str) -> HashMap<String, AttributeValue> {
    key(format!("phone#{phone}"))
}

fn key(value: String) -> HashMap<String, AttributeValue> {
    HashMap::from([("key".to_owned(), AttributeValue::S(value))])
}

/// The users table, through a client built once per cold start.
#[derive(Debug, Clone)]
pub struct Users {
    db: aws_sdk_dynamodb::Client,
    table: String,
}

impl Users {
    pub fn new(db: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            db,
            table: table.into(),
        }
    }

    /// Records `user` (all its items at once). Writing the same user again changes nothing; an
    /// address another user had before now names this one.
    pub async fn record(&self, user: &UserEntry) -> Result<(), Error> {
        let mut keys = vec![user_key(&user.user_id)];
        keys.extend(user.email.as_deref().map(email_key));
        keys.extend(user.phone.as_deref().map(phone_key));
        let mut items = Vec::new();
        for mut item in keys {
            item.extend(entry_attributes(user));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(Error::internal)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        self.db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// The registered users with any of these emails or phone numbers, each once, in one
    /// read (a lookup has at most [`MAX_KEYS_PER_READ`] entries).
    pub async fn find(
        &self,
        emails: &[String],
        phones: &[String],
    ) -> Result<Vec<UserEntry>, Error> {
        let mut keys: Vec<HashMap<String, AttributeValue>> = emails
            .iter()
            .map(|email| email_key(email))
            .chain(phones.iter().map(|phone| phone_key(phone)))
            .collect();
        keys.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        keys.dedup();
        let mut found = BTreeMap::new();
        for chunk in keys.chunks(MAX_KEYS_PER_READ) {
            for item in self.read(chunk.to_vec()).await? {
                if let Some(entry) = entry_of(&item) {
                    found.insert(entry.user_id.clone(), entry);
                }
            }
        }
        Ok(found.into_values().collect())
    }

    /// The items of `keys` that exist, asking again for what DynamoDB left unprocessed.
    async fn read(
        &self,
        keys: Vec<HashMap<String, AttributeValue>>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, Error> {
        let mut items = Vec::new();
        let mut request = HashMap::from([(
            self.table.clone(),
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .build()
                .map_err(Error::internal)?,
        )]);
        for attempt in 0..MAX_READS {
            let output = self
                .db
                .batch_get_item()
                .set_request_items(Some(request))
                .send()
                .await
                .map_err(Error::aws)?;
            if let Some(found) = output.responses().and_then(|r| r.get(&self.table)) {
                items.extend(found.iter().cloned());
            }
            match output.unprocessed_keys() {
                Some(unprocessed) if !unprocessed.is_empty() => {
                    request = unprocessed.clone();
                    tokio::time::sleep(std::time::Duration::from_millis(10 << attempt)).await;
                }
                _ => return Ok(items),
            }
        }
        Err(Error::internal(
            "BatchGetItem kept leaving users unprocessed",
        ))
    }
}

fn entry_attributes(user: &UserEntry) -> Vec<(String, AttributeValue)> {
    let mut attributes = vec![("userId".to_owned(), AttributeValue::S(user.user_id.clone()))];
    if let Some(email) = &user.email {
        attributes.push(("email".to_owned(), AttributeValue::S(email.clone())));
    }
    if let Some(phone) = &user.phone {
        attributes.push(("phone".to_owned(), AttributeValue::S(phone.clone())));
    }
    attributes
}

fn entry_of(item: &HashMap<String, AttributeValue>) -> Option<UserEntry> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some(UserEntry {
        user_id: text("userId")?,
        email: text("email"),
        phone: text("phone"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_what_they_index() {
        assert_eq!(user_key("u1")["key"].as_s().unwrap(), "user#u1");
        assert_eq!(
            email_key("Ana@Example.TEST")["key"].as_s().unwrap(),
            "email#ana@example.test"
        );
        assert_eq!(
            phone_key("+15550100")["key"].as_s().unwrap(),
            "phone#+15550100"
        );
    }

    #[test]
    fn an_entry_round_trips_through_its_item() {
        let user = UserEntry {
            user_id: "u1".into(),
            email: Some("ana@example.test".into()),
            phone: None,
        };
        let mut item = email_key("ana@example.test");
        item.extend(entry_attributes(&user));
        assert_eq!(entry_of(&item), Some(user));
        assert_eq!(entry_of(&email_key("x")), None);
    }
}
