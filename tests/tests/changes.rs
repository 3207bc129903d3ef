//! Changes to messages (issue 16), end to end through the local stack: every change is a new
//! entry of its conversation (its own seq, `sent`, live delivery to every device, sync),
//! naming the message it changes; the server enforces who may make it and when, and `sync`
//! gives each changed message its current state. Windows are reached by backdating the
//! target in the conversation's log (`parley_tests::tables::backdate_logged`), never by a
//! clock in the functions.

use futures_util::future::join_all;
use parley_protocol::limits::EDIT_WINDOW_MS;
use parley_protocol::ChangeKind;
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack;
use parley_tests::tables::{backdate_logged, message_item};
use parley_tests::users::sign_up;
use serde_json::Value;

fn conversation_of(sent: &Value) -> String {
    sent["conversation"]
        .as_str()
        .expect("a conversation")
        .to_owned()
}

/// The synced message at `seq` of `conversation` (panics when the sync has none).
fn synced_at<'a>(synced: &'a Synced, conversation: &str, seq: u64) -> &'a Value {
    synced
        .messages
        .iter()
        .find(|m| m["conversation"] == conversation && m["seq"] == seq)
        .unwrap_or_else(|| panic!("no seq {seq} in the sync: {:?}", synced.messages))
}

/// Sends `frame` and returns the `error` answering it (panics on a `sent`).
async fn refused(client: &mut Client, frame: &parley_protocol::ClientFrame) -> Value {
    let id = frame.id().expect("a send has an id").to_owned();
    client.send(frame).await;
    let reply = client
        .frame_where(&format!("the answer to {id}"), |f| {
            f["id"] == id.as_str() && (f["type"] == "sent" || f["type"] == "error")
        })
        .await;
    assert_eq!(reply["type"], "error", "{id} was accepted: {reply}");
    assert_clean_error(&reply);
    reply
}

#[tokio::test]
async fn an_edit_reaches_every_device_and_a_fresh_sync_gives_the_edited_text() {
    let stack = stack::shared();
    let alice = sign_up(stack, "edit-alice").await;
    let bob = sign_up(stack, "edit-bob").await;
    let mut a = device(stack, &alice).await;
    let mut a2 = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;

    let id = fresh_id("orig");
    let sent = send_and_wait(&mut a, &send_to_user(&id, &bob, "see you at 7")).await;
    let conversation = conversation_of(&sent);
    message_with_id(&mut b, &id).await;
    message_with_id(&mut a2, &id).await;

    let edit_id = fresh_id("edit");
    let edited = send_and_wait(
        &mut a,
        &change(
            &edit_id,
            &conversation,
            ChangeKind::Edit,
            1,
            Some("see you at 8"),
        ),
    )
    .await;
    assert_eq!(edited["seq"], 2, "a change is an entry with its own seq");
    for device in [&mut b, &mut a2] {
        let live = message_with_id(device, &edit_id).await;
        assert_eq!(live["kind"], "edit", "{live}");
        assert_eq!(live["target"], 1, "{live}");
        assert_eq!(live["body"], "see you at 8", "{live}");
        assert_eq!(live["from"], alice.user_id.as_str(), "{live}");
        assert!(
            live.get("state").is_none(),
            "live entries carry no state: {live}"
        );
    }
    // The conversation's log holds every entry, the direct chat's too.
    let logged = message_item(stack, &conversation, "s#000000000001")
        .await
        .expect("the direct chat's log holds its first message");
    assert_eq!(logged["body"].as_s().unwrap(), "see you at 7");

    // A device that syncs afterwards gets the original with its state, and the entry.
    let mut fresh = device(stack, &bob).await;
    let synced = sync_all(&mut fresh, None, None).await;
    let original = synced_at(&synced, &conversation, 1);
    assert_eq!(
        original["body"], "see you at 7",
        "the original as sent: {original}"
    );
    assert_eq!(original["state"]["version"], 2, "{original}");
    assert_eq!(original["state"]["edited"]["seq"], 2, "{original}");
    assert_eq!(
        original["state"]["edited"]["body"], "see you at 8",
        "{original}"
    );
    assert_eq!(
        original["state"]["edited"]["ts"], edited["ts"],
        "{original}"
    );
    let entry = synced_at(&synced, &conversation, 2);
    assert_eq!(entry["kind"], "edit");
    assert!(entry.get("state").is_none(), "{entry}");
    for client in [a, a2, b, fresh] {
        client.close().await;
    }
}

