//! The client library (parley-client) against the local stack: two library clients chat
//! with ticks reaching read; a restart mid-outbox sends nothing twice and loses nothing; a
//! socket the gateway kills mid-send still ends with the message stored once; a device
//! that was offline gets everything once, in order; a group's ticks wait for every member;
//! files go up and down streamed; a send the gateway answers with its own error is retried
//! and stored once; an edit, a reaction and a reply reach the other client's state (and a
//! new device's, by sync), with presence watched and hidden by privacy; a blocker keeps
//! getting a group where the blocked member wrote (their entries skipped), and a delete for
//! everyone shows on both sides and by sync.

use parley_client::events::{ConnectionState, Event};
use parley_client::store::{Message, Tick};
use parley_client::{ChatChange, Options, PresenceState, Store, To};
use parley_protocol::client::{Audience, Mute};
use parley_protocol::ConversationId;
use parley_tests::library::{open_store, Device, WAIT};
use parley_tests::stack::{self, StackInfo};
use parley_tests::users::{sign_up, TestUser};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;

/// The fault test changes the whole stack's faults: it runs alone; the others share.
static FAULTS: RwLock<()> = RwLock::const_new(());

/// A device on `store` with the library's defaults (encryption on).
fn start(stack: &StackInfo, store: Arc<Store>) -> Device {
    Device::on_store(stack, store, Options::default())
}

/// A fresh device of `user` that syncs everything stored for them, then stops: the
/// messages of `conversation` the server holds.
async fn server_copy(
    stack: &StackInfo,
    user: &TestUser,
    conversation: &ConversationId,
) -> Vec<Message> {
    let dir = tempfile::tempdir().unwrap();
    let mut device = start(stack, open_store(&dir.path().join("audit.redb"), user));
    let mut messages = Vec::new();
    device
        .until("the audit sync", |e| match e {
            Event::Message(m) if &m.conversation == conversation => {
                messages.push(m.clone());
                None
            }
            Event::Connection(ConnectionState::Synced) => Some(()),
            _ => None,
        })
        .await;
    device.stop().await;
    messages
}

fn seqs(messages: &[Message]) -> Vec<u64> {
    messages.iter().map(|m| m.seq).collect()
}

#[tokio::test]
async fn two_clients_chat_and_ticks_reach_read() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "lib-alice").await;
    let bob = sign_up(stack, "lib-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    let mut b = start(stack, open_store(&dir.path().join("b.redb"), &bob));
    a.synced().await;
    b.synced().await;

    let id = a
        .client
        .send_text(To::User(bob.user_id.clone()), "hello bob")
        .await
        .unwrap();
    let mut ticks = Vec::new();
    let (conversation, seq) = a
        .until("the first tick", |e| match e {
            Event::Tick {
                id: got,
                conversation,
                seq,
                tick,
            } if *got == id => {
                ticks.push(*tick);
                Some((conversation.clone(), *seq))
            }
            _ => None,
        })
        .await;
    let got = b.messages_from_others(&bob.user_id, 1).await;
    assert_eq!(got[0].id, id);
    assert_eq!(got[0].body.as_deref(), Some("hello bob"));
    assert_eq!((&got[0].conversation, got[0].seq), (&conversation, seq));
    // Bob's device acked it delivered on arrival. His read waits for that receipt: the two
    // acks are separate invocations that may finish in either order, and a read that lands
    // first takes the tick straight to read (never back to delivered).
    a.until("delivered", |e| match e {
        Event::Tick { id: got, tick, .. } if *got == id => {
            ticks.push(*tick);
            (*tick == Tick::Delivered).then_some(())
        }
        _ => None,
    })
    .await;
    b.client.mark_read(conversation.clone(), seq).unwrap();
    a.until("read", |e| match e {
        Event::Tick { id: got, tick, .. } if *got == id => {
            ticks.push(*tick);
            (*tick == Tick::Read).then_some(())
        }
        _ => None,
    })
    .await;
    assert_eq!(
        ticks,
        [Tick::Sent, Tick::Delivered, Tick::Read],
        "in order, none skipped or repeated"
    );

    // Typing reaches the other member's device.
    b.client.typing(conversation.clone()).unwrap();
    let from = a
        .until("typing", |e| match e {
            Event::Typing {
                conversation: got,
                from,
            } if *got == conversation => Some(from.clone()),
            _ => None,
        })
        .await;
    assert_eq!(from, bob.user_id);

    // And back, by conversation.
    let reply = b
        .client
        .send_text(To::Conversation(conversation.clone()), "hi alice")
        .await
        .unwrap();
    let (_, reply_seq) = b.tick(&reply, Tick::Delivered).await;
    assert_eq!(reply_seq, seq + 1);
    let got = a.messages_from_others(&alice.user_id, 1).await;
    assert_eq!((got[0].id.as_str(), got[0].seq), (reply.as_str(), seq + 1));
}

