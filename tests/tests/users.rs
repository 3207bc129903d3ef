//! Registered users, end to end: sign-up as deployed (the code Cognito would send lands in
//! the local outbox, `ConfirmSignUp` checks it, the PostConfirmation trigger records the
//! user in the users table), and what the users table is for: a direct message to someone
//! who is not registered is refused with `not_found` and stores nothing, and `lookup` finds
//! users from the table. Browsers' calls (unsigned, with an `Origin`) read the stack's own answers
//! (CORS), and Amplify's token refresh (`GetTokensFromRefreshToken`) works locally.

use aws_sdk_cognitoidentityprovider::types::AttributeType;
use parley_protocol::client::Send;
use parley_protocol::ClientFrame;
use parley_tests::chat::*;
use parley_tests::stack::{self, StackInfo};
use parley_tests::tables::dynamodb;
use parley_tests::users::{cognito, sign_up, PASSWORD};
use serde_json::{json, Value};

/// The messages the outbox holds for `to`, newest first.
async fn outbox_for(stack: &StackInfo, to: &str) -> Vec<Value> {
    let to: String = form_urlencoded::byte_serialize(to.as_bytes()).collect();
    let url = format!("{}/_devstack/outbox.json?to={to}", stack.aws_endpoint);
    let body: Value = reqwest::get(url)
        .await
        .expect("GET the outbox")
        .json()
        .await
        .expect("the outbox is JSON");
    body["messages"].as_array().cloned().unwrap_or_default()
}

fn code_of(message: &Value) -> String {
    message["code"].as_str().expect("a code").to_owned()
}

#[tokio::test]
async fn a_sign_up_is_confirmed_with_the_code_from_the_outbox_and_only_with_it() {
    let stack = stack::shared();
    let cognito = cognito(stack);
    let email = format!("outbox-{}@example.test", uuid::Uuid::new_v4().simple());
    let signed_up = cognito
        .sign_up()
        .client_id(&stack.user_pool_client_id)
        .username(&email)
        .password(PASSWORD)
        .user_attributes(
            AttributeType::builder()
                .name("email")
                .value(&email)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("SignUp");
    let delivery = signed_up
        .code_delivery_details()
        .expect("CodeDeliveryDetails, as Cognito");
    assert_eq!(
        delivery.delivery_medium().map(|m| m.as_str()),
        Some("EMAIL")
    );
    assert!(delivery.destination().unwrap().contains("***"), "masked");

    let sent = outbox_for(stack, &email).await;
    assert_eq!(sent.len(), 1, "one code for one sign-up: {sent:?}");
    assert_eq!(sent[0]["medium"], "EMAIL");
    assert_eq!(sent[0]["reason"], "SignUp");
    let first = code_of(&sent[0]);
    assert!(
        first.len() == 6 && first.chars().all(|c| c.is_ascii_digit()),
        "{first}"
    );

    // A wrong code is refused as Cognito refuses it, and confirms nothing.
    let wrong = if first == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = cognito
        .confirm_sign_up()
        .client_id(&stack.user_pool_client_id)
        .username(&email)
        .confirmation_code(wrong)
        .send()
        .await
        .expect_err("a wrong code is refused");
    assert!(
        refused
            .as_service_error()
            .is_some_and(|e| e.is_code_mismatch_exception()),
        "{refused:?}"
    );
    let user = cognito
        .admin_get_user()
        .user_pool_id(&stack.user_pool_id)
        .username(&email)
        .send()
        .await
        .expect("AdminGetUser");
    assert_eq!(
        user.user_status().map(|s| s.as_str()),
        Some("UNCONFIRMED"),
        "a refused code confirms nothing"
    );

    // A new code replaces the first; the first no longer works.
    cognito
        .resend_confirmation_code()
        .client_id(&stack.user_pool_client_id)
        .username(&email)
        .send()
        .await
        .expect("ResendConfirmationCode");
    let sent = outbox_for(stack, &email).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0]["reason"], "ResendConfirmationCode");
    let second = code_of(&sent[0]);
    if second != first {
        let stale = cognito
            .confirm_sign_up()
            .client_id(&stack.user_pool_client_id)
            .username(&email)
            .confirmation_code(&first)
            .send()
            .await;
        assert!(stale.is_err(), "the replaced code still confirmed");
    }

    cognito
        .confirm_sign_up()
        .client_id(&stack.user_pool_client_id)
        .username(&email)
        .confirmation_code(&second)
        .send()
        .await
        .expect("the code from the outbox confirms");

    // The trigger recorded the user: lookup finds them by that address.
    let asker = sign_up(stack, "outbox-asker").await;
    let mut device = device(stack, &asker).await;
    let id = fresh_id("lookup");
    device
        .send(&lookup(&id, &[&email.to_uppercase()], &[]))
        .await;
    let found = device
        .frame_where("the users", |f| f["id"] == id.as_str())
        .await;
    assert_eq!(found["type"], "users", "{found}");
    assert_eq!(
        found["users"],
        json!([{"userId": signed_up.user_sub(), "email": email}]),
        "lookup ignores the address's case"
    );

    // The page shows the codes too.
    let page = reqwest::get(format!("{}/_devstack/outbox", stack.aws_endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&second) && page.contains(&email),
        "the outbox page"
    );
}

