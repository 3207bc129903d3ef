//! Starts the local stack for a test binary and reads its `.devstack/stack.json`.
//!
//! The stack runs as a child process with a piped stdin and `--exit-on-stdin-eof`: when the
//! test binary exits, the pipe closes and the stack stops every process it started.

use parley_protocol::stack_file::StackFile;
use std::io::Read;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The test binary's stack: what its `stack.json` says (the devstack's own [`StackFile`],
/// read through its fields), and where its log is.
#[derive(Debug, Clone)]
pub struct StackInfo {
    pub file: StackFile,
    /// Where the stack's own log goes (not in stack.json).
    pub log_file: PathBuf,
    /// Where the gateway appends every `@connections` post body (`--record-posts`; read
    /// with `parley_devstack::gateway::post_recorder::read`).
    pub posts_file: PathBuf,
    /// The template it serves, when not `infra/template.yaml` (not in stack.json).
    pub template: Option<PathBuf>,
}

impl Deref for StackInfo {
    type Target = StackFile;

    fn deref(&self) -> &StackFile {
        &self.file
    }
}

const START_TIMEOUT: Duration = Duration::from_secs(90);

static STACK: OnceLock<StackInfo> = OnceLock::new();
/// Keeps the child and its stdin pipe alive for as long as the test binary runs.
static CHILD: Mutex<Option<Child>> = Mutex::new(None);

/// The stack shared by every test of this binary, started on first use.
pub fn shared() -> &'static StackInfo {
    STACK.get_or_init(|| start(None))
}

/// The stack of a test binary that serves `template` instead of `infra/template.yaml`
/// (written by the test, e.g. the real one with a grant removed). A binary uses either this
/// or [`shared`], always with the same template.
pub fn shared_with_template(template: &Path) -> &'static StackInfo {
    let info = STACK.get_or_init(|| start(Some(template)));
    assert_eq!(
        info.template.as_deref(),
        Some(template),
        "this test binary's stack serves another template"
    );
    info
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

fn start(template: Option<&Path>) -> StackInfo {
    let root = workspace_root();
    let binary = std::env::var_os("DEVSTACK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/debug/devstack"));
    assert!(
        binary.exists(),
        "{} is missing: build the binaries first (`cargo build --workspace --bins`, as `make test` does)",
        binary.display()
    );
    let dir = root
        .join("target/e2e")
        .join(format!("stack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the test stack's folder");
    let stack_file = dir.join("stack.json");
    let log_file = dir.join("devstack.log");
    let posts_file = dir.join("posts.record");
    let log = std::fs::File::create(&log_file).expect("create the stack log");

    let mut command = Command::new(&binary);
    if let Some(template) = template {
        command.arg("--template").arg(template);
    }
    let child = command
        .current_dir(&root)
        .args([
            "--gateway-port",
            "0",
            "--aws-port",
            "0",
            // Beside `make dev` (web app on 8792) and each other.
            "--web-port",
            "0",
            "--exit-on-stdin-eof",
        ])
        .arg("--stack-file")
        .arg(&stack_file)
        // Every post body, for the ciphertext scan (tests/tests/canary.rs).
        .arg("--record-posts")
        .arg(&posts_file)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().expect("clone the log handle"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    *CHILD.lock().unwrap() = Some(child);

    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&stack_file) {
            if let Ok(file) = serde_json::from_str::<StackFile>(&text) {
                return StackInfo {
                    file,
                    log_file,
                    posts_file,
                    template: template.map(Path::to_path_buf),
                };
            }
        }
        if let Some(status) = CHILD
            .lock()
            .unwrap()
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            panic!(
                "the stack exited ({status}) before it served:\n{}",
                tail(&log_file)
            );
        }
        if started.elapsed() > START_TIMEOUT {
            panic!(
                "the stack did not write {} within {START_TIMEOUT:?}:\n{}",
                stack_file.display(),
                tail(&log_file)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The end of the stack's log, for failure messages.
pub fn tail(log_file: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(log_file) {
        let _ = file.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

impl StackInfo {
    /// The stack's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }
}

impl StackInfo {
    /// The physical name of a table the template declares, by logical id.
    pub fn table(&self, logical_id: &str) -> String {
        self.tables
            .get(logical_id)
            .unwrap_or_else(|| panic!("stack.json names no table {logical_id}"))
            .clone()
    }

    /// The stack as the client library takes it.
    pub fn client_stack(&self) -> parley_client::stack::StackInfo {
        self.client_stack_with(&self.user_pool_id, &self.user_pool_client_id)
    }

    /// The same with another user pool and app client of the emulator.
    pub fn client_stack_with(
        &self,
        user_pool_id: &str,
        user_pool_client_id: &str,
    ) -> parley_client::stack::StackInfo {
        parley_client::stack::StackInfo::new(
            &self.websocket_url,
            &self.region,
            user_pool_id,
            user_pool_client_id,
            Some(self.aws_endpoint.clone()),
        )
        .expect("the test stack's values")
    }
}