#[tokio::test]
async fn a_restart_mid_outbox_sends_nothing_twice_and_loses_nothing() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "restart-alice").await;
    let bob = sign_up(stack, "restart-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.redb");
    let mut a = start(stack, open_store(&path, &alice));
    a.synced().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let id = a
            .client
            .send_text(To::User(bob.user_id.clone()), format!("queued {n}"))
            .await
            .unwrap();
        ids.push(id);
    }
    // Stopped at once: sends to one conversation go one at a time, so the first is on the
    // wire (or answered) and the rest wait in the outbox.
    a.stop().await;
    {
        let outbox = Store::open(&path).unwrap().outbox().unwrap();
        // (The worker handles commands in order and flushes frames before reading the next,
        // so the first send was on the wire before it saw the client go, unless it was
        // still being encrypted: that asks the key directory first.)
        assert!(
            !outbox.is_empty() && (outbox.len() < 5 || outbox[0].attempts == 1 || outbox[0].seal),
            "a send went out (or is being encrypted) and others wait: {outbox:?}"
        );
    }

    let mut a = start(stack, open_store(&path, &alice));
    let (conversation, _) = a.tick(ids.last().unwrap(), Tick::Sent).await;
    let stored = server_copy(stack, &bob, &conversation).await;
    let stored_ids: Vec<&str> = stored.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(stored_ids, ids, "each send stored once, in the order made");
    assert_eq!(seqs(&stored), [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_socket_killed_mid_send_ends_with_the_message_stored_once() {
    let _alone = FAULTS.write().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "kill-alice").await;
    let bob = sign_up(stack, "kill-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    a.synced().await;

    // The gateway drops the socket on the next client frame (before or after routing it:
    // the send may be stored with its `sent` lost, or never reach the function).
    set_faults(stack, json!({"seed": 3, "connections": {"drop": 1.0}})).await;
    let id = a
        .client
        .send_text(To::User(bob.user_id.clone()), "through a cut")
        .await
        .unwrap();
    a.until("the cut", |e| {
        matches!(e, Event::Connection(ConnectionState::Disconnected { .. })).then_some(())
    })
    .await;
    set_faults(stack, json!({})).await;
    stored_once_soon_after_the_faults_clear(stack, &mut a, &bob, &id).await;
}

#[tokio::test]
async fn a_device_back_from_offline_gets_everything_once_in_order() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "offline-alice").await;
    let bob = sign_up(stack, "offline-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    a.synced().await;
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(
            a.client
                .send_text(To::User(bob.user_id.clone()), format!("while away {n}"))
                .await
                .unwrap(),
        );
    }
    a.tick(ids.last().unwrap(), Tick::Sent).await;

    // Bob's device comes online for the first time.
    let bob_path = dir.path().join("b.redb");
    let mut b = start(stack, open_store(&bob_path, &bob));
    let got = b.messages_from_others(&bob.user_id, 12).await;
    let got_ids: Vec<&str> = got.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(got_ids, ids, "every message once, in the order sent");
    assert_eq!(seqs(&got), (1..=12).collect::<Vec<_>>());
    b.synced().await;
    b.stop().await;

    // Restarted, it syncs again (the cursor's settle window repeats the last 30 s): nothing
    // is handed out twice.
    let mut b = start(stack, open_store(&bob_path, &bob));
    let mut again = Vec::new();
    b.until("the second sync", |e| match e {
        Event::Message(m) => {
            again.push(m.seq);
            None
        }
        Event::Connection(ConnectionState::Synced) => Some(()),
        _ => None,
    })
    .await;
    assert!(again.is_empty(), "handed out again: {again:?}");
}