#[tokio::test]
async fn a_message_to_a_user_who_does_not_exist_is_not_found_and_stores_nothing() {
    let stack = stack::shared();
    let alice = sign_up(stack, "nobody-alice").await;
    let mut a = device(stack, &alice).await;
    let nobody = uuid::Uuid::new_v4().to_string();
    let id = fresh_id("to-nobody");
    a.send(&ClientFrame::Send(Send::to_user(&id, &nobody, "hello?")))
        .await;
    let reply = error_for(&mut a, &id).await;
    assert_eq!(reply["code"], "not_found", "{reply}");

    // Nothing stored: no send record, no copy in either mailbox, no conversation.
    let db = dynamodb(stack);
    for owner in [&alice.user_id, &nobody] {
        let items = db
            .query()
            .table_name(stack.table("MessagesTable"))
            .key_condition_expression("userId = :u")
            .expression_attribute_values(
                ":u",
                aws_sdk_dynamodb::types::AttributeValue::S(owner.to_string()),
            )
            .consistent_read(true)
            .send()
            .await
            .expect("query a mailbox");
        let stored: Vec<_> = items
            .items()
            .iter()
            .filter_map(|item| item.get("sk")?.as_s().ok().cloned())
            .filter(|sk| !sk.starts_with("rate#"))
            .collect();
        assert!(stored.is_empty(), "{owner}'s mailbox holds {stored:?}");
    }
    let (low, high) = if alice.user_id < nobody {
        (&alice.user_id, &nobody)
    } else {
        (&nobody, &alice.user_id)
    };
    let conversation = db
        .get_item()
        .table_name(stack.table("ConversationsTable"))
        .key(
            "conversationId",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("d:{low}:{high}")),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("read the conversation");
    assert!(conversation.item().is_none(), "a conversation was made");

    // The same user still reaches registered people.
    let bob = sign_up(stack, "nobody-bob").await;
    let sent = send_and_wait(&mut a, &send_to_user(&fresh_id("to-bob"), &bob, "hi")).await;
    assert_eq!(sent["seq"], 1);
}

/// A browser's Cognito call to the stack's AWS endpoint: unsigned JSON with an `Origin`.
async fn browser_cognito_call(
    stack: &StackInfo,
    operation: &str,
    body: Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::new()
        .post(&stack.aws_endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        )
        .header("origin", "http://127.0.0.1:8792")
        .body(body.to_string())
        .send()
        .await
        .expect("the Cognito call");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn tokens_refresh_as_amplify_asks_and_the_refreshed_token_connects() {
    // Amplify v6 (the web client) refreshes with GetTokensFromRefreshToken, which moto lacks:
    // the local stack answers it, readable by a page (CORS), with tokens the gateway accepts.
    let stack = stack::shared();
    let user = sign_up(stack, "refresh").await;
    let signed_in = cognito(stack)
        .initiate_auth()
        .client_id(&stack.user_pool_client_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &user.email)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .expect("InitiateAuth");
    let refresh_token = signed_in
        .authentication_result()
        .and_then(|r| r.refresh_token())
        .expect("a refresh token")
        .to_owned();
    let (status, headers, body) = browser_cognito_call(
        stack,
        "GetTokensFromRefreshToken",
        json!({"ClientId": stack.user_pool_client_id, "RefreshToken": refresh_token}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://127.0.0.1:8792"
    );
    let id_token = body["AuthenticationResult"]["IdToken"]
        .as_str()
        .expect("an IdToken")
        .to_owned();
    assert!(body["AuthenticationResult"]["AccessToken"].is_string());
    let refreshed = parley_tests::users::TestUser { id_token, ..user };
    device(stack, &refreshed).await.close().await;

    let (status, headers, body) = browser_cognito_call(
        stack,
        "GetTokensFromRefreshToken",
        json!({"ClientId": stack.user_pool_client_id, "RefreshToken": "not-a-token"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "NotAuthorizedException");
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://127.0.0.1:8792"
    );
}

#[tokio::test]
async fn a_wrong_code_is_refused_in_words_a_page_can_read() {
    // The stack's own answers carry CORS headers, as moto's do: a page shows the refusal.
    let stack = stack::shared();
    let email = format!("cors-{}@example.test", uuid::Uuid::new_v4().simple());
    let (status, _, _) = browser_cognito_call(
        stack,
        "SignUp",
        json!({"ClientId": stack.user_pool_client_id, "Username": email, "Password": PASSWORD,
               "UserAttributes": [{"Name": "email", "Value": email}]}),
    )
    .await;
    assert_eq!(status, 200);
    let right = code_of(&outbox_for(stack, &email).await[0]);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (status, headers, body) = browser_cognito_call(
        stack,
        "ConfirmSignUp",
        json!({"ClientId": stack.user_pool_client_id, "Username": email, "ConfirmationCode": wrong}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "CodeMismatchException");
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://127.0.0.1:8792"
    );
}
