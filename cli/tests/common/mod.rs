//! What the CLI's end-to-end tests share: running the built `parley` against the local
//! stack with a data folder of its own, reading its JSON lines, and a signed-in user made
//! through the CLI itself.

#![allow(dead_code)] // Each test binary uses its own part.

use parley_tests::stack::StackInfo;
use parley_tests::users::PASSWORD;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Generous bounds for a loaded machine; the tests wait on conditions, never on the clock.
pub const WAIT: Duration = Duration::from_secs(60);

/// The next JSON line of a running command's stdout that `wanted` accepts (the ones before
/// it are kept in `seen`).
pub async fn wait_for(
    lines: &mut mpsc::UnboundedReceiver<Value>,
    seen: &mut Vec<Value>,
    what: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let found = timeout(WAIT, async {
        while let Some(line) = lines.recv().await {
            seen.push(line.clone());
            if wanted(&line) {
                return Some(line);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(line)) => line,
        Ok(None) => panic!("the command ended before {what}: {seen:#?}"),
        Err(_) => panic!("no {what} within {WAIT:?}: {seen:#?}"),
    }
}

pub fn stack_file(stack: &StackInfo) -> PathBuf {
    stack.log_file.with_file_name("stack.json")
}

/// A fresh, empty data folder for one identity.
pub fn home(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("parley-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `parley --json --stack <file> args…` with its own data folder, not yet run.
pub fn command(stack_json: &Path, home: &Path, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley"));
    command
        .arg("--json")
        .arg("--stack")
        .arg(stack_json)
        .args(args)
        .env("PARLEY_HOME", home)
        .env("PARLEY_PASSWORD", PASSWORD)
        .env_remove("PARLEY_STACK")
        .kill_on_drop(true);
    command
}

pub async fn parley(stack_json: &Path, home: &Path, args: &[&str]) -> Output {
    command(stack_json, home, args)
        .output()
        .await
        .expect("run parley")
}

/// Every JSON line a command printed.
pub fn json_lines(bytes: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {text}")))
        .collect()
}

/// The one JSON line a command printed on stdout (or, failing, on stderr).
pub fn json_line(bytes: &[u8]) -> Value {
    let lines = json_lines(bytes);
    assert_eq!(
        lines.len(),
        1,
        "one JSON object per line: {}",
        String::from_utf8_lossy(bytes)
    );
    lines.into_iter().next().unwrap()
}

/// The refusal a command ended with: exit 2 and a `kind: "refused"` JSON line on stderr,
/// which is returned (its `error` says why).
#[track_caller]
pub fn refusal(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(2), "a refusal: {output:?}");
    let error = json_line(&output.stderr);
    assert_eq!(error["kind"], "refused", "{error}");
    error
}

/// A confirmed user, signed in with `home` as their data folder, made with the CLI's own
/// signup, confirm (the code from the local outbox) and login: (email, user id).
pub async fn signed_in_user(stack_json: &Path, home: &Path) -> (String, String) {
    let email = format!("cli-{}@example.test", uuid::Uuid::new_v4().simple());
    let signup = parley(stack_json, home, &["signup", &email]).await;
    assert_eq!(signup.status.code(), Some(0), "{signup:?}");
    let signed_up = json_line(&signup.stdout);
    let outbox = signed_up["outbox"].as_str().expect("a local outbox URL");
    let listed: Value = reqwest::get(outbox).await.unwrap().json().await.unwrap();
    let code = listed["messages"][0]["code"].as_str().expect("the code");
    let confirm = parley(stack_json, home, &["confirm", &email, code]).await;
    assert_eq!(confirm.status.code(), Some(0), "{confirm:?}");
    let login = parley(stack_json, home, &["login", &email]).await;
    assert_eq!(login.status.code(), Some(0), "{login:?}");
    let user_id = json_line(&login.stdout)["userId"]
        .as_str()
        .expect("userId")
        .to_owned();
    (email, user_id)
}