/// Once the faults are off, the send `id` (the first message from `a` to `bob`) is retried
/// at once, not after the 30 s reply timeout, and stored exactly once.
async fn stored_once_soon_after_the_faults_clear(
    stack: &StackInfo,
    a: &mut Device,
    bob: &TestUser,
    id: &str,
) {
    let cleared = std::time::Instant::now();
    let (conversation, seq) = a.tick(id, Tick::Sent).await;
    assert!(
        cleared.elapsed() < Duration::from_secs(15),
        "retried on the gateway's error, not after the 30 s reply timeout: {:?}",
        cleared.elapsed()
    );
    assert_eq!(seq, 1);
    let stored = server_copy(stack, bob, &conversation).await;
    assert_eq!(stored.len(), 1, "stored once: {stored:?}");
    assert_eq!(stored[0].id, id);
}

async fn set_faults(stack: &StackInfo, faults: serde_json::Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/_devstack/faults", stack.aws_endpoint))
        .json(&faults)
        .send()
        .await
        .expect("PUT /_devstack/faults");
    assert!(response.status().is_success(), "{response:?}");
}

#[tokio::test]
async fn a_group_message_is_read_once_every_member_read_it() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "grp-alice").await;
    let bob = sign_up(stack, "grp-bob").await;
    let carol = sign_up(stack, "grp-carol").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    let mut b = start(stack, open_store(&dir.path().join("b.redb"), &bob));
    let mut c = start(stack, open_store(&dir.path().join("c.redb"), &carol));
    for device in [&mut a, &mut b, &mut c] {
        device.synced().await;
    }

    let found = a
        .client
        .lookup(vec![bob.email.to_uppercase(), carol.email.clone()], vec![])
        .await
        .unwrap();
    let mut found: Vec<String> = found.into_iter().map(|u| u.user_id).collect();
    found.sort();
    let mut expected = vec![bob.user_id.clone(), carol.user_id.clone()];
    expected.sort();
    assert_eq!(found, expected, "lookup finds both, whatever the case");

    let created = a
        .client
        .create_group("lib team", vec![bob.user_id.clone(), carol.user_id.clone()])
        .await
        .unwrap();
    assert_eq!(created.group.admins, [alice.user_id.as_str()]);
    let conversation = created.conversation.clone();
    // Bob learns of the group from its `created` system message.
    b.until("the group", |e| match e {
        Event::Group {
            conversation: got,
            group,
        } if *got == conversation => Some(group.members.len()),
        _ => None,
    })
    .await;

    let id = a
        .client
        .send_text(To::Conversation(conversation.clone()), "hello team")
        .await
        .unwrap();
    let (_, seq) = a.tick(&id, Tick::Delivered).await;
    // Delivered needed both: each device acks on arrival.
    for device in [&mut b, &mut c] {
        let got = device
            .until("the group message", |e| match e {
                Event::Message(m) if m.id == id => Some(m.clone()),
                _ => None,
            })
            .await;
        assert_eq!((got.seq, got.from.as_str()), (seq, alice.user_id.as_str()));
    }
    b.client.mark_read(conversation.clone(), seq).unwrap();
    c.client.mark_read(conversation.clone(), seq).unwrap();
    let mut ticks = vec![Tick::Delivered];
    a.until("read", |e| match e {
        Event::Tick { id: got, tick, .. } if *got == id => {
            ticks.push(*tick);
            (*tick == Tick::Read).then_some(())
        }
        _ => None,
    })
    .await;
    assert_eq!(ticks, [Tick::Delivered, Tick::Read]);

    // Carol leaves; Alice's device learns of it in order.
    c.client.leave_group(conversation.clone()).await.unwrap();
    let members = a
        .until("the departure", |e| match e {
            Event::Group {
                conversation: got,
                group,
            } if *got == conversation && group.members.len() == 2 => Some(group.members.clone()),
            _ => None,
        })
        .await;
    assert!(!members.contains(&carol.user_id));
}

