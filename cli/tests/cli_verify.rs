//! Two `parley` processes verify each other's devices through the local stack: Bob runs
//! `parley --json verify --accept`, Ann `parley --json verify <Bob>`; both print the same
//! seven emoji and ask "Do they match? [y/N]" on stderr, answered on their stdin. Both "y":
//! both print done and exit 0, and `parley devices` lists the other's device as verified.
//! Bob's "n": both print the cancellation (m.mismatched_sas), exit 2, and nothing is
//! verified.

mod common;

use common::{command, home, json_lines, parley, signed_in_user, stack_file, wait_for, WAIT};
use parley_tests::stack;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// A running `parley verify`: its stdin, and its stdout's JSON lines.
struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<Value>,
}

fn spawn(stack_json: &Path, home: &Path, args: &[&str]) -> Running {
    let mut child = command(stack_json, home, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start parley verify");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (line_tx, lines) = mpsc::unbounded_channel();
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
    Running {
        child,
        stdin,
        lines,
    }
}

impl Running {
    /// The next `verification` line in state `state`.
    async fn state(&mut self, state: &str) -> Value {
        let mut seen = Vec::new();
        wait_for(&mut self.lines, &mut seen, state, |line| {
            line["event"] == "verification" && line["state"] == state
        })
        .await
    }

    async fn answer(&mut self, answer: &str) {
        self.stdin
            .write_all(format!("{answer}\n").as_bytes())
            .await
            .unwrap();
    }

    async fn exit_code(mut self) -> Option<i32> {
        timeout(WAIT, self.child.wait())
            .await
            .expect("parley verify ends")
            .unwrap()
            .code()
    }
}

/// Whether `home`'s user lists `device` of `who` as verified.
async fn verified(stack_json: &Path, home: &Path, who: &str, device: &str) -> bool {
    let output = parley(stack_json, home, &["devices", who]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines = json_lines(&output.stdout);
    let found = lines
        .iter()
        .find(|l| l["event"] == "device" && l["deviceId"] == device)
        .unwrap_or_else(|| panic!("no device {device}: {lines:#?}"));
    found["verified"].as_bool().unwrap()
}

/// Ann's and Bob's `parley verify`, both showing the code.
struct Pair {
    ann: Running,
    bob: Running,
    ann_home: PathBuf,
    ann_id: String,
    ann_device: String,
    bob_home: PathBuf,
    bob_id: String,
    bob_device: String,
}

/// Ann asks Bob's only device, Bob accepts: both show the same code.
async fn until_codes(stack_json: &Path, name: &str) -> Pair {
    let (ann_home, bob_home) = (home(&format!("{name}-ann")), home(&format!("{name}-bob")));
    let (_, ann_id) = signed_in_user(stack_json, &ann_home).await;
    let (bob_email, bob_id) = signed_in_user(stack_json, &bob_home).await;
    // Bob's device connects once: its keys go up, so Ann can find it.
    let own = parley(stack_json, &bob_home, &["devices"]).await;
    assert_eq!(own.status.code(), Some(0), "{own:?}");
    let bob_device = json_lines(&own.stdout)
        .into_iter()
        .find(|l| l["event"] == "device" && l["thisDevice"] == true)
        .expect("Bob's device")["deviceId"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut bob = spawn(stack_json, &bob_home, &["verify", "--accept"]);
    let mut ann = spawn(stack_json, &ann_home, &["verify", &bob_email]);
    let requested = ann.state("requested").await;
    assert_eq!(requested["deviceId"], bob_device.as_str());
    let incoming = bob.state("incoming").await;
    assert_eq!(incoming["flowId"], requested["flowId"]);
    assert_eq!(incoming["user"], ann_id.as_str());
    let ann_device = incoming["deviceId"].as_str().unwrap().to_owned();

    let on_ann = ann.state("compare").await;
    let on_bob = bob.state("compare").await;
    assert_eq!(on_ann["emojis"].as_array().map(Vec::len), Some(7));
    assert_eq!(on_ann["emojis"], on_bob["emojis"]);
    assert_eq!(on_ann["decimals"], on_bob["decimals"]);
    Pair {
        ann,
        bob,
        ann_home,
        ann_id,
        ann_device,
        bob_home,
        bob_id,
        bob_device,
    }
}

#[tokio::test]
async fn both_answer_yes_and_each_lists_the_other_device_verified() {
    let stack_json = stack_file(stack::shared());
    let mut pair = until_codes(&stack_json, "verify-yes").await;
    pair.ann.answer("y").await;
    pair.bob.answer("y").await;
    let ann_done = pair.ann.state("done").await;
    let bob_done = pair.bob.state("done").await;
    assert_eq!(ann_done["deviceId"], pair.bob_device.as_str());
    assert_eq!(bob_done["deviceId"], pair.ann_device.as_str());
    assert_eq!(pair.ann.exit_code().await, Some(0));
    assert_eq!(pair.bob.exit_code().await, Some(0));
    assert!(verified(&stack_json, &pair.ann_home, &pair.bob_id, &pair.bob_device).await);
    assert!(verified(&stack_json, &pair.bob_home, &pair.ann_id, &pair.ann_device).await);
}

#[tokio::test]
async fn a_no_cancels_both_and_verifies_nothing() {
    let stack_json = stack_file(stack::shared());
    let mut pair = until_codes(&stack_json, "verify-no").await;
    pair.ann.answer("y").await;
    pair.bob.answer("n").await;
    let on_ann = pair.ann.state("cancelled").await;
    let on_bob = pair.bob.state("cancelled").await;
    assert_eq!(on_ann["code"], "m.mismatched_sas");
    assert_eq!(on_ann["byUs"], false);
    assert_eq!(on_bob["code"], "m.mismatched_sas");
    assert_eq!(on_bob["byUs"], true);
    assert_eq!(pair.ann.exit_code().await, Some(2));
    assert_eq!(pair.bob.exit_code().await, Some(2));
    assert!(!verified(&stack_json, &pair.ann_home, &pair.bob_id, &pair.bob_device).await);
    assert!(!verified(&stack_json, &pair.bob_home, &pair.ann_id, &pair.ann_device).await);
}
