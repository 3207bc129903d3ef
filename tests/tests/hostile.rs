//! Hostile input (issue 8), end to end: every malformed frame a careless or hostile client
//! could send — wrong types, huge numbers, deep nesting, invalid UTF-8 and lone surrogates,
//! fields near the 128 KiB message limit, unknown fields, null ids and actions, frames that
//! are not objects — gets the right `error` (or, where the contract allows it, is served),
//! and the connection keeps working: a valid send after each one gets `sent` at the next seq.

use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack;
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};

/// API Gateway's largest WebSocket frame: bigger messages go fragmented.
const FRAME_LIMIT: usize = 32 * 1024;

/// What a hostile frame must get back.
enum Expect {
    /// An `error` with this code, echoing this id (`None`: no `id` in the reply).
    Error(&'static str, Option<String>),
    /// The frame is valid despite its oddity: a `sent` for this id.
    Sent(String),
    /// A valid `sync`: a `synced` comes back.
    Synced,
}

/// The conversation with Bob, whose seqs tell that refused frames stored nothing.
struct Session<'a> {
    alice: Client,
    bob: Client,
    to: &'a TestUser,
    next_seq: u64,
    cases: u32,
}

impl Session<'_> {
    /// Sends `text` (fragmented when over one frame) and checks the reply, then shows the
    /// connection still works and that refused frames took no seq.
    async fn case(&mut self, case: &str, text: &str, expect: Expect) {
        if text.len() > FRAME_LIMIT {
            self.alice.send_fragmented(text, FRAME_LIMIT).await;
        } else {
            self.alice.send_text(text).await;
        }
        self.check(case, expect).await;
    }

    async fn check(&mut self, case: &str, expect: Expect) {
        match expect {
            Expect::Error(code, id) => {
                let error = match &id {
                    Some(id) => error_for(&mut self.alice, id).await,
                    None => next_error(&mut self.alice).await,
                };
                assert_eq!(error["code"], code, "{case}: {error}");
                assert!(error["message"].is_string(), "{case}: {error}");
                assert_clean_error(&error);
                match id {
                    Some(id) => assert_eq!(error["id"], id.as_str(), "{case}: {error}"),
                    None => assert!(error.get("id").is_none(), "{case}: {error}"),
                }
            }
            Expect::Sent(id) => {
                let sent = sent_for(&mut self.alice, &id).await;
                assert_eq!(sent["seq"], self.next_seq, "{case}: {sent}");
                message_with_id(&mut self.bob, &id).await;
                self.next_seq += 1;
            }
            Expect::Synced => {
                let synced = self.alice.frame_of_type("synced").await;
                assert!(synced["more"].is_boolean(), "{case}: {synced}");
            }
        }
        self.still_usable(case).await;
    }

    /// A `sync` answered after every case; a valid send after every few (each one spends a
    /// token of the sender's rate limit, a burst of 60) and at the end of each group.
    async fn still_usable(&mut self, case: &str) {
        self.cases += 1;
        if self.cases % 8 == 1 {
            self.send_works(case).await;
        } else {
            self.alice.pending.clear();
            self.alice.send(&sync_frame(None, Some(1))).await;
            let synced = self.alice.frame_of_type("synced").await;
            assert!(synced["more"].is_boolean(), "after {case}: {synced}");
        }
        // Sync output and live copies of earlier cases are not needed again.
        self.alice.pending.clear();
    }

    async fn send_works(&mut self, case: &str) {
        let id = fresh_id("valid");
        let sent = send_and_wait(&mut self.alice, &send_to_user(&id, self.to, "fine")).await;
        assert_eq!(sent["seq"], self.next_seq, "after {case}: {sent}");
        message_with_id(&mut self.bob, &id).await;
        self.next_seq += 1;
    }
}

fn bad(id: Option<&str>) -> Expect {
    Expect::Error("bad_request", id.map(str::to_owned))
}