#[tokio::test]
async fn a_file_goes_up_and_down_streamed_with_progress() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "file-alice").await;
    let bob = sign_up(stack, "file-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    let mut b = start(stack, open_store(&dir.path().join("b.redb"), &bob));
    a.synced().await;
    b.synced().await;

    // Bigger than one read of the file, so progress is reported more than once.
    let content: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
    let source = dir.path().join("photo.bin");
    std::fs::write(&source, &content).unwrap();
    let reports = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = reports.clone();
    let attachment = a
        .client
        .upload(
            &source,
            To::User(bob.user_id.clone()),
            "application/octet-stream",
            move |sent, total| seen.lock().unwrap().push((sent, total)),
        )
        .await
        .unwrap();
    let reports = reports.lock().unwrap().clone();
    assert!(reports.len() > 1, "{reports:?}");
    assert_eq!(reports.last(), Some(&(300_000, 300_000)));
    assert_eq!(attachment.size, 300_000);

    let id = a
        .client
        .send_attachment(To::User(bob.user_id.clone()), attachment.clone(), None)
        .await
        .unwrap();
    let got = b
        .until("the attachment", |e| match e {
            Event::Message(m) if m.id == id => m.attachment.clone(),
            _ => None,
        })
        .await;
    assert_eq!(got, attachment);
    let target = dir.path().join("downloaded.bin");
    let mut last = 0;
    let size = b
        .client
        .download(&got.key, &target, |written, _| last = written)
        .await
        .unwrap();
    assert_eq!((size, last), (300_000, 300_000));
    assert_eq!(std::fs::read(&target).unwrap(), content);
}

#[tokio::test]
async fn a_send_answered_by_the_gateway_s_own_error_is_retried_and_stored_once() {
    let _alone = FAULTS.write().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "crash-alice").await;
    let bob = sign_up(stack, "crash-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    a.synced().await;

    // The messages function is killed as it starts or as it answers: API Gateway answers
    // `{"message": "Internal server error", …}`, naming no frame.
    let http = reqwest::Client::new();
    http.post(format!("{}/_devstack/counters/reset", stack.aws_endpoint))
        .send()
        .await
        .unwrap();
    set_faults(
        stack,
        json!({"seed": 5, "lambda": {"crash": 1.0, "crashWindowMs": 100, "functions": ["MessagesFunction"]}}),
    )
    .await;
    let id = a
        .client
        .send_text(To::User(bob.user_id.clone()), "through a crash")
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let counters: serde_json::Value = http
            .get(format!("{}/_devstack/counters", stack.aws_endpoint))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if counters["faults"]["lambda.crash.MessagesFunction"].as_u64() >= Some(1) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no crash was injected: {counters}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    set_faults(stack, json!({})).await;
    stored_once_soon_after_the_faults_clear(stack, &mut a, &bob, &id).await;
}

#[tokio::test]
async fn a_body_of_the_largest_size_goes_through_in_fragments() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "big-alice").await;
    let bob = sign_up(stack, "big-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    let mut b = start(stack, open_store(&dir.path().join("b.redb"), &bob));
    a.synced().await;
    b.synced().await;

    // 32 KiB of body makes a frame over API Gateway's 32 KB frame limit: sent whole, the
    // connection would be closed with 1009, again and again.
    let body = "é".repeat(parley_protocol::limits::MAX_BODY_BYTES / 2);
    let id = a
        .client
        .send_text(To::User(bob.user_id.clone()), body.clone())
        .await
        .unwrap();
    a.tick(&id, Tick::Sent).await;
    let got = b.messages_from_others(&bob.user_id, 1).await;
    assert_eq!(got[0].body.as_deref(), Some(body.as_str()));
}

