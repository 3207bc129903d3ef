//! Groups (issue 4), end to end through the local stack, from shared/protocol-v1.md:
//! create/add/remove/leave as stored `system` messages (live and by sync), admins only for
//! add/remove, new members seeing the group from their join on, outsiders and removed
//! members refused everywhere, receipts to the senders only, idempotent group actions, and
//! a group of more than 200 members stored and delivered.

use aws_sdk_dynamodb::types::AttributeValue;
use parley_protocol::{AckStatus, ClientFrame};
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack;
use parley_tests::tables::dynamodb;
use parley_tests::users::{sign_up, TestUser};
use serde_json::Value;

/// Sends a group action and returns its `group` (or `error`) reply.
async fn group_action(client: &mut Client, frame: ClientFrame) -> Value {
    let id = frame.id().expect("an id").to_owned();
    client.send(&frame).await;
    client
        .frame_where(&format!("the reply to {id}"), |f| {
            f["id"] == id.as_str() && (f["type"] == "group" || f["type"] == "error")
        })
        .await
}

/// The live `system` message of `event` in `conversation`.
async fn system_message(client: &mut Client, conversation: &str, event: &str) -> Value {
    client
        .frame_where(&format!("a `{event}` system message"), |f| {
            f["type"] == "message"
                && f["conversation"] == conversation
                && f["system"]["event"] == event
        })
        .await
}

fn sorted(values: &Value) -> Vec<String> {
    let mut list: Vec<String> = values
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {values}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    list.sort();
    list
}

fn ids(users: &[&TestUser]) -> Vec<String> {
    let mut list: Vec<String> = users.iter().map(|u| u.user_id.clone()).collect();
    list.sort();
    list
}

/// Asserts that every messaging action on `conversation` by `client` is refused `forbidden`.
async fn assert_refused_everywhere(client: &mut Client, conversation: &str, who: &str) {
    let id = fresh_id("refused-send");
    client
        .send(&send_to_conversation(&id, conversation, "let me in"))
        .await;
    let error = error_for(client, &id).await;
    assert_eq!(error["code"], "forbidden", "{who} send: {error}");
    assert_clean_error(&error);
    client.send(&ack(conversation, 1, AckStatus::Read)).await;
    assert_eq!(next_error(client).await["code"], "forbidden", "{who} ack");
    client.send(&typing(conversation)).await;
    assert_eq!(
        next_error(client).await["code"],
        "forbidden",
        "{who} typing"
    );
    let leave = group_action(
        client,
        add_members(&fresh_id("refused-add"), conversation, &["someone"]),
    )
    .await;
    assert_eq!(leave["code"], "forbidden", "{who} addMembers: {leave}");
}

