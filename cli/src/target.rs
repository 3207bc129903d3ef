//! Who a command is about: an email address or +phone number (looked up), a user id, or a
//! conversation id (for `send`, `chat`, `upload`).

use parley_client::To;
use parley_protocol::ConversationId;

use crate::failure::Failure;
use crate::online::Online;

/// Whether `text` names someone by address rather than by id.
pub fn is_address(text: &str) -> bool {
    text.contains('@') || text.starts_with('+')
}

/// User ids for `names` (addresses looked up, ids as they are), in order; an address
/// nobody registered is refused (exit 2), naming it.
pub async fn user_ids(online: &mut Online, names: &[String]) -> Result<Vec<String>, Failure> {
    let (emails, phones): (Vec<String>, Vec<String>) = names
        .iter()
        .filter(|n| is_address(n))
        .cloned()
        .partition(|n| n.contains('@'));
    let found = if emails.is_empty() && phones.is_empty() {
        Vec::new()
    } else {
        online
            .call(|client| async move { client.lookup(emails, phones).await })
            .await?
    };
    names
        .iter()
        .map(|name| {
            if !is_address(name) {
                return Ok(name.clone());
            }
            found
                .iter()
                .find(|user| {
                    // The server matches emails whatever their case.
                    user.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(name))
                        || user.phone.as_deref() == Some(name.as_str())
                })
                .map(|user| user.user_id.clone())
                .ok_or_else(|| Failure::refused(format!("{name} is not a registered user")))
        })
        .collect()
}

/// Where `to` sends: a conversation id as it is, else the direct chat with that user.
pub async fn resolve(online: &mut Online, to: &str) -> Result<To, Failure> {
    if let Ok(conversation) = ConversationId::parse(to) {
        return Ok(To::Conversation(conversation));
    }
    let user = user_ids(online, &[to.to_owned()]).await?.remove(0);
    Ok(To::User(user))
}