#[tokio::test]
async fn chat_settings_reach_the_other_device_live_and_after_its_reconnect() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "lib-chats-alice").await;
    let bob = sign_up(stack, "lib-chats-bob").await;
    let (low, high) = if alice.user_id < bob.user_id {
        (&alice.user_id, &bob.user_id)
    } else {
        (&bob.user_id, &alice.user_id)
    };
    let conversation = ConversationId::parse(&format!("d:{low}:{high}")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut phone = start(stack, open_store(&dir.path().join("phone.redb"), &alice));
    let laptop_store = dir.path().join("laptop.redb");
    let mut laptop = start(stack, open_store(&laptop_store, &alice));
    phone.synced().await;
    laptop.synced().await;
    // After its catch-up sync each device got the (empty) list.
    let first = laptop
        .until("the first listing", |e| match e {
            Event::ChatList(list) => Some(list.clone()),
            _ => None,
        })
        .await;
    assert!(first.is_empty(), "{first:?}");

    let pinned = phone
        .client
        .set_chat(
            conversation.clone(),
            ChatChange {
                mute: Some(Mute::Always),
                pinned: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(pinned.muted_until, Some(-1));
    assert!(pinned.pinned && !pinned.archived);
    let live = laptop
        .until("the change, live", |e| match e {
            Event::ChatSettings(settings) => Some(settings.clone()),
            _ => None,
        })
        .await;
    assert_eq!(live, pinned);

    // The laptop is away while the phone archives the chat; back, it lists it.
    laptop.stop().await;
    let archived = phone
        .client
        .set_chat(
            conversation.clone(),
            ChatChange {
                archived: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(archived.archived && archived.pinned);
    let mut laptop = start(stack, open_store(&laptop_store, &alice));
    let listed = laptop
        .until("the listing after the reconnect", |e| match e {
            Event::ChatList(list) => Some(list.clone()),
            _ => None,
        })
        .await;
    assert_eq!(listed, vec![archived]);
    assert_eq!(laptop.client.chats().await.unwrap(), listed);
}

#[tokio::test]
async fn edits_reactions_and_replies_reach_the_other_client_s_state() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "lib-changes-alice").await;
    let bob = sign_up(stack, "lib-changes-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    let mut b = start(stack, open_store(&dir.path().join("b.redb"), &bob));
    a.synced().await;
    b.synced().await;

    // Alice opens the chat: Bob's presence, watched (his client is connected).
    a.client.watch_presence(bob.user_id.clone()).unwrap();
    let online = a
        .until("Bob's presence", |e| match e {
            Event::Presence { user, online, .. } if *user == bob.user_id => Some(*online),
            _ => None,
        })
        .await;
    assert_eq!(online, Some(true));

    let id = a
        .client
        .send_text(To::User(bob.user_id.clone()), "see you at 6")
        .await
        .unwrap();
    let (conversation, seq) = a.tick(&id, Tick::Sent).await;
    b.messages_from_others(&bob.user_id, 1).await;

    fn changed(e: &Event, seq: u64, done: impl Fn(&Message) -> bool) -> Option<Message> {
        match e {
            Event::Changed { message, .. } if message.seq == seq && done(message) => {
                Some((**message).clone())
            }
            _ => None,
        }
    }

    // Alice edits: Bob's copy shows the new text, marked edited; so does hers.
    a.client
        .edit(conversation.clone(), seq, "see you at 7")
        .await
        .unwrap();
    let edited = b
        .until("the edit", |e| changed(e, seq, |m| m.is_edited()))
        .await;
    assert_eq!(edited.text(), Some("see you at 7"));
    a.until("the edit on Alice's device", |e| {
        changed(e, seq, |m| m.is_edited())
    })
    .await;

    // Bob reacts: Alice sees who and how many.
    b.client
        .react(conversation.clone(), seq, "👍")
        .await
        .unwrap();
    let reacted = a
        .until("the reaction", |e| {
            changed(e, seq, |m| !m.state.reactions.is_empty())
        })
        .await;
    assert_eq!(
        reacted.state.reaction_counts(),
        [("👍".to_owned(), vec![bob.user_id.clone()])]
    );
    assert_eq!(reacted.text(), Some("see you at 7"));

    // Bob replies, quoting the message as his device shows it. The change entries were
    // never messages: the reply is the next message Alice gets.
    let reply = b
        .client
        .reply(conversation.clone(), seq, "7 works")
        .await
        .unwrap();
    let got = a.messages_from_others(&alice.user_id, 1).await;
    assert_eq!(got[0].id, reply);
    let quote = got[0].reply_to.clone().expect("a quote");
    assert_eq!(
        (quote.seq, quote.from.as_str()),
        (seq, alice.user_id.as_str())
    );
    assert_eq!(quote.preview.as_deref(), Some("see you at 7"));
    // The reply went encrypted: its frame carried no preview (the server would keep it in
    // the clear), so the one above came out of the ciphertext.
    assert!(
        matches!(
            got[0].encryption,
            Some(parley_client::store::Encryption::Decrypted { .. })
        ),
        "{:?}",
        got[0].encryption
    );

    // A new device of Bob's gets the message with its state from sync, and no change
    // entry as a message. It was made after they were sent, so it has no key for them (a
    // device reads nothing from before it existed): the edit and the reaction are in the
    // state, encrypted, and show nothing.
    let copy = server_copy(stack, &bob, &conversation).await;
    assert_eq!(seqs(&copy), [seq, got[0].seq], "{copy:#?}");
    assert!(copy[0].is_edited());
    assert!(copy[0].has_sealed_changes(), "{copy:#?}");
    assert_eq!(copy[0].text(), None);
    assert_eq!(copy[0].state.reactions.len(), 1, "{copy:#?}");
    assert!(copy[0].state.reaction_counts().is_empty());

    // Privacy: once Alice shows hers to nobody, she sees no one's (reciprocal).
    assert_eq!(
        a.client.privacy(Some(Audience::Nobody)).await.unwrap(),
        Audience::Nobody
    );
    assert_eq!(
        a.client.presence(bob.user_id.clone()).await.unwrap(),
        PresenceState::default()
    );
    assert_eq!(a.client.privacy(None).await.unwrap(), Audience::Nobody);
}

#[tokio::test]
async fn a_blocker_keeps_getting_a_group_where_the_blocked_member_wrote() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "lib-block-alice").await;
    let bob = sign_up(stack, "lib-block-bob").await;
    let carol = sign_up(stack, "lib-block-carol").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    let mut a2 = start(stack, open_store(&dir.path().join("a2.redb"), &alice));
    let mut b = start(stack, open_store(&dir.path().join("b.redb"), &bob));
    let mut c = start(stack, open_store(&dir.path().join("c.redb"), &carol));
    for device in [&mut a, &mut a2, &mut b, &mut c] {
        device.synced().await;
    }
    let conversation = a
        .client
        .create_group(
            "lib block",
            vec![bob.user_id.clone(), carol.user_id.clone()],
        )
        .await
        .unwrap()
        .conversation;
    for device in [&mut b, &mut c] {
        device
            .until("the group", |e| match e {
                Event::Group {
                    conversation: got, ..
                } => (*got == conversation).then_some(()),
                _ => None,
            })
            .await;
    }

    // Alice blocks Bob on one device; her other device learns it live.
    assert!(a.client.block(bob.user_id.clone(), true).await.unwrap());
    let blocked = a2
        .until("the block on the other device", |e| match e {
            Event::Blocked { user, blocked } if *user == bob.user_id => Some(*blocked),
            _ => None,
        })
        .await;
    assert!(blocked);
    assert_eq!(a.client.blocks().await.unwrap(), vec![bob.user_id.clone()]);

    // Bob writes, then Carol: Alice's devices get Carol's message, not Bob's, and wait on
    // no gap for his seq.
    let from_bob = b
        .client
        .send_text(To::Conversation(conversation.clone()), "bob here")
        .await
        .unwrap();
    let (_, bob_seq) = b.tick(&from_bob, Tick::Sent).await;
    let from_carol = c
        .client
        .send_text(To::Conversation(conversation.clone()), "carol here")
        .await
        .unwrap();
    let (_, carol_seq) = c.tick(&from_carol, Tick::Sent).await;
    assert!(carol_seq > bob_seq);
    for device in [&mut a, &mut a2] {
        let got = device
            .until("the next group message from someone else", |e| match e {
                Event::Message(m) if m.conversation == conversation && m.from != alice.user_id => {
                    Some(m.clone())
                }
                _ => None,
            })
            .await;
        assert_eq!(
            (got.id.as_str(), got.text()),
            (from_carol.as_str(), Some("carol here"))
        );
    }
    // A new device of Alice's syncs the same: Carol's message, nothing of Bob's.
    let copy = server_copy(stack, &alice, &conversation).await;
    assert!(copy.iter().all(|m| m.from != bob.user_id), "{copy:#?}");
    assert_eq!(copy.last().map(|m| m.seq), Some(carol_seq));

    // Alice may not write to Bob directly while she blocks him.
    let refused = a
        .client
        .send_text(To::User(bob.user_id.clone()), "hi")
        .await
        .unwrap();
    let message = a
        .until("the refusal", |e| match e {
            Event::SendFailed { id, message, .. } if *id == refused => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(message, "unblock this user to message them");

    // Unblocked: Bob's next message reaches her.
    assert!(!a.client.block(bob.user_id.clone(), false).await.unwrap());
    assert!(a.client.blocks().await.unwrap().is_empty());
    let again = b
        .client
        .send_text(To::Conversation(conversation.clone()), "bob again")
        .await
        .unwrap();
    let got = a.messages_from_others(&alice.user_id, 1).await;
    assert_eq!(got[0].id, again);
}

#[tokio::test]
async fn a_delete_for_everyone_shows_deleted_on_both_sides_and_by_sync() {
    let _shared = FAULTS.read().await;
    let stack = stack::shared();
    let alice = sign_up(stack, "lib-delete-alice").await;
    let bob = sign_up(stack, "lib-delete-bob").await;
    let dir = tempfile::tempdir().unwrap();
    let mut a = start(stack, open_store(&dir.path().join("a.redb"), &alice));
    let mut b = start(stack, open_store(&dir.path().join("b.redb"), &bob));
    a.synced().await;
    b.synced().await;

    let id = a
        .client
        .send_text(To::User(bob.user_id.clone()), "oops, wrong chat")
        .await
        .unwrap();
    let (conversation, seq) = a.tick(&id, Tick::Sent).await;
    b.messages_from_others(&bob.user_id, 1).await;

    a.client
        .delete_for_everyone(conversation.clone(), seq)
        .await
        .unwrap();
    for device in [&mut a, &mut b] {
        let deleted = device
            .until("the delete", |e| match e {
                Event::Changed { message, .. } if message.seq == seq => Some((**message).clone()),
                _ => None,
            })
            .await;
        assert!(deleted.state.is_deleted());
        assert_eq!(deleted.text(), None);
        assert_eq!(
            deleted.state.deleted.map(|d| d.by),
            Some(alice.user_id.clone())
        );
    }
    // A new device of Bob's gets it deleted, its text gone from the server.
    let copy = server_copy(stack, &bob, &conversation).await;
    assert_eq!(seqs(&copy), [seq]);
    assert!(copy[0].state.is_deleted());
    assert_eq!(copy[0].body, None);
}
