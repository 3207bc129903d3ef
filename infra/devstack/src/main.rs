//! `devstack`, the local stack behind `make dev`: moto, the real function binaries and the
//! API Gateway WebSocket emulator, as `infra/template.yaml` declares them, in the foreground
//! until Ctrl-C. See `parley_devstack::lifecycle` for the lifecycle and `--help` for the options.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use parley_devstack::config::Options;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    init_logging();
    match parley_devstack::faults::FaultConfig::load(options.faults.as_deref()) {
        Ok(faults) => parley_devstack::faults::global().configure(faults),
        Err(error) => {
            eprintln!("devstack: {error}");
            return ExitCode::FAILURE;
        }
    }
    match parley_devstack::lifecycle::run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Everything started before the failure has been stopped by now.
            eprintln!("devstack: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr (stdout carries the summary and the ready line), filtered by `RUST_LOG`,
/// `info` by default.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .init();
}
