//! The local stack's IAM check, end to end: a stack serving the real template with three
//! grants taken away, so that each call the role no longer allows fails as AWS fails it and
//! the stack's log names the function, the action and the resource:
//!
//! - the messages function's `DELETE @connections` (the template as it was before it
//!   allowed the expired-token close: `…/POST/@connections/*` only);
//! - the disconnect function's `dynamodb:UpdateItem` on the connections table (which removes
//!   the connection from its user's item);
//! - the files function's `s3:GetObject`, which a presigned download URL it signed needs;
//! - the messages function's `s3:DeleteObject`, with which a delete for everyone removes
//!   the deleted message's attachment.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use parley_protocol::ClientFrame;
use parley_tests::chat::*;
use parley_tests::client::{self, Client};
use parley_tests::forge;
use parley_tests::stack::{self, workspace_root, StackInfo};
use parley_tests::tables::{await_connection_count, connections_of};
use parley_tests::users::sign_up;
use serde_json::{json, Value};

/// (what the real template says, what this test's template says instead)
const REMOVED_GRANTS: [(&str, &str); 4] = [
    (
        // The messages function's statement (files and push have their own).
        "              # POST delivers; DELETE closes a connection whose token expired.\n              Resource:\n                - !Sub \"arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/${StageName}/POST/@connections/*\"\n                - !Sub \"arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/${StageName}/DELETE/@connections/*\"\n",
        "              Resource:\n                - !Sub \"arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/${StageName}/POST/@connections/*\"\n",
    ),
    (
        "              Action: dynamodb:UpdateItem\n              Resource: !GetAtt ConnectionsTable.Arn\n",
        "              Action: dynamodb:GetItem\n              Resource: !GetAtt ConnectionsTable.Arn\n",
    ),
    (
        "                - s3:PutObject\n                - s3:GetObject\n",
        "                - s3:PutObject\n",
    ),
    (
        "              Action: s3:DeleteObject\n",
        "              Action: s3:GetObject\n",
    ),
];

/// The real template without [`REMOVED_GRANTS`], written once for this test binary.
fn restricted_template() -> PathBuf {
    let root = workspace_root();
    let mut text = std::fs::read_to_string(root.join("infra/template.yaml")).expect("the template");
    for (granted, instead) in REMOVED_GRANTS {
        assert_eq!(
            text.matches(granted).count(),
            1,
            "the template no longer reads {granted:?}: update this test"
        );
        text = text.replace(granted, instead);
    }
    let dir = root.join("target/e2e");
    std::fs::create_dir_all(&dir).expect("target/e2e");
    let path = dir.join(format!("iam-template-{}.yaml", std::process::id()));
    std::fs::write(&path, text).expect("write the restricted template");
    path
}

fn restricted_stack() -> &'static StackInfo {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    stack::shared_with_template(TEMPLATE.get_or_init(restricted_template))
}

