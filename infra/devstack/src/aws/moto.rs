//! Running moto, the AWS emulator, from the project's venv: start `moto_server` on a port,
//! wait until it answers, stop it on shutdown. The child is also killed if the handle is
//! dropped, so an early return never leaves moto running.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use super::AwsError;

/// Lines of moto's output kept to explain a failed start.
const KEPT_OUTPUT_LINES: usize = 20;
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How to run moto.
#[derive(Debug, Clone)]
pub struct MotoOptions {
    /// The venv holding moto[server] (`bin/moto_server`, and `bin/python` that runs it).
    pub venv: PathBuf,
    /// 0 picks a free port.
    pub port: u16,
    /// How long moto may take to answer after starting.
    pub startup_timeout: Duration,
}

impl MotoOptions {
    pub fn new(venv: impl Into<PathBuf>, port: u16) -> Self {
        Self {
            venv: venv.into(),
            port,
            startup_timeout: Duration::from_secs(30),
        }
    }

    pub fn server_path(&self) -> PathBuf {
        self.venv.join("bin").join("moto_server")
    }

    fn python_path(&self) -> PathBuf {
        self.venv.join("bin").join("python")
    }
}

/// moto's server with one lock around request handling (see the script for why).
const SERIALIZED_SERVER: &str = include_str!("serialized_moto.py");

/// A running `moto_server`.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
    endpoint: String,
}

impl Moto {
    /// Starts moto and returns once it answers HTTP.
    pub async fn start(options: &MotoOptions) -> Result<Self, AwsError> {
        let server = options.server_path();
        if !server.is_file() {
            return Err(AwsError::MotoMissing { path: server });
        }
        let port = free_or_given_port(options.port)?;
        let endpoint = format!("http://127.0.0.1:{port}");
        tracing::info!(%endpoint, "starting moto");

        let mut child = Command::new(options.python_path())
            .args(["-c", SERIALIZED_SERVER, "127.0.0.1", &port.to_string()])
            // Unbuffered, so a failing start shows its output before the process exits.
            .env("PYTHONUNBUFFERED", "1")
            // The template's `AWS::AccountId`, so that moto's ARNs (`!GetAtt Table.Arn`) and
            // the ARNs built from the pseudo-parameter (`!Sub ...${AWS::AccountId}...`) name
            // one account, as they do deployed: the IAM check compares them.
            .env("MOTO_ACCOUNT_ID", crate::template::local::ACCOUNT_ID)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| AwsError::Moto(format!("cannot run {}: {e}", server.display())))?;
        let output = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(forward_output(stdout, output.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_output(stderr, output.clone()));
        }

        let mut moto = Self {
            child,
            port,
            endpoint,
        };
        if let Err(error) = moto
            .wait_until_ready(options.startup_timeout, &output)
            .await
        {
            moto.stop().await;
            return Err(error);
        }
        tracing::info!(endpoint = %moto.endpoint, "moto is up");
        Ok(moto)
    }

    /// e.g. `http://127.0.0.1:8791`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills moto and waits for it to exit. moto keeps everything in memory, so there is
    /// nothing to flush and no reason to be gentle.
    pub async fn stop(mut self) {
        if let Err(error) = self.child.kill().await {
            tracing::warn!(%error, "stopping moto");
        } else {
            tracing::info!("moto stopped");
        }
    }

    async fn wait_until_ready(
        &mut self,
        timeout: Duration,
        output: &Mutex<VecDeque<String>>,
    ) -> Result<(), AwsError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| AwsError::Moto(format!("HTTP client: {e}")))?;
        let probe = format!("{}/moto-api/", self.endpoint);
        let deadline = Instant::now() + timeout;
        let recent_output = || {
            let lines = output.lock().expect("output lock");
            lines.iter().cloned().collect::<Vec<_>>().join("\n")
        };
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the output forwarders a moment to collect the last words.
                tokio::time::sleep(POLL_INTERVAL).await;
                return Err(AwsError::Moto(format!(
                    "moto_server exited ({status}) before answering on port {}:\n{}",
                    self.port,
                    recent_output()
                )));
            }
            if let Ok(response) = http.get(&probe).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(AwsError::Moto(format!(
                    "moto_server did not answer {probe} within {timeout:?}:\n{}",
                    recent_output()
                )));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

/// The given port if it is free (moto answering on a port someone else holds would be
/// mistaken for ours), or a free port for 0. The probe socket closes before moto binds; the
/// race is tolerable for a development stack.
fn free_or_given_port(port: u16) -> Result<u16, AwsError> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let probe = TcpListener::bind(address)
        .map_err(|e| AwsError::Moto(format!("cannot use port {port} for moto: {e}")))?;
    probe
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| AwsError::Moto(format!("port for moto: {e}")))
}

/// Logs moto's output at debug level (every request is a line) and keeps the last lines.
async fn forward_output(stream: impl AsyncRead + Unpin, kept: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::debug!(target: "moto", "{line}");
        let mut kept = kept.lock().expect("output lock");
        if kept.len() == KEPT_OUTPUT_LINES {
            kept.pop_front();
        }
        kept.push_back(line);
    }
}

/// The `.venv` next to the workspace root, for tests.
pub fn workspace_venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv")
}
