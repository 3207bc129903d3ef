//! Changes to messages and presence through `parley` against the local stack: Ana edits her
//! message and Ben's `sync` prints it changed; Ben reacts, replies (quoting it) and takes
//! his reaction back, and Ana's `sync` prints each; Ben may not edit Ana's message (exit 2);
//! a forward is marked; a group message's `@` mention names the member; presence is shown,
//! then hidden once Ben picks `nobody`. (Delete for everyone is refused by the server until
//! it is built: the library's unit tests cover how a delete shows.)

mod common;

use common::{home, json_line, json_lines, parley, refusal, signed_in_user, stack_file};
use parley_tests::stack;
use serde_json::{json, Value};
use std::path::Path;

/// `parley sync`'s lines (it must exit 0).
async fn sync(stack_json: &Path, home: &Path) -> Vec<Value> {
    let synced = parley(stack_json, home, &["sync"]).await;
    assert_eq!(synced.status.code(), Some(0), "{synced:?}");
    json_lines(&synced.stdout)
}

/// Runs a command that must exit 0 and print one line (a `sent`, a setting).
async fn done(stack_json: &Path, home: &Path, args: &[&str]) -> Value {
    let output = parley(stack_json, home, args).await;
    assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
    json_line(&output.stdout)
}

/// The last `changed` line of message `seq`: by the `kind` entry, or by a sync's state
/// (`change: null`: a sync repeats recent messages, and one changed since carries its state,
/// which already holds the entry that follows it).
fn changed_of(lines: &[Value], seq: u64, kind: &str) -> Value {
    let last = lines
        .iter()
        .rfind(|l| l["event"] == "changed" && l["seq"] == seq)
        .unwrap_or_else(|| panic!("no change of #{seq}: {lines:#?}"))
        .clone();
    let change = &last["change"];
    assert!(change.is_null() || change["kind"] == kind, "{lines:#?}");
    last
}

#[tokio::test]
async fn edits_reactions_replies_forwards_mentions_and_presence() {
    let stack = stack::shared();
    let stack_json = stack_file(stack);
    let (ana_home, ben_home) = (home("changes-ana"), home("changes-ben"));
    let (ana, ana_id) = signed_in_user(&stack_json, &ana_home).await;
    let (ben, ben_id) = signed_in_user(&stack_json, &ben_home).await;

    let sent = done(&stack_json, &ana_home, &["send", &ben, "lunch at 12?"]).await;
    let seq = sent["seq"].as_u64().unwrap();
    let seq_text = seq.to_string();
    let first = sync(&stack_json, &ben_home).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0]["text"], "lunch at 12?");

    done(
        &stack_json,
        &ana_home,
        &["edit", &ben, &seq_text, "lunch at 1?"],
    )
    .await;
    let lines = sync(&stack_json, &ben_home).await;
    let edited = changed_of(&lines, seq, "edit");
    assert_eq!(edited["text"], "lunch at 1?");
    assert_eq!(edited["edited"], true);
    assert_eq!(
        edited["body"], "lunch at 12?",
        "the original stays the body"
    );
    assert!(
        lines.iter().all(|l| l["event"] != "message"),
        "a change is not a message: {lines:#?}"
    );

    let refused = refusal(&parley(&stack_json, &ben_home, &["edit", &ana, &seq_text, "no"]).await);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("only the author"),
        "{refused}"
    );

    done(&stack_json, &ben_home, &["react", &ana, &seq_text, "👍"]).await;
    let reply = done(
        &stack_json,
        &ben_home,
        &["send", &ana, "1 works", "--reply", &seq_text],
    )
    .await;
    let lines = sync(&stack_json, &ana_home).await;
    let reacted = changed_of(&lines, seq, "react");
    assert_eq!(
        reacted["reactions"],
        json!([{"emoji": "👍", "count": 1, "by": [ben_id]}])
    );
    let quoted = lines
        .iter()
        .find(|l| l["event"] == "message" && l["seq"] == reply["seq"])
        .unwrap_or_else(|| panic!("the reply: {lines:#?}"));
    assert_eq!(
        quoted["replyTo"],
        json!({"seq": seq, "from": ana_id, "preview": "lunch at 1?"})
    );

    done(
        &stack_json,
        &ben_home,
        &["react", &ana, &seq_text, "--undo"],
    )
    .await;
    let lines = sync(&stack_json, &ana_home).await;
    assert_eq!(changed_of(&lines, seq, "unreact")["reactions"], json!([]));

    // Ana forwards her (edited) message; Ben sees it marked.
    done(&stack_json, &ana_home, &["forward", &ben, &seq_text, &ben]).await;
    let lines = sync(&stack_json, &ben_home).await;
    let forwarded = lines
        .iter()
        .find(|l| l["event"] == "message" && l["forwarded"] == true)
        .unwrap_or_else(|| panic!("the forward: {lines:#?}"));
    assert_eq!(forwarded["text"], "lunch at 1?");

    // In a group, `@` and the start of a member's id mentions them.
    let group = done(&stack_json, &ana_home, &["group", "create", "lunch", &ben]).await;
    let conversation = group["conversation"].as_str().unwrap();
    let mention = format!("@{} bring the menu", &ben_id[..8]);
    done(&stack_json, &ana_home, &["send", conversation, &mention]).await;
    let lines = sync(&stack_json, &ben_home).await;
    let mentioned = lines
        .iter()
        .find(|l| l["event"] == "message" && l["text"] == mention.as_str())
        .unwrap_or_else(|| panic!("the mention: {lines:#?}"));
    assert_eq!(mentioned["mentions"], json!([ben_id]));

    // Presence: shown (Ben is offline between commands, or just closing one), then
    // hidden once he shows it to nobody.
    let shown = done(&stack_json, &ana_home, &["presence", &ben]).await;
    assert_eq!(shown["user"], ben_id.as_str());
    assert!(shown["online"].is_boolean(), "{shown}");
    let privacy = done(
        &stack_json,
        &ben_home,
        &["privacy", "nobody", "--reaction-push", "on"],
    )
    .await;
    assert_eq!(privacy, json!({"lastSeen": "nobody", "reactionPush": true}));
    assert_eq!(
        done(&stack_json, &ben_home, &["privacy"]).await,
        privacy,
        "read back"
    );
    let hidden = done(&stack_json, &ana_home, &["presence", &ben]).await;
    assert_eq!(
        hidden,
        json!({"event": "presence", "user": ben_id, "online": null, "lastSeen": null})
    );
}