/// The first line of the stack's log that holds every one of `needles`, waiting for it.
async fn log_line(stack: &StackInfo, needles: &[&str]) -> String {
    let started = Instant::now();
    loop {
        let log = stack.log();
        if let Some(line) = log
            .lines()
            .find(|line| needles.iter().all(|needle| line.contains(needle)))
        {
            return line.to_owned();
        }
        if started.elapsed() > SETTLE {
            panic!(
                "no log line with {needles:?}:\n{}",
                stack::tail(&stack.log_file)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const ACCOUNT: &str = "000000000000";

#[tokio::test]
async fn a_close_the_role_does_not_allow_is_refused_as_aws_refuses_it() {
    let stack = restricted_stack();
    let alice = sign_up(stack, "iam-alice").await;
    let bob = sign_up(stack, "iam-bob").await;
    let mut claims = forge::claims_of(&alice.id_token);
    claims["exp"] = json!(forge::now_secs() + 2);
    let token = forge::sign(
        &json!({"alg": "RS256", "kid": "dummy", "typ": "JWT"}),
        &claims,
        None,
    );
    let mut a = client::connect(stack, Some(&token))
        .await
        .expect("a token that has not expired yet connects");
    await_connection_count(stack, &alice.user_id, 1, SETTLE).await;
    let connection = connections_of(stack, &alice.user_id).await.remove(0);
    // Past the expiry and the verifier's leeway: the messages function refuses the send
    // and tries to close the connection.
    tokio::time::sleep(Duration::from_secs(9)).await;
    a.send(&send_to_user(&fresh_id("expired"), &bob, "too late"))
        .await;

    let resource = format!(":{ACCOUNT}:websocketapi/prod/DELETE/@connections/{connection}");
    let denied = log_line(
        stack,
        &[
            "IAM: access denied",
            "MessagesFunction",
            "execute-api:ManageConnections",
            &resource,
        ],
    )
    .await;
    assert!(
        denied.contains(
            "because no identity-based policy allows the execute-api:ManageConnections action"
        ),
        "{denied}"
    );
    // The function got API Gateway's refusal, with IAM's message.
    let seen_by_function = log_line(
        stack,
        &[
            "[MessagesFunction]",
            "could not close a connection",
            "AccessDeniedException",
        ],
    )
    .await;
    assert!(
        seen_by_function.contains(&format!(
            "assumed-role/parley-local-MessagesFunctionRole/parley-local-MessagesFunction is not authorized to perform: execute-api:ManageConnections on resource: arn:aws:execute-api:us-east-1{resource}"
        )),
        "{seen_by_function}"
    );
    // Nothing closed it: the record of the connection is still there.
    assert_eq!(connections_of(stack, &alice.user_id).await, [connection]);
    drop(a);
}

#[tokio::test]
async fn a_table_write_the_role_does_not_allow_is_refused_and_has_no_effect() {
    let stack = restricted_stack();
    let carol = sign_up(stack, "iam-carol").await;
    let c = device(stack, &carol).await;
    let connections = connections_of(stack, &carol.user_id).await;
    assert_eq!(connections.len(), 1);
    c.close().await;

    let table = format!(
        "arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{}",
        stack.table("ConnectionsTable")
    );
    let denied = log_line(
        stack,
        &[
            "IAM: access denied",
            "DisconnectFunction",
            "dynamodb:UpdateItem",
            &table,
        ],
    )
    .await;
    assert!(
        denied.contains(
            "is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb"
        ),
        "{denied}"
    );
    // The removal never reached the table.
    tokio::time::sleep(QUIET).await;
    assert_eq!(connections_of(stack, &carol.user_id).await, connections);
}

/// Sends a frame with an `id` and returns the reply for it.
async fn request(client: &mut Client, frame: ClientFrame) -> Value {
    let id = frame.id().expect("an id").to_owned();
    client.send(&frame).await;
    client
        .frame_where(&format!("the reply to {id}"), |f| f["id"] == id.as_str())
        .await
}

#[tokio::test]
async fn a_presigned_url_is_checked_against_the_role_of_the_function_that_signed_it() {
    let stack = restricted_stack();
    let dave = sign_up(stack, "iam-dave").await;
    let erin = sign_up(stack, "iam-erin").await;
    let mut d = device(stack, &dave).await;
    let group = request(
        &mut d,
        create_group(&fresh_id("iam-group"), "iam", &[&erin.user_id]),
    )
    .await;
    assert_eq!(group["type"], "group", "{group}");
    let conversation = group["conversation"].as_str().unwrap();
    let bytes = b"hello, files".to_vec();
    let upload = request(
        &mut d,
        upload_url(
            &fresh_id("iam-up"),
            To::Conversation(conversation),
            "a.txt",
            "text/plain",
            bytes.len() as u64,
        ),
    )
    .await;
    assert_eq!(upload["type"], "uploadUrl", "{upload}");
    let http = reqwest::Client::new();
    let mut put = http.put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    let put = put.body(bytes).send().await.expect("PUT the file");
    assert!(
        put.status().is_success(),
        "s3:PutObject is still granted: {}",
        put.status()
    );

    let key = upload["key"].as_str().unwrap();
    let download = request(&mut d, download(&fresh_id("iam-down"), key)).await;
    assert_eq!(download["type"], "downloadUrl", "{download}");
    let fetched = http
        .get(download["url"].as_str().unwrap())
        .send()
        .await
        .expect("GET the file");
    assert_eq!(fetched.status(), reqwest::StatusCode::FORBIDDEN);
    let body = fetched.text().await.unwrap();
    let object = format!("arn:aws:s3:::{}/{key}", stack.bucket);
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(
        body.contains(&format!(
            "assumed-role/parley-local-FilesFunctionRole/parley-local-FilesFunction is not authorized to perform: s3:GetObject on resource: {object}"
        )),
        "{body}"
    );
    log_line(
        stack,
        &[
            "IAM: access denied",
            "FilesFunction",
            "s3:GetObject",
            &object,
        ],
    )
    .await;
}

#[tokio::test]
async fn a_delete_for_everyone_needs_the_messages_role_to_delete_the_attachment() {
    let stack = restricted_stack();
    let fay = sign_up(stack, "iam-fay").await;
    let gus = sign_up(stack, "iam-gus").await;
    let mut f = device(stack, &fay).await;
    let bytes = b"to be deleted".to_vec();
    let upload = request(
        &mut f,
        upload_url(
            &fresh_id("iam-up"),
            To::User(&gus.user_id),
            "b.txt",
            "text/plain",
            bytes.len() as u64,
        ),
    )
    .await;
    assert_eq!(upload["type"], "uploadUrl", "{upload}");
    let mut put = reqwest::Client::new().put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    assert!(put
        .body(bytes.clone())
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let key = upload["key"].as_str().unwrap().to_owned();
    let attachment = parley_protocol::Attachment {
        key: key.clone(),
        name: "b.txt".into(),
        content_type: "text/plain".into(),
        size: bytes.len() as u64,
    };
    let sent = request(
        &mut f,
        send_attachment(&fresh_id("iam-file"), To::User(&gus.user_id), attachment),
    )
    .await;
    assert_eq!(sent["type"], "sent", "{sent}");
    let conversation = sent["conversation"].as_str().unwrap();
    let seq = sent["seq"].as_u64().unwrap();

    let refused = request(
        &mut f,
        change(
            &fresh_id("iam-del"),
            conversation,
            parley_protocol::ChangeKind::Delete,
            seq,
            None,
        ),
    )
    .await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "internal", "{refused}");
    let object = format!("arn:aws:s3:::{}/{key}", stack.bucket);
    log_line(
        stack,
        &[
            "IAM: access denied",
            "MessagesFunction",
            "s3:DeleteObject",
            &object,
        ],
    )
    .await;
    assert_eq!(
        parley_tests::bucket::object_status(stack, &key).await,
        200,
        "the object is still there"
    );
}
