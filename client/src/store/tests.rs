//! The store keeps what it is given across a reopen, and its file is private.

use super::*;
use parley_protocol::client::Send;
use parley_protocol::ChangeKind;

fn conversation() -> ConversationId {
    ConversationId::parse("d:alice:bob").unwrap()
}

fn tokens() -> Tokens {
    Tokens {
        user_id: "alice".into(),
        username: "a@x.io".into(),
        id_token: "id".into(),
        access_token: "access".into(),
        refresh_token: "refresh".into(),
        expires_at: 99,
    }
}

fn message(seq: u64, body: &str) -> Message {
    Message {
        conversation: conversation(),
        seq,
        message_id: format!("m{seq}"),
        id: format!("c{seq}"),
        from: "bob".into(),
        ts: 1,
        body: Some(body.into()),
        attachment: None,
        system: None,
        kind: None,
        target: None,
        reply_to: None,
        mentions: Vec::new(),
        forwarded: false,
        state: Default::default(),
        encryption: None,
        file: None,
        skipped: false,
        timer: None,
        expires_at: None,
    }
}

fn outbox_entry(id: &str) -> OutboxEntry {
    OutboxEntry {
        frame: Send::to_user(id, "bob", "hi"),
        attempts: 0,
        failed: None,
        seal: false,
        plaintext: None,
    }
}

#[test]
fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/parley.redb");
    {
        let store = Store::open(&path).unwrap();
        store.save_tokens(&tokens()).unwrap();
        store.save_cursor("k1").unwrap();
        assert!(store.add_message(&message(1, "one")).unwrap());
        store.push_outbox(&outbox_entry("a")).unwrap();
        store
            .save_marks(
                &conversation(),
                "bob",
                &Marks {
                    delivered: 3,
                    read: 1,
                },
            )
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.tokens().unwrap(), Some(tokens()));
    assert_eq!(store.cursor().unwrap().as_deref(), Some("k1"));
    assert_eq!(
        store.message(&conversation(), 1).unwrap(),
        Some(message(1, "one"))
    );
    assert_eq!(store.outbox().unwrap(), vec![outbox_entry("a")]);
    assert_eq!(
        store.marks(&conversation()).unwrap()["bob"],
        Marks {
            delivered: 3,
            read: 1
        }
    );
    store.clear_tokens().unwrap();
    assert_eq!(store.tokens().unwrap(), None);
}

#[cfg(unix)]
#[test]
fn the_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.redb");
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _store = Store::open(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_message_is_stored_once_per_conversation_and_seq() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s")).unwrap();
    assert!(store.add_message(&message(2, "first")).unwrap());
    assert!(!store.add_message(&message(2, "again")).unwrap());
    assert_eq!(
        store
            .message(&conversation(), 2)
            .unwrap()
            .unwrap()
            .body
            .as_deref(),
        Some("first")
    );
    store.add_message(&message(5, "five")).unwrap();
    store.add_message(&message(3, "three")).unwrap();
    let after: Vec<u64> = store
        .messages_after(&conversation(), 2, 10)
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(after, [3, 5]);
    assert_eq!(
        store.messages_after(&conversation(), 2, 1).unwrap().len(),
        1
    );
}

#[test]
fn the_outbox_keeps_the_order_of_sends_and_edits_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s")).unwrap();
    for id in ["a", "b", "c"] {
        store.push_outbox(&outbox_entry(id)).unwrap();
    }
    let mut b = outbox_entry("b");
    b.attempts = 4;
    store.update_outbox(&b).unwrap();
    store.remove_outbox("a").unwrap();
    store.remove_outbox("nope").unwrap();
    store.push_outbox(&outbox_entry("d")).unwrap();
    let ids: Vec<(String, u32)> = store
        .outbox()
        .unwrap()
        .into_iter()
        .map(|e| (e.frame.id, e.attempts))
        .collect();
    assert_eq!(ids, [("b".into(), 4), ("c".into(), 0), ("d".into(), 0)]);
}

#[test]
fn own_messages_are_found_by_conversation_up_to_a_seq_and_below_a_tick() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s")).unwrap();
    let other = ConversationId::parse("d:alice:carol").unwrap();
    let own = |id: &str, tick| OwnMessage {
        id: id.into(),
        tick,
        audience: vec![],
    };
    store
        .save_own(&conversation(), 1, &own("a", Tick::Read))
        .unwrap();
    store
        .save_own(&conversation(), 2, &own("b", Tick::Sent))
        .unwrap();
    store
        .save_own(&conversation(), 4, &own("c", Tick::Sent))
        .unwrap();
    store.save_own(&other, 1, &own("d", Tick::Sent)).unwrap();
    let found: Vec<u64> = store
        .own_up_to(&conversation(), 3, Tick::Read)
        .unwrap()
        .into_iter()
        .map(|(seq, _)| seq)
        .collect();
    assert_eq!(found, [2]);
}

#[test]
fn a_store_cannot_be_opened_twice_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let _first = Store::open(&path).unwrap();
    assert!(Store::open(&path).is_err());
}

#[test]
fn expired_disappearing_messages_are_purged_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s")).unwrap();
    let keep = message(1, "plain");
    let later = Message {
        expires_at: Some(2_000),
        ..message(2, "later")
    };
    let gone = Message {
        expires_at: Some(1_000),
        ..message(3, "gone")
    };
    for m in [&keep, &later, &gone] {
        store.add_message(m).unwrap();
    }
    assert!(gone.expired(1_000) && !later.expired(1_999) && !keep.expired(i64::MAX));
    assert_eq!(store.purge_expired(1_500).unwrap(), 1);
    assert_eq!(store.message(&conversation(), 3).unwrap(), None);
    assert_eq!(store.message(&conversation(), 2).unwrap(), Some(later));
    assert_eq!(store.message(&conversation(), 1).unwrap(), Some(keep));
}

#[test]
fn an_own_send_learns_its_expiry_from_the_server_s_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s")).unwrap();
    assert!(store.add_message(&message(4, "mine")).unwrap());
    let synced = Message {
        expires_at: Some(9_000),
        ..message(4, "mine")
    };
    assert!(!store.add_message(&synced).unwrap(), "not a new message");
    assert_eq!(store.message(&conversation(), 4).unwrap(), Some(synced));
}

#[test]
fn an_encrypted_message_expires_like_a_plain_one_and_stops_waiting_for_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s")).unwrap();
    let waiting = Message {
        body: None,
        expires_at: Some(1_000),
        encryption: Some(Encryption::WaitingForKey {
            encrypted: "ciphertext".into(),
            session_id: Some("session".into()),
        }),
        ..message(5, "")
    };
    store.add_message(&waiting).unwrap();
    assert_eq!(store.waiting_for_keys().unwrap().len(), 1);
    assert_eq!(store.purge_expired(1_000).unwrap(), 1);
    assert_eq!(store.message(&conversation(), 5).unwrap(), None);
    assert!(store.waiting_for_keys().unwrap().is_empty());
}

#[test]
fn a_timer_entry_is_an_announcement_not_a_change() {
    let entry = Message {
        body: None,
        kind: Some(ChangeKind::Timer),
        timer: Some(86_400),
        ..message(6, "")
    };
    assert!(!entry.is_change());
    let edit = Message {
        kind: Some(ChangeKind::Edit),
        target: Some(5),
        ..message(7, "fixed")
    };
    assert!(edit.is_change());
}
