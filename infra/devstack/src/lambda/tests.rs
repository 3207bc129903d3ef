//! Behaviour of [`Functions`] against a fake custom runtime: a small standard-library Python
//! script that speaks the Runtime API the way `lambda_runtime` does, and that the event can
//! tell to echo, fail, sleep or exit abruptly. No project binaries are needed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::{Functions, FunctionsConfig, Invoke, InvokeError};
use crate::stack_spec::FunctionSpec;

const FAKE_RUNTIME: &str = r#"
import json, os, sys, time, urllib.request

BASE = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"

def post(path, body):
    request = urllib.request.Request(
        BASE + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()

slow_once = os.environ.get("FAKE_RUNTIME_SLOW_INIT_ONCE")
if slow_once and not os.path.exists(slow_once):
    open(slow_once, "w").close()
    time.sleep(30)

if os.environ.get("FAKE_RUNTIME_INIT_ERROR"):
    post("/init/error", {"errorType": "Runtime.ConfigError", "errorMessage": "told to fail init"})
    sys.exit(1)

while True:
    with urllib.request.urlopen(BASE + "/invocation/next") as reply:
        headers = {name.lower(): value for name, value in reply.headers.items()}
        event = json.loads(reply.read())
    request_id = headers["lambda-runtime-aws-request-id"]
    started = time.time()
    action = event.get("action", "echo")
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "exit":
        os._exit(3)
    elif action == "error":
        post("/invocation/" + request_id + "/error",
             {"errorType": "Handler.Failed", "errorMessage": event["message"]})
        continue
    post("/invocation/" + request_id + "/response", {
        "event": event, "headers": headers, "pid": os.getpid(),
        "started": started, "finished": time.time(), "env": dict(os.environ)})
"#;

const REGION: &str = "eu-west-1";

/// The fake runtime as an executable, written once per test run: writing an executable while
/// another thread forks can make its exec fail with ETXTBSY.
fn fake_runtime() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        use std::os::unix::fs::PermissionsExt;
        let python = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        let python = String::from_utf8(python.stdout).expect("utf-8 path");
        let dir =
            std::env::temp_dir().join(format!("parley-devstack-lambda-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("bootstrap");
        std::fs::write(&path, format!("#!{}\n{FAKE_RUNTIME}", python.trim()))
            .expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    })
}

fn spec(name: &str, timeout: Duration, env: &[(&str, &str)]) -> FunctionSpec {
    FunctionSpec {
        name: name.into(),
        binary: fake_runtime().to_path_buf(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        timeout,
        memory_mb: 128,
    }
}

fn echo_function() -> Functions {
    Functions::new(
        &[spec(
            "EchoFunction",
            Duration::from_secs(30),
            &[("TABLE_NAME", "parley")],
        )],
        REGION,
    )
}

fn pid_of(response: &Value) -> u64 {
    response["pid"]
        .as_u64()
        .expect("the fake runtime reports its pid")
}

fn epoch_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis()
}

