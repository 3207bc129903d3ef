//! One confirmation: the user's id (`sub`), email and phone number from the event's
//! attributes go into the users table; the event goes back to Cognito unchanged, as a
//! PostConfirmation trigger must answer. A failure fails the trigger: Cognito then answers
//! the confirming call with an error (the user stays confirmed; confirming again, or any
//! later PostConfirmation, such as after a password reset, records them).

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPostConfirmation;
use lambda_runtime::LambdaEvent;
use parley_core::users::Users;
use parley_core::Error;
use parley_protocol::UserEntry;
use serde_json::Value;

/// Takes the event as JSON so that it goes back exactly as it came.
pub async fn handle(users: &Users, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let confirmation: CognitoEventUserPoolsPostConfirmation =
        serde_json::from_value(event.payload.clone())
            .map_err(|e| Error::internal(format!("not a PostConfirmation event: {e}")))?;
    let user = user_of(&confirmation)?;
    users.record(&user).await?;
    tracing::info!(user = %user.user_id, "user recorded");
    Ok(event.payload)
}

fn user_of(event: &CognitoEventUserPoolsPostConfirmation) -> Result<UserEntry, Error> {
    let attributes = &event.request.user_attributes;
    let user_id = attributes
        .get("sub")
        .filter(|sub| !sub.is_empty())
        .ok_or_else(|| Error::internal("PostConfirmation event without a sub attribute"))?;
    Ok(UserEntry {
        user_id: user_id.clone(),
        email: attributes.get("email").cloned(),
        phone: attributes.get("phone_number").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_event_names_the_user() {
        let event: CognitoEventUserPoolsPostConfirmation =
            serde_json::from_str(include_str!("../../../events/users-post-confirmation.json"))
                .unwrap();
        let user = user_of(&event).unwrap();
        assert_eq!(user.user_id, "4c8e5d7a-3b1f-4a9e-8f21-6d0b9c3e7a15");
        assert_eq!(user.email.as_deref(), Some("ana@example.com"));
        assert_eq!(user.phone.as_deref(), Some("+15550100"));
    }

    #[test]
    fn an_event_without_a_sub_is_an_error() {
        let mut event: CognitoEventUserPoolsPostConfirmation =
            serde_json::from_str(include_str!("../../../events/users-post-confirmation.json"))
                .unwrap();
        event.request.user_attributes.remove("sub");
        assert!(user_of(&event).is_err());
    }
}