#[tokio::test]
async fn only_the_author_edits_only_messages_and_only_for_15_minutes() {
    let stack = stack::shared();
    let alice = sign_up(stack, "edit-rules-alice").await;
    let bob = sign_up(stack, "edit-rules-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let sent = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "mine")).await;
    let conversation = conversation_of(&sent);
    let first_edit = fresh_id("e");
    send_and_wait(
        &mut a,
        &change(
            &first_edit,
            &conversation,
            ChangeKind::Edit,
            1,
            Some("mine!"),
        ),
    )
    .await;

    // Bob edits Alice's message; Alice edits no message, then the edit entry.
    let cases = [
        (false, 1, "forbidden", "only the author may edit a message"),
        (true, 99, "not_found", "no such message"),
        (true, 2, "bad_request", "only messages can be changed"),
    ];
    for (by_alice, target, code, message) in cases {
        let client = if by_alice { &mut a } else { &mut b };
        let frame = change(
            &fresh_id("x"),
            &conversation,
            ChangeKind::Edit,
            target,
            Some("no"),
        );
        let error = refused(client, &frame).await;
        assert_eq!(error["code"], code, "{error}");
        assert_eq!(error["message"], message, "{error}");
    }

    // Past the window (the target backdated by 15 minutes and a second).
    backdate_logged(stack, &conversation, 1, EDIT_WINDOW_MS + 1_000).await;
    let late = change(
        &fresh_id("late"),
        &conversation,
        ChangeKind::Edit,
        1,
        Some("late"),
    );
    let error = refused(&mut a, &late).await;
    assert_eq!(error["code"], "forbidden", "{error}");
    assert_eq!(
        error["message"], "messages can be edited for 15 minutes after sending",
        "{error}"
    );

    // A refused change stores nothing: the next entry is seq 3, and the state is the first
    // edit's.
    let next = send_and_wait(&mut b, &send_to_user(&fresh_id("n"), &alice, "ok")).await;
    assert_eq!(next["seq"], 3, "{next}");
    let synced = sync_all(&mut b, None, None).await;
    let original = synced_at(&synced, &conversation, 1);
    assert_eq!(original["state"]["version"], 2, "{original}");
    assert_eq!(original["state"]["edited"]["body"], "mine!", "{original}");
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_group_member_edits_their_message_for_every_member() {
    let stack = stack::shared();
    let alice = sign_up(stack, "gedit-alice").await;
    let bob = sign_up(stack, "gedit-bob").await;
    let carol = sign_up(stack, "gedit-carol").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut c = device(stack, &carol).await;
    a.send(&create_group(
        &fresh_id("g"),
        "edits",
        &[bob.user_id.as_str(), carol.user_id.as_str()],
    ))
    .await;
    let group = a.frame_of_type("group").await;
    let conversation = group["conversation"].as_str().unwrap().to_owned();

    let id = fresh_id("gm");
    let sent = send_and_wait(
        &mut b,
        &send_to_conversation(&id, &conversation, "Saturday"),
    )
    .await;
    let seq = sent["seq"].as_u64().unwrap();
    let edit_id = fresh_id("ge");
    send_and_wait(
        &mut b,
        &change(
            &edit_id,
            &conversation,
            ChangeKind::Edit,
            seq,
            Some("Sunday"),
        ),
    )
    .await;
    for device in [&mut a, &mut c] {
        let live = message_with_id(device, &edit_id).await;
        assert_eq!(
            (live["kind"].clone(), live["target"].clone()),
            ("edit".into(), seq.into())
        );
        assert_eq!(live["body"], "Sunday");
    }
    // An admin may not edit someone else's message either.
    let error = refused(
        &mut a,
        &change(
            &fresh_id("ga"),
            &conversation,
            ChangeKind::Edit,
            seq,
            Some("x"),
        ),
    )
    .await;
    assert_eq!(error["code"], "forbidden", "{error}");
    let synced = sync_all(&mut c, None, None).await;
    let original = synced_at(&synced, &conversation, seq);
    assert_eq!(original["state"]["edited"]["body"], "Sunday", "{original}");
    for client in [a, b, c] {
        client.close().await;
    }
}

#[tokio::test]
async fn concurrent_edits_of_one_message_all_apply_in_seq_order() {
    let stack = stack::shared();
    let alice = sign_up(stack, "race-alice").await;
    let bob = sign_up(stack, "race-bob").await;
    let mut devices = devices(stack, &alice, 3).await;
    let sent = send_and_wait(&mut devices[0], &send_to_user(&fresh_id("m"), &bob, "v0")).await;
    let conversation = conversation_of(&sent);
    // Three devices edit the one message at once, three times each: every edit is stored,
    // and the state is the one of the highest seq, whatever order they committed in.
    let rounds = join_all(devices.iter_mut().enumerate().map(|(n, client)| {
        let conversation = conversation.clone();
        async move {
            let mut seqs = Vec::new();
            for round in 0..3 {
                let body = format!("device {n} round {round}");
                let frame = change(
                    &fresh_id("re"),
                    &conversation,
                    ChangeKind::Edit,
                    1,
                    Some(&body),
                );
                let sent = send_and_wait(client, &frame).await;
                seqs.push((sent["seq"].as_u64().unwrap(), body));
            }
            seqs
        }
    }))
    .await;
    let mut all: Vec<(u64, String)> = rounds.into_iter().flatten().collect();
    all.sort();
    let seqs: Vec<u64> = all.iter().map(|(seq, _)| *seq).collect();
    assert_exactly_one_to_n(
        &[&[1][..], &seqs].concat(),
        10,
        "the message and its 9 edits",
    );
    let (last_seq, last_body) = all.last().unwrap().clone();
    let mut b = device(stack, &bob).await;
    let synced = sync_all(&mut b, None, None).await;
    let original = synced_at(&synced, &conversation, 1);
    assert_eq!(original["state"]["version"], last_seq, "{original}");
    assert_eq!(original["state"]["edited"]["seq"], last_seq, "{original}");
    assert_eq!(
        original["state"]["edited"]["body"],
        last_body.as_str(),
        "{original}"
    );
    for client in devices {
        client.close().await;
    }
    b.close().await;
}
