//! The user directory: Cognito's ListUsers, one exact-match filter per address (Cognito
//! filters on one attribute at a time), a few at once.

use aws_sdk_cognitoidentityprovider::types::UserType;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use parley_core::protocol::UserEntry;
use parley_core::Error;
use std::collections::BTreeMap;

/// ListUsers calls in flight at once (Cognito's quota for it is low).
const MAX_CONCURRENT_LOOKUPS: usize = 8;

pub struct Directory {
    cognito: aws_sdk_cognitoidentityprovider::Client,
    user_pool_id: String,
}

impl Directory {
    pub fn new(cognito: aws_sdk_cognitoidentityprovider::Client, user_pool_id: &str) -> Self {
        Self {
            cognito,
            user_pool_id: user_pool_id.to_owned(),
        }
    }

    /// The registered users with any of these emails or phone numbers, each once.
    pub async fn find(
        &self,
        emails: &[String],
        phones: &[String],
    ) -> Result<Vec<UserEntry>, Error> {
        let filters = emails
            .iter()
            .map(|email| format!("email = \"{email}\""))
            .chain(
                phones
                    .iter()
                    .map(|phone| format!("phone_number = \"{phone}\"")),
            );
        let found: Vec<Vec<UserType>> = stream::iter(filters)
            .map(|filter| self.list_users(filter))
            .buffer_unordered(MAX_CONCURRENT_LOOKUPS)
            .try_collect()
            .await?;
        let mut users = BTreeMap::new();
        for user in found.iter().flatten() {
            if let Some(entry) = entry_of(user) {
                users.insert(entry.user_id.clone(), entry);
            }
        }
        Ok(users.into_values().collect())
    }

    async fn list_users(&self, filter: String) -> Result<Vec<UserType>, Error> {
        let output = self
            .cognito
            .list_users()
            .user_pool_id(&self.user_pool_id)
            .filter(filter)
            .limit(2)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output.users().to_vec())
    }
}

fn entry_of(user: &UserType) -> Option<UserEntry> {
    let attribute = |name: &str| {
        user.attributes()
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    Some(UserEntry {
        user_id: attribute("sub")?,
        email: attribute("email"),
        phone: attribute("phone_number"),
    })
}