fn is_alive(pid: u64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

async fn wait_until_dead(pid: u64) -> bool {
    let give_up = Instant::now() + Duration::from_secs(5);
    while is_alive(pid) && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    !is_alive(pid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_round_trip_carries_the_runtime_api_headers_and_environment() {
    let functions = echo_function();
    let before = epoch_millis();
    let event = json!({"action": "echo", "body": "hello"});
    let response = functions
        .invoke("EchoFunction", event.clone())
        .await
        .expect("echo");
    let after = epoch_millis();

    assert_eq!(response["event"], event);
    let headers = &response["headers"];
    let request_id = headers["lambda-runtime-aws-request-id"]
        .as_str()
        .expect("request id");
    assert_eq!(request_id.len(), 36, "{request_id}");
    let deadline: u128 = headers["lambda-runtime-deadline-ms"]
        .as_str()
        .and_then(|ms| ms.parse().ok())
        .expect("deadline in epoch ms");
    assert!(
        deadline >= before + 30_000 && deadline <= after + 30_000,
        "{deadline}"
    );
    assert_eq!(
        headers["lambda-runtime-invoked-function-arn"],
        "arn:aws:lambda:eu-west-1:000000000000:function:EchoFunction"
    );
    assert!(headers["lambda-runtime-trace-id"]
        .as_str()
        .is_some_and(|id| id.starts_with("Root=1-")));

    let env = &response["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "EchoFunction");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_REGION"], REGION);
    assert_eq!(env["TABLE_NAME"], "parley");
    // Cargo sets this for the test process; the function must not see it.
    assert!(env.get("CARGO_MANIFEST_DIR").is_none());

    let again = functions
        .invoke("EchoFunction", json!({}))
        .await
        .expect("warm echo");
    assert_eq!(
        pid_of(&again),
        pid_of(&response),
        "a warm process is reused"
    );
    assert_eq!(functions.cold_starts("EchoFunction"), Some(1));
    functions.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_error_is_a_function_error_and_keeps_the_process_warm() {
    let functions = echo_function();
    let failed = functions
        .invoke(
            "EchoFunction",
            json!({"action": "error", "message": "no such user"}),
        )
        .await;
    match failed {
        Err(InvokeError::Function {
            error_type,
            message,
        }) => {
            assert_eq!(error_type, "Handler.Failed");
            assert_eq!(message, "no such user");
        }
        other => panic!("expected a function error, got {other:?}"),
    }
    functions
        .invoke("EchoFunction", json!({}))
        .await
        .expect("echo after error");
    assert_eq!(functions.cold_starts("EchoFunction"), Some(1));
    functions.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_fails_promptly_and_the_next_invocation_gets_a_new_process() {
    let functions = echo_function();
    let first = pid_of(
        &functions
            .invoke("EchoFunction", json!({}))
            .await
            .expect("echo"),
    );

    let started = Instant::now();
    let crashed = functions
        .invoke("EchoFunction", json!({"action": "exit"}))
        .await;
    assert!(
        matches!(crashed, Err(InvokeError::Crashed(_))),
        "{crashed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not at the 30 s timeout"
    );

    let second = pid_of(
        &functions
            .invoke("EchoFunction", json!({}))
            .await
            .expect("echo"),
    );
    assert_ne!(first, second);
    assert_eq!(functions.cold_starts("EchoFunction"), Some(2));
    functions.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_the_process_and_the_function_recovers() {
    let functions = Functions::new(
        &[spec("SlowFunction", Duration::from_millis(800), &[])],
        REGION,
    );
    let first = pid_of(
        &functions
            .invoke("SlowFunction", json!({}))
            .await
            .expect("echo"),
    );

    let timed_out = functions
        .invoke("SlowFunction", json!({"action": "sleep", "seconds": 30}))
        .await;
    assert!(
        matches!(timed_out, Err(InvokeError::Timeout(t)) if t == Duration::from_millis(800)),
        "{timed_out:?}"
    );
    assert!(
        wait_until_dead(first).await,
        "the timed-out process is killed"
    );

    let second = pid_of(
        &functions
            .invoke("SlowFunction", json!({}))
            .await
            .expect("echo"),
    );
    assert_ne!(first, second);
    functions.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_overlap_on_separate_processes() {
    let functions = echo_function();
    let sleep = json!({"action": "sleep", "seconds": 0.3});
    let (a, b) = tokio::join!(
        functions.invoke("EchoFunction", sleep.clone()),
        functions.invoke("EchoFunction", sleep.clone()),
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_ne!(pid_of(&a), pid_of(&b));
    let interval = |r: &Value| {
        (
            r["started"].as_f64().unwrap_or(0.0),
            r["finished"].as_f64().unwrap_or(0.0),
        )
    };
    let ((a_start, a_end), (b_start, b_end)) = (interval(&a), interval(&b));
    assert!(a_start < b_end && b_start < a_end, "the two sleeps overlap");
    assert_eq!(functions.cold_starts("EchoFunction"), Some(2));
    functions.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_cap_queues_invocations_for_a_free_process() {
    let config = FunctionsConfig {
        max_concurrency: 1,
        ..FunctionsConfig::new(REGION)
    };
    let functions = Functions::with_config(
        &[spec("EchoFunction", Duration::from_secs(30), &[])],
        config,
    );
    let sleep = json!({"action": "sleep", "seconds": 0.2});
    let (a, b) = tokio::join!(
        functions.invoke("EchoFunction", sleep.clone()),
        functions.invoke("EchoFunction", sleep.clone()),
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(pid_of(&a), pid_of(&b));
    let ends_before_other_starts =
        |x: &Value, y: &Value| x["finished"].as_f64() <= y["started"].as_f64();
    assert!(ends_before_other_starts(&a, &b) || ends_before_other_starts(&b, &a));
    assert_eq!(functions.cold_starts("EchoFunction"), Some(1));
    functions.shutdown().await;
}

#[tokio::test]
async fn unknown_function_is_reported_as_such() {
    let functions = echo_function();
    let unknown = functions.invoke("NoSuchFunction", json!({})).await;
    assert!(matches!(unknown, Err(InvokeError::Unknown(name)) if name == "NoSuchFunction"));
    assert_eq!(functions.cold_starts("NoSuchFunction"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_error_fails_the_invocation() {
    let functions = Functions::new(
        &[spec(
            "BrokenFunction",
            Duration::from_secs(30),
            &[("FAKE_RUNTIME_INIT_ERROR", "1")],
        )],
        REGION,
    );
    let failed = functions.invoke("BrokenFunction", json!({})).await;
    match failed {
        Err(InvokeError::Crashed(reason)) => {
            assert!(reason.contains("told to fail init"), "{reason}")
        }
        other => panic!("expected an init failure, got {other:?}"),
    }
    functions.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_slow_to_init_fails_its_start_and_the_next_invocation_starts_a_fresh_one() {
    let marker = std::env::temp_dir().join(format!(
        "parley-devstack-slow-init-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let config = FunctionsConfig {
        init_timeout: Duration::from_secs(1),
        ..FunctionsConfig::new(REGION)
    };
    let functions = Functions::with_config(
        &[spec(
            "SlowFunction",
            Duration::from_secs(30),
            &[("FAKE_RUNTIME_SLOW_INIT_ONCE", marker.to_str().unwrap())],
        )],
        config,
    );
    match functions.prewarm().await {
        Err(InvokeError::Crashed(reason)) => {
            assert!(
                reason.contains("did not ask for an event within"),
                "{reason}"
            );
            // How much CPU the interpreter's start took varies with the machine's load: the
            // verdict it leads to is unit-tested in `stall`, not here.
            assert!(reason.contains("still running"), "{reason}");
            assert!(reason.contains("ms of CPU in"), "{reason}");
        }
        other => panic!("expected an init timeout, got {other:?}"),
    }
    let echoed = functions
        .invoke("SlowFunction", json!({"after": "a failed init"}))
        .await
        .expect("a fresh process serves the next invocation");
    assert_eq!(echoed["event"]["after"], "a failed init");
    functions.shutdown().await;
    let _ = std::fs::remove_file(marker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prewarm_starts_one_process_per_function() {
    let functions = Functions::new(
        &[
            spec("EchoFunction", Duration::from_secs(30), &[]),
            spec("OtherFunction", Duration::from_secs(30), &[]),
        ],
        REGION,
    );
    functions.prewarm().await.expect("prewarm");
    functions.prewarm().await.expect("prewarm is idempotent");
    assert_eq!(functions.cold_starts("EchoFunction"), Some(1));
    assert_eq!(functions.cold_starts("OtherFunction"), Some(1));
    functions
        .invoke("EchoFunction", json!({}))
        .await
        .expect("echo");
    assert_eq!(
        functions.cold_starts("EchoFunction"),
        Some(1),
        "served warm"
    );
    functions.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_kills_busy_and_idle_processes() {
    let functions = echo_function();
    let sleep = json!({"action": "sleep", "seconds": 0.2});
    let (a, b) = tokio::join!(
        functions.invoke("EchoFunction", sleep.clone()),
        functions.invoke("EchoFunction", sleep.clone()),
    );
    let pids = [pid_of(&a.expect("first")), pid_of(&b.expect("second"))];

    // One of the two is busy with a long invocation when shutdown comes.
    let busy = tokio::spawn({
        let functions = functions.clone();
        async move {
            functions
                .invoke("EchoFunction", json!({"action": "sleep", "seconds": 30}))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    functions.shutdown().await;

    for pid in pids {
        assert!(!is_alive(pid), "process {pid} survived shutdown");
    }
    let busy = busy.await.expect("invocation task");
    assert!(matches!(busy, Err(InvokeError::Crashed(_))), "{busy:?}");
    let after = functions.invoke("EchoFunction", json!({})).await;
    assert!(matches!(after, Err(InvokeError::Crashed(_))), "{after:?}");
}