/// `depth` arrays nested inside one another.
fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// `depth` objects nested inside one another under key `a`.
fn nested_objects(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

#[tokio::test]
async fn every_malformed_frame_gets_its_error_and_the_connection_keeps_working() {
    let stack = stack::shared();
    let alice = sign_up(stack, "hostile-alice").await;
    let bob = sign_up(stack, "hostile-bob").await;
    let mut s = Session {
        alice: device(stack, &alice).await,
        bob: device(stack, &bob).await,
        to: &bob,
        next_seq: 1,
        cases: 0,
    };
    s.still_usable("nothing yet").await;
    let to = bob.user_id.as_str();
    let conversation = format!(
        "d:{}",
        if alice.user_id < bob.user_id {
            format!("{}:{}", alice.user_id, bob.user_id)
        } else {
            format!("{}:{}", bob.user_id, alice.user_id)
        }
    );

    // ---- frames that are not JSON objects
    for (case, text) in [
        ("an empty frame", ""),
        ("whitespace", "   \n\t "),
        ("an empty array", "[]"),
        ("an array holding a send", r#"[{"action":"send"}]"#),
        ("a JSON string", r#""send""#),
        ("a number", "42"),
        ("null", "null"),
        ("true", "true"),
        ("truncated JSON", r#"{"action":"send","id":"t1","#),
        ("trailing garbage", r#"{"action":"sync"} x"#),
        ("two objects", r#"{"action":"sync"}{"action":"sync"}"#),
        ("a NUL byte", "\u{0}"),
    ] {
        s.case(case, text, bad(None)).await;
    }

    // ---- the action: null, wrong types, empty, unknown, a route's reserved name
    for (case, action) in [
        ("a null action", json!(null)),
        ("a numeric action", json!(7)),
        ("an action object", json!({"send": true})),
        ("an action array", json!(["send"])),
        ("an empty action", json!("")),
        ("an unknown action", json!("fly")),
        ("$connect as action", json!("$connect")),
        ("$disconnect as action", json!("$disconnect")),
        ("$default as action", json!("$default")),
        ("a control character action", json!("se\u{1}nd")),
    ] {
        let id = fresh_id("action");
        let frame = json!({"action": action, "id": id, "toUser": to, "body": "x"});
        s.case(case, &frame.to_string(), bad(Some(&id))).await;
    }
    s.case("no action at all", r#"{"id":"a1"}"#, bad(Some("a1")))
        .await;

    // ---- ids: null, wrong types, invalid (never echoed)
    for (case, id) in [
        ("a null id", json!(null)),
        ("a numeric id", json!(12)),
        ("an object id", json!({"id": "x"})),
        ("an array id", json!(["x"])),
        ("an id with a space", json!("a b")),
        ("an id with a quote", json!("a\"b")),
        ("an id over 64 characters", json!("i".repeat(65))),
        ("a non-ASCII id", json!("idé")),
    ] {
        for frame in [
            json!({"action": "send", "id": id, "toUser": to, "body": "x"}),
            json!({"action": "lookup", "id": id, "emails": ["a@example.test"]}),
        ] {
            s.case(case, &frame.to_string(), bad(None)).await;
        }
    }

    // ---- wrong types of every field
    let id = || fresh_id("types");
    let typed_cases: Vec<(&str, String, Value)> = {
        let mut cases = Vec::new();
        for (case, field, value) in [
            ("toUser as a number", "toUser", json!(5)),
            ("toUser as null", "toUser", json!(null)),
            ("toUser as an object", "toUser", json!({"id": to})),
            ("body as a number", "body", json!(5)),
            ("body as an array", "body", json!(["hi"])),
            ("body as an object", "body", json!({"text": "hi"})),
            ("body as true", "body", json!(true)),
            ("attachment as a string", "attachment", json!("file")),
            (
                "attachment with wrong fields",
                "attachment",
                json!({"key": 1}),
            ),
        ] {
            let id = id();
            let mut frame = json!({"action": "send", "id": id, "toUser": to, "body": "x"});
            frame[field] = value;
            cases.push((case, id, frame));
        }
        let id1 = id();
        cases.push((
            "conversation as a number",
            id1.clone(),
            json!({"action": "send", "id": id1, "conversation": 3, "body": "x"}),
        ));
        let id2 = id();
        cases.push((
            "emails as a string",
            id2.clone(),
            json!({"action": "lookup", "id": id2, "emails": "a@example.test"}),
        ));
        let id3 = id();
        cases.push((
            "emails holding numbers",
            id3.clone(),
            json!({"action": "lookup", "id": id3, "emails": [1, 2]}),
        ));
        let id4 = id();
        cases.push((
            "phones as an object",
            id4.clone(),
            json!({"action": "lookup", "id": id4, "phones": {"a": "+15550100"}}),
        ));
        cases
    };
    for (case, id, frame) in typed_cases {
        s.case(case, &frame.to_string(), bad(Some(&id))).await;
    }
    for (case, frame) in [
        (
            "a cursor as a number",
            json!({"action": "sync", "cursor": 5}),
        ),
        (
            "a limit as a string",
            json!({"action": "sync", "limit": "10"}),
        ),
        (
            "an ack conversation as an array",
            json!({"action": "ack", "conversation": [conversation], "seq": 1, "status": "read"}),
        ),
        (
            "an ack seq as a string",
            json!({"action": "ack", "conversation": conversation, "seq": "1", "status": "read"}),
        ),
        (
            "an ack status as a number",
            json!({"action": "ack", "conversation": conversation, "seq": 1, "status": 1}),
        ),
        (
            "typing with a null conversation",
            json!({"action": "typing", "conversation": null}),
        ),
    ] {
        s.case(case, &frame.to_string(), bad(None)).await;
    }

    // ---- huge and odd numbers (written as text: JSON allows what serde_json's Value drops)
    for number in [
        "1e308",
        "-1e308",
        "1e999",
        "-1",
        "0",
        "1.5",
        "18446744073709551616",
        "-9223372036854775809",
        "123456789012345678901234567890",
    ] {
        let ack = format!(
            r#"{{"action":"ack","conversation":"{conversation}","seq":{number},"status":"read"}}"#
        );
        s.case(&format!("ack seq {number}"), &ack, bad(None)).await;
        let sync = format!(r#"{{"action":"sync","limit":{number}}}"#);
        s.case(&format!("sync limit {number}"), &sync, bad(None))
            .await;
    }
    // A null field is an absent one: a default page.
    s.case(
        "a sync limit of null",
        r#"{"action":"sync","limit":null}"#,
        Expect::Synced,
    )
    .await;
    // The largest u64 is a valid limit, served as the largest page.
    s.case(
        "sync limit 2^64-1",
        r#"{"action":"sync","limit":18446744073709551615}"#,
        Expect::Synced,
    )
    .await;

    // ---- deep nesting: 10,000 levels, inside a send and as the whole frame
    for (case, text) in [
        (
            "10,000 nested arrays in a send",
            format!(
                r#"{{"action":"send","id":"deep1","toUser":"{to}","body":"x","extra":{}}}"#,
                nested_arrays(10_000)
            ),
        ),
        (
            "10,000 nested objects in a send",
            format!(
                r#"{{"action":"send","id":"deep2","toUser":"{to}","body":"x","extra":{}}}"#,
                nested_objects(10_000)
            ),
        ),
        ("10,000 nested arrays as the frame", nested_arrays(10_000)),
        (
            "an unclosed nesting of 50,000",
            format!(r#"{{"action":"sync","x":{}"#, "[".repeat(50_000)),
        ),
    ] {
        s.case(case, &text, bad(None)).await;
    }
    // Nesting within serde_json's limit is just an unknown field.
    let id = fresh_id("nested");
    let frame = format!(
        r#"{{"action":"send","id":"{id}","toUser":"{to}","body":"x","extra":{}}}"#,
        nested_arrays(100)
    );
    s.case("100 nested arrays in a send", &frame, Expect::Sent(id))
        .await;

    // ---- invalid UTF-8: as a binary frame, and as lone surrogate escapes in a text frame
    let id = fresh_id("binary");
    let mut bytes =
        format!(r#"{{"action":"send","id":"{id}","toUser":"{to}","body":""#).into_bytes();
    bytes.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
    bytes.extend_from_slice(br#""}"#);
    s.alice.send_binary(bytes).await;
    s.check("a binary frame with invalid UTF-8", bad(None))
        .await;
    let id = fresh_id("binary-valid");
    let frame = send_to_user(&id, &bob, "valid JSON, but binary").to_json();
    s.alice.send_binary(frame.into_bytes()).await;
    s.check("a valid send as a binary frame", bad(None)).await;
    for (case, escape) in [
        ("a lone high surrogate", r"\ud800"),
        ("a lone low surrogate", r"\udc00"),
        ("a reversed surrogate pair", r"\udc00\ud800"),
        ("a high surrogate at the end", r"abc\udbff"),
    ] {
        let id = fresh_id("surrogate");
        let text = format!(r#"{{"action":"send","id":"{id}","toUser":"{to}","body":"{escape}"}}"#);
        s.case(case, &text, bad(None)).await;
        let text = format!(r#"{{"action":"send","id":"{id}{escape}","toUser":"{to}","body":"x"}}"#);
        s.case(&format!("{case} in the id"), &text, bad(None)).await;
    }
    // A proper pair is a valid character.
    let id = fresh_id("pair");
    let text = format!(r#"{{"action":"send","id":"{id}","toUser":"{to}","body":"\ud83d\ude00"}}"#);
    s.case("a valid surrogate pair", &text, Expect::Sent(id))
        .await;

    // ---- fields near the 128 KiB message limit, fragmented into 32 KiB frames
    let big = "z".repeat(120 * 1024);
    let id = fresh_id("big-body");
    s.case(
        "a 120 KiB body",
        &send_to_user(&id, &bob, &big).to_json(),
        Expect::Error("too_large", Some(id.clone())),
    )
    .await;
    let id = fresh_id("big-unknown");
    let mut frame = as_json(&send_to_user(&id, &bob, "x"));
    frame["padding"] = json!(big);
    s.case(
        "a 120 KiB unknown field",
        &frame.to_string(),
        Expect::Sent(id),
    )
    .await;
    s.case(
        "a 120 KiB id",
        &json!({"action": "send", "id": big, "toUser": to, "body": "x"}).to_string(),
        bad(None),
    )
    .await;
    let id = fresh_id("big-to");
    s.case(
        "a 120 KiB toUser",
        &json!({"action": "send", "id": id, "toUser": big, "body": "x"}).to_string(),
        bad(Some(&id)),
    )
    .await;
    let id = fresh_id("big-conversation");
    s.case(
        "a 120 KiB conversation",
        &json!({"action": "send", "id": id, "conversation": big, "body": "x"}).to_string(),
        bad(Some(&id)),
    )
    .await;
    s.case(
        "a 120 KiB action",
        &json!({"action": big, "id": "big-action"}).to_string(),
        bad(Some("big-action")),
    )
    .await;
    s.case(
        "a 120 KiB cursor",
        &json!({"action": "sync", "cursor": big}).to_string(),
        bad(None),
    )
    .await;
    let id = fresh_id("big-email");
    s.case(
        "a 120 KiB email",
        &json!({"action": "lookup", "id": id, "emails": [big]}).to_string(),
        bad(Some(&id)),
    )
    .await;
    let id = fresh_id("many-emails");
    let many: Vec<String> = (0..5000).map(|n| format!("e{n}@x.io")).collect();
    s.case(
        "5,000 emails",
        &json!({"action": "lookup", "id": id, "emails": many}).to_string(),
        bad(Some(&id)),
    )
    .await;

    // ---- unknown fields are ignored: the contract may grow
    let id = fresh_id("unknown");
    let mut frame = as_json(&send_to_user(&id, &bob, "with extras"));
    frame["color"] = json!("red");
    frame["__proto__"] = json!({"admin": true});
    frame["from"] = json!("someone-else");
    frame["seq"] = json!(999);
    s.case(
        "unknown and spoofing fields",
        &frame.to_string(),
        Expect::Sent(id),
    )
    .await;
    s.case(
        "a sync with unknown fields",
        r#"{"action":"sync","bogus":[1,{"x":null}]}"#,
        Expect::Synced,
    )
    .await;
    s.send_works("the end").await;
    // The stored message names the real sender, whatever the frame claimed.
    let mut b = device(stack, &bob).await;
    let synced = sync_all(&mut b, None, None).await;
    for message in &synced.messages {
        assert_eq!(
            message["from"],
            alice.user_id.as_str(),
            "a spoofed sender: {message}"
        );
    }
    let seqs = seqs_in(&synced.messages, &conversation);
    assert_exactly_one_to_n(&seqs, s.next_seq - 1, "every stored message of the chat");
}