#[tokio::test]
async fn a_group_lives_through_create_add_remove_and_leave() {
    let stack = stack::shared();
    let alice = sign_up(stack, "grp-alice").await;
    let bob = sign_up(stack, "grp-bob").await;
    let carol = sign_up(stack, "grp-carol").await;
    let dave = sign_up(stack, "grp-dave").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut c = device(stack, &carol).await;
    let mut d = device(stack, &dave).await;

    // Create: the creator is the first admin; the member hears of it live.
    let create_id = fresh_id("create");
    let created = group_action(
        &mut a,
        create_group(&create_id, "climbers", &[&bob.user_id]),
    )
    .await;
    assert_eq!(created["type"], "group", "{created}");
    let group = created["conversation"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], "climbers");
    assert_eq!(sorted(&created["members"]), ids(&[&alice, &bob]));
    assert_eq!(sorted(&created["admins"]), ids(&[&alice]));
    let live = system_message(&mut b, &group, "created").await;
    assert_eq!(live["seq"], 1);
    assert_eq!(live["from"], alice.user_id.as_str());
    assert_eq!(live["system"]["name"], "climbers");
    assert_eq!(sorted(&live["system"]["members"]), ids(&[&alice, &bob]));

    // A retried createGroup (same id) makes no second group.
    let again = group_action(
        &mut a,
        create_group(&create_id, "climbers", &[&bob.user_id]),
    )
    .await;
    assert_eq!(again["conversation"], group.as_str(), "{again}");
    b.expect_none_where("a second `created`", QUIET, |f| {
        f["system"]["event"] == "created"
    })
    .await;

    let first = send_and_wait(
        &mut a,
        &send_to_conversation(&fresh_id("g1"), &group, "before carol"),
    )
    .await;
    assert_eq!(first["seq"], 2);
    message_with_id(&mut b, first["id"].as_str().unwrap()).await;

    // Only admins add; an outsider is refused everything.
    let refused = group_action(
        &mut b,
        add_members(&fresh_id("add"), &group, &[&carol.user_id]),
    )
    .await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_refused_everywhere(&mut d, &group, "an outsider").await;

    let added = group_action(
        &mut a,
        add_members(&fresh_id("add"), &group, &[&carol.user_id]),
    )
    .await;
    assert_eq!(sorted(&added["members"]), ids(&[&alice, &bob, &carol]));
    let joined = system_message(&mut c, &group, "added").await;
    assert_eq!(joined["seq"], 3);
    assert_eq!(sorted(&joined["system"]["members"]), ids(&[&carol]));
    system_message(&mut b, &group, "added").await;

    // Carol's mailbox starts at the change that added her.
    let synced = sync_all(&mut c, None, None).await;
    assert_eq!(
        seqs_in(&synced.messages, &group),
        vec![3],
        "{:?}",
        synced.messages
    );

    // Receipts go to the senders of the covered messages only, one per acking member.
    let for_carol = send_and_wait(
        &mut b,
        &send_to_conversation(&fresh_id("g2"), &group, "hi carol"),
    )
    .await;
    assert_eq!(for_carol["seq"], 4);
    message_with_id(&mut c, for_carol["id"].as_str().unwrap()).await;
    c.send(&ack(&group, 4, AckStatus::Read)).await;
    let receipt = b.frame_of_type("receipt").await;
    assert_eq!(receipt["by"], carol.user_id.as_str(), "{receipt}");
    assert_eq!(receipt["seq"], 4);
    assert_eq!(receipt["status"], "read");
    a.expect_none_where("a receipt for bob's message", QUIET, |f| {
        f["type"] == "receipt"
    })
    .await;

    // Remove: bob hears of it, then hears nothing more and may do nothing.
    let removed = group_action(
        &mut a,
        remove_members(&fresh_id("remove"), &group, &[&bob.user_id]),
    )
    .await;
    assert_eq!(sorted(&removed["members"]), ids(&[&alice, &carol]));
    let gone = system_message(&mut b, &group, "removed").await;
    assert_eq!(sorted(&gone["system"]["members"]), ids(&[&bob]));
    let after = send_and_wait(
        &mut a,
        &send_to_conversation(&fresh_id("g3"), &group, "after bob"),
    )
    .await;
    message_with_id(&mut c, after["id"].as_str().unwrap()).await;
    b.expect_none_where("a message after the removal", QUIET, |f| {
        f["type"] == "message" && f["id"] == after["id"]
    })
    .await;
    assert_refused_everywhere(&mut b, &group, "a removed member").await;
    let bob_sync = sync_all(&mut b, None, None).await;
    let bob_seqs = seqs_in(&bob_sync.messages, &group);
    assert_eq!(
        bob_seqs,
        vec![1, 2, 3, 4, 5],
        "bob keeps what came before, up to his removal"
    );

    // Anyone may leave.
    let left = group_action(&mut c, leave_group(&fresh_id("leave"), &group)).await;
    assert_eq!(sorted(&left["members"]), ids(&[&alice]));
    let heard = system_message(&mut a, &group, "left").await;
    assert_eq!(heard["from"], carol.user_id.as_str());
    assert_refused_everywhere(&mut c, &group, "a member who left").await;
}

#[tokio::test]
async fn a_group_of_more_than_200_members_is_stored_for_all_and_delivered() {
    let stack = stack::shared();
    let alice = sign_up(stack, "big-alice").await;
    let bob = sign_up(stack, "big-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    // Members who never connect: their mailboxes fill all the same.
    let run = fresh_id("absent");
    let absent: Vec<String> = (0..250).map(|i| format!("{run}-m{i}")).collect();
    let mut members = absent.clone();
    members.push(bob.user_id.clone());
    let created = group_action(
        &mut a,
        create_group(
            &fresh_id("big"),
            "everyone",
            &members.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
    )
    .await;
    assert_eq!(created["type"], "group", "{created}");
    assert_eq!(created["members"].as_array().unwrap().len(), 252);
    let group = created["conversation"].as_str().unwrap().to_owned();

    let sent = send_and_wait(
        &mut a,
        &send_to_conversation(&fresh_id("big-msg"), &group, "hello all"),
    )
    .await;
    assert_eq!(sent["seq"], 2);
    let live = message_with_id(&mut b, sent["id"].as_str().unwrap()).await;
    assert_eq!(live["body"], "hello all");

    let db = dynamodb(stack);
    let table = stack.table("MessagesTable");
    for member in [&absent[0], &absent[124], &absent[249]] {
        let copies = db
            .query()
            .table_name(&table)
            .key_condition_expression("userId = :u AND begins_with(sk, :p)")
            .expression_attribute_values(":u", AttributeValue::S(member.clone()))
            .expression_attribute_values(":p", AttributeValue::S("p#".into()))
            .send()
            .await
            .unwrap();
        let seqs: Vec<&str> = copies
            .items()
            .iter()
            .filter_map(|i| i.get("seq")?.as_n().ok().map(String::as_str))
            .collect();
        assert_eq!(seqs, vec!["1", "2"], "mailbox of {member}");
    }
    let synced = sync_all(&mut b, None, None).await;
    assert_eq!(seqs_in(&synced.messages, &group), vec![1, 2]);
}
