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

/// A group of `owner` and `others`, as the `group` reply names it.
async fn group_of(owner: &mut Client, others: &[&parley_tests::users::TestUser]) -> String {
    let members: Vec<&str> = others.iter().map(|u| u.user_id.as_str()).collect();
    let id = fresh_id("g");
    owner.send(&create_group(&id, "changes", &members)).await;
    let group = owner
        .frame_where("the `group` reply", |f| f["id"] == id.as_str())
        .await;
    assert_eq!(group["type"], "group", "{group}");
    group["conversation"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn reactions_are_one_per_person_replaced_removed_and_told_to_the_author() {
    let stack = stack::shared();
    let alice = sign_up(stack, "react-alice").await;
    let bob = sign_up(stack, "react-bob").await;
    let carol = sign_up(stack, "react-carol").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut c = device(stack, &carol).await;
    let conversation = group_of(&mut a, &[&bob, &carol]).await;
    let sent = send_and_wait(
        &mut a,
        &send_to_conversation(&fresh_id("m"), &conversation, "Saturday?"),
    )
    .await;
    let seq = sent["seq"].as_u64().unwrap();

    let react =
        |id: &str, emoji: &str| change(id, &conversation, ChangeKind::React, seq, Some(emoji));
    let first = fresh_id("r");
    send_and_wait(&mut b, &react(&first, "👍")).await;
    let live = message_with_id(&mut a, &first).await;
    assert_eq!(
        (
            live["kind"].clone(),
            live["target"].clone(),
            live["body"].clone(),
            live["from"].clone()
        ),
        (
            "react".into(),
            seq.into(),
            "👍".into(),
            bob.user_id.as_str().into()
        ),
        "the author's device is told: {live}"
    );
    send_and_wait(&mut c, &react(&fresh_id("r"), "❤️")).await;
    let replaced = send_and_wait(&mut b, &react(&fresh_id("r"), "🎉")).await;

    let mut fresh = device(stack, &alice).await;
    let synced = sync_all(&mut fresh, None, None).await;
    let state = &synced_at(&synced, &conversation, seq)["state"];
    assert_eq!(state["version"], replaced["seq"], "{state}");
    let reactions = state["reactions"].as_object().expect("reactions by user");
    assert_eq!(reactions.len(), 2, "one per person: {state}");
    assert_eq!(reactions[&bob.user_id]["body"], "🎉", "replaced: {state}");
    assert_eq!(reactions[&bob.user_id]["seq"], replaced["seq"], "{state}");
    assert_eq!(reactions[&carol.user_id]["body"], "❤️", "{state}");

    let unreact = fresh_id("u");
    let removed = send_and_wait(
        &mut b,
        &change(&unreact, &conversation, ChangeKind::Unreact, seq, None),
    )
    .await;
    // Live on this device too: taken before the sync, whose output it must not mix into.
    message_with_id(&mut fresh, &unreact).await;
    let synced = sync_all(&mut fresh, None, None).await;
    let state = &synced_at(&synced, &conversation, seq)["state"];
    assert_eq!(state["version"], removed["seq"], "{state}");
    let who: Vec<&String> = state["reactions"].as_object().unwrap().keys().collect();
    assert_eq!(who, [&carol.user_id], "removed: {state}");

    let error = refused(
        &mut b,
        &change(
            &fresh_id("r"),
            &conversation,
            ChangeKind::React,
            999,
            Some("👍"),
        ),
    )
    .await;
    assert_eq!(
        (error["code"].clone(), error["message"].clone()),
        ("not_found".into(), "no such message".into())
    );
    for client in [a, b, c, fresh] {
        client.close().await;
    }
}

#[tokio::test]
async fn concurrent_reactions_of_many_members_are_all_kept() {
    let stack = stack::shared();
    let alice = sign_up(stack, "many-alice").await;
    let mut others = Vec::new();
    for n in 0..4 {
        others.push(sign_up(stack, &format!("many-{n}")).await);
    }
    let mut a = device(stack, &alice).await;
    let conversation = group_of(&mut a, &others.iter().collect::<Vec<_>>()).await;
    let sent = send_and_wait(
        &mut a,
        &send_to_conversation(&fresh_id("m"), &conversation, "vote"),
    )
    .await;
    let seq = sent["seq"].as_u64().unwrap();
    let mut devices = Vec::new();
    for user in &others {
        devices.push(device(stack, user).await);
    }
    // Every state rewrite is conditional on the version read: four reactions at once each
    // land in the state, none overwritten by another.
    join_all(devices.iter_mut().map(|client| {
        let frame = change(
            &fresh_id("r"),
            &conversation,
            ChangeKind::React,
            seq,
            Some("✋"),
        );
        async move { send_and_wait(client, &frame).await }
    }))
    .await;
    let mut fresh = device(stack, &alice).await;
    let synced = sync_all(&mut fresh, None, None).await;
    let state = &synced_at(&synced, &conversation, seq)["state"];
    let mut who: Vec<&str> = state["reactions"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    who.sort();
    let mut expected: Vec<&str> = others.iter().map(|u| u.user_id.as_str()).collect();
    expected.sort();
    assert_eq!(who, expected, "{state}");
    assert_eq!(state["version"], seq + 4, "{state}");
    a.close().await;
    fresh.close().await;
    for client in devices {
        client.close().await;
    }
}

#[tokio::test]
async fn replies_mentions_and_forwards_reach_every_member_as_stored() {
    let stack = stack::shared();
    let alice = sign_up(stack, "reply-alice").await;
    let bob = sign_up(stack, "reply-bob").await;
    let carol = sign_up(stack, "reply-carol").await;
    let outsider = sign_up(stack, "reply-outsider").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut c = device(stack, &carol).await;
    let conversation = group_of(&mut a, &[&bob, &carol]).await;
    let asked = send_and_wait(
        &mut a,
        &send_to_conversation(&fresh_id("q"), &conversation, "who climbs?"),
    )
    .await;
    let asked_seq = asked["seq"].as_u64().unwrap();

    let id = fresh_id("reply");
    let frame = parley_protocol::ClientFrame::Send(parley_protocol::client::Send {
        reply_to: Some(parley_protocol::ReplyTo {
            seq: asked_seq,
            preview: Some("who climbs?".into()),
        }),
        mentions: vec![carol.user_id.clone(), outsider.user_id.clone()],
        forwarded: true,
        ..parley_protocol::client::Send::to_conversation(
            &id,
            conversation_id(&conversation),
            "@carol does",
        )
    });
    let sent = send_and_wait(&mut b, &frame).await;
    for client in [&mut a, &mut c] {
        let live = message_with_id(client, &id).await;
        assert_eq!(
            live["replyTo"],
            serde_json::json!({"seq": asked_seq, "from": alice.user_id, "preview": "who climbs?"}),
            "the quote names the author as stored: {live}"
        );
        assert_eq!(
            live["mentions"],
            serde_json::json!([carol.user_id]),
            "members only: {live}"
        );
        assert_eq!(live["forwarded"], true, "{live}");
    }
    // The mentioned member's stored copy says so (what push and muting read).
    let position = format!(
        "p#{:013}#{}#{:012}",
        sent["ts"].as_i64().unwrap(),
        conversation,
        sent["seq"].as_u64().unwrap()
    );
    let carols = message_item(stack, &carol.user_id, &position)
        .await
        .expect("carol's copy");
    assert_eq!(
        carols.get("mention").and_then(|v| v.as_bool().ok()),
        Some(&true)
    );
    let alices = message_item(stack, &alice.user_id, &position)
        .await
        .expect("alice's copy");
    assert!(!alices.contains_key("mention"));

    let bad = |id: &str, seq: u64| {
        parley_protocol::ClientFrame::Send(parley_protocol::client::Send {
            reply_to: Some(parley_protocol::ReplyTo { seq, preview: None }),
            ..parley_protocol::client::Send::to_conversation(
                id,
                conversation_id(&conversation),
                "re",
            )
        })
    };
    let error = refused(&mut b, &bad(&fresh_id("r"), 999)).await;
    assert_eq!(
        (error["code"].clone(), error["message"].clone()),
        ("not_found".into(), "no such message to reply to".into())
    );
    let react = send_and_wait(
        &mut c,
        &change(
            &fresh_id("r"),
            &conversation,
            ChangeKind::React,
            asked_seq,
            Some("👍"),
        ),
    )
    .await;
    let error = refused(&mut b, &bad(&fresh_id("r"), react["seq"].as_u64().unwrap())).await;
    assert_eq!(error["code"], "bad_request", "{error}");
    for client in [a, b, c] {
        client.close().await;
    }
}

#[tokio::test]
async fn a_reaction_pushes_an_offline_author_only_when_they_asked() {
    let stack = stack::shared();
    let alice = sign_up(stack, "rpush-alice").await;
    let bob = sign_up(stack, "rpush-bob").await;
    let token = fresh_id("fcm-token");
    let mut a = device(stack, &alice).await;
    let sent = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "look")).await;
    let conversation = conversation_of(&sent);
    let reg = fresh_id("reg");
    a.send(&register_push(
        &reg,
        parley_protocol::client::Platform::Fcm,
        &token,
    ))
    .await;
    a.frame_where("pushRegistered", |f| f["id"] == reg.as_str())
        .await;
    close_device(stack, &alice, a, 0).await;

    // Alice is offline and never asked: no push for the reaction.
    let mut b = device(stack, &bob).await;
    let unwanted = send_and_wait(
        &mut b,
        &change(
            &fresh_id("r"),
            &conversation,
            ChangeKind::React,
            1,
            Some("👍"),
        ),
    )
    .await;

    // She asks for reaction pushes, goes offline again; the next reaction wakes her.
    let mut a = device(stack, &alice).await;
    let set = fresh_id("p");
    a.send(&prefs(&set, Some(true))).await;
    let reply = a
        .frame_where("the prefs reply", |f| f["id"] == set.as_str())
        .await;
    assert_eq!(
        reply,
        serde_json::json!({"type": "prefs", "id": set, "reactionPush": true})
    );
    let read = fresh_id("p");
    a.send(&prefs(&read, None)).await;
    let reply = a
        .frame_where("the prefs reply", |f| f["id"] == read.as_str())
        .await;
    assert_eq!(reply["reactionPush"], true, "kept: {reply}");
    close_device(stack, &alice, a, 0).await;
    let wanted = send_and_wait(
        &mut b,
        &change(
            &fresh_id("r"),
            &conversation,
            ChangeKind::React,
            1,
            Some("❤️"),
        ),
    )
    .await;
    // An edit or an unreact never pushes, opted in or not.
    let quiet = send_and_wait(
        &mut b,
        &change(&fresh_id("u"), &conversation, ChangeKind::Unreact, 1, None),
    )
    .await;

    let started = std::time::Instant::now();
    let pushes = loop {
        let pushes = parley_tests::sns::published_to(stack, &token).await;
        if !pushes.is_empty() || started.elapsed() > std::time::Duration::from_secs(20) {
            // The stream is read in order: once the wanted one is out, the others are past.
            tokio::time::sleep(QUIET).await;
            break parley_tests::sns::published_to(stack, &token).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(pushes.len(), 1, "exactly the opted-in reaction: {pushes:?}");
    let text = pushes[0].to_string();
    assert!(
        text.contains(wanted["messageId"].as_str().unwrap()),
        "{text}"
    );
    for other in [&unwanted, &quiet] {
        assert!(
            !text.contains(other["messageId"].as_str().unwrap()),
            "{text}"
        );
    }
    let data: Value = serde_json::from_str(pushes[0]["GCM"].as_str().unwrap()).unwrap();
    assert_eq!(data["fcmV1Message"]["message"]["data"]["type"], "reaction");
    assert!(!text.contains('❤'), "no emoji in a push: {text}");
    b.close().await;
}
