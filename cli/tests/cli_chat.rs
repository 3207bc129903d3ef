//! Two `parley` processes chat through the local stack: Ann runs `parley --json chat <Bob>`
//! (its stdout read line by line), Bob runs `parley --json send <Ann> hello`; Ann's chat
//! prints that message exactly once (and Bob's presence), reacts to it with a `/react` line
//! (printed changed), sends a reply typed on its stdin and, at the end of
//! its input, exits 0 once the reply is stored; Bob's `parley sync` prints the reply. And
//! the exit codes of a send to nobody (2), without a login (1) and to a stack nobody
//! serves (3).

mod common;

use common::{
    command, home, json_line, json_lines, parley, refusal, signed_in_user, stack_file, wait_for,
    WAIT,
};
use parley_tests::stack;
use serde_json::Value;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::time::timeout;

#[tokio::test]
async fn chat_receives_a_send_and_replies() {
    let stack = stack::shared();
    let stack_json = stack_file(stack);
    let (ann_home, bob_home) = (home("ann"), home("bob"));
    let (ann, ann_id) = signed_in_user(&stack_json, &ann_home).await;
    let (bob, bob_id) = signed_in_user(&stack_json, &bob_home).await;

    let mut chat = command(&stack_json, &ann_home, &["chat", &bob])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the chat");
    let mut stdin = chat.stdin.take().unwrap();
    let stdout = chat.stdout.take().unwrap();
    let (line_tx, mut lines) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stdout = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = stdout.next_line().await {
            let value: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if line_tx.send(value).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    // Live from here on (a send before this would come by the chat's sync, also fine).
    wait_for(&mut lines, &mut seen, "the chat's catch-up", |line| {
        line["event"] == "connection" && line["state"] == "synced"
    })
    .await;

    let send = parley(&stack_json, &bob_home, &["send", &ann, "hello"]).await;
    assert_eq!(send.status.code(), Some(0), "{send:?}");
    let sent = json_line(&send.stdout);
    let seq = sent["seq"].as_u64().expect("a seq");
    assert!(seq >= 1, "{sent}");
    let conversation = sent["conversation"].as_str().expect("a conversation");

    let hello = wait_for(&mut lines, &mut seen, "Bob's hello", |line| {
        line["event"] == "message" && line["body"] == "hello"
    })
    .await;
    assert_eq!(hello["from"], bob_id.as_str());
    assert_eq!(hello["seq"], seq);
    assert_eq!(hello["conversation"], conversation);

    // A command line reacts to it: the message is shown again, changed.
    stdin
        .write_all(format!("/react {seq} 👍\n").as_bytes())
        .await
        .unwrap();
    let reacted = wait_for(&mut lines, &mut seen, "the reaction", |line| {
        line["event"] == "changed" && line["seq"] == seq
    })
    .await;
    assert_eq!(reacted["reactions"][0]["by"][0], ann_id.as_str());
    assert_eq!(reacted["text"], "hello");

    stdin.write_all(b"hi back, Bob\n").await.unwrap();
    drop(stdin); // Ctrl-D
    let status = timeout(WAIT, chat.wait())
        .await
        .expect("the chat exits after its input ends")
        .unwrap();
    // The rest of its output: the channel closes when stdout does.
    while let Ok(Some(line)) = timeout(WAIT, lines.recv()).await {
        seen.push(line);
    }
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut chat.stderr.take().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}\n{seen:#?}");
    let hellos = seen
        .iter()
        .filter(|line| line["event"] == "message" && line["body"] == "hello")
        .count();
    assert_eq!(hellos, 1, "printed exactly once: {seen:#?}");
    // The chat watched Bob's presence (he may still be closing his `send`'s connection).
    assert!(
        seen.iter().any(|line| line["event"] == "presence"
            && line["user"] == bob_id.as_str()
            && line["online"].is_boolean()),
        "{seen:#?}"
    );
    // The reply was stored before the chat exited.
    assert!(
        seen.iter()
            .any(|line| line["event"] == "tick" && line["tick"] == "sent"),
        "{seen:#?}"
    );

    let sync = parley(&stack_json, &bob_home, &["sync"]).await;
    assert_eq!(sync.status.code(), Some(0), "{sync:?}");
    let synced = json_lines(&sync.stdout);
    let replies: Vec<&Value> = synced
        .iter()
        .filter(|line| line["body"] == "hi back, Bob")
        .collect();
    assert_eq!(replies.len(), 1, "{synced:#?}");
    assert_eq!(replies[0]["from"], ann_id.as_str());
    assert_eq!(replies[0]["conversation"], conversation);
    // What Bob already has is not printed again.
    let again = parley(&stack_json, &bob_home, &["sync"]).await;
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(json_lines(&again.stdout).is_empty(), "{again:?}");

    // Ann's data folder holds her cursor, messages and outbox: Bob signing in there is
    // refused until she logs out, and logging out forgets everything kept locally.
    let intruder = parley(&stack_json, &ann_home, &["login", &bob]).await;
    assert_eq!(intruder.status.code(), Some(1), "{intruder:?}");
    assert!(
        String::from_utf8_lossy(&intruder.stderr).contains("logout` first"),
        "{intruder:?}"
    );
    let logout = parley(&stack_json, &ann_home, &["logout"]).await;
    assert_eq!(logout.status.code(), Some(0), "{logout:?}");
    assert!(!ann_home.join("parley.redb").exists());
    let bob_here = parley(&stack_json, &ann_home, &["login", &bob]).await;
    assert_eq!(bob_here.status.code(), Some(0), "{bob_here:?}");
}

#[tokio::test]
async fn send_to_nobody_exits_2_without_login_1_and_unreachable_3() {
    let stack = stack::shared();
    let stack_json = stack_file(stack);
    let sender = home("sender");
    signed_in_user(&stack_json, &sender).await;

    let nobody = format!("nobody-{}@example.test", uuid::Uuid::new_v4().simple());
    let refused = parley(&stack_json, &sender, &["send", &nobody, "anyone?"]).await;
    let error = refusal(&refused);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("not a registered user"),
        "{error}"
    );

    let signed_out = home("signed-out");
    let missing = parley(&stack_json, &signed_out, &["send", &nobody, "hi"]).await;
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    assert!(
        json_line(&missing.stderr)["error"]
            .as_str()
            .unwrap()
            .contains("not logged in"),
        "{missing:?}"
    );

    // Signed in, but the stack's WebSocket is a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut description: Value =
        serde_json::from_str(&std::fs::read_to_string(&stack_json).unwrap()).unwrap();
    description["websocketUrl"] = format!("ws://127.0.0.1:{port}/prod").into();
    let dead = sender.join("dead-stack.json");
    std::fs::write(&dead, description.to_string()).unwrap();
    let unreachable = parley(&dead, &sender, &["send", &nobody, "hello?"]).await;
    assert_eq!(unreachable.status.code(), Some(3), "{unreachable:?}");
    assert_eq!(json_line(&unreachable.stderr)["kind"], "unreachable");
}
