//! `parley`: Parley from the command line, on the client library (`parley-client`):
//! accounts (sign up, confirm, log in and out, who), lookups, messages (`send`, `sync`, a live
//! `chat`), groups, files and push registration. One local database in the data folder keeps
//! the session, the cursor, the messages and the outbox. Exit codes and examples are in
//! `parley --help`; each command is a file in `commands/`.

mod args;
mod commands;
mod data_dir;
mod failure;
mod online;
mod output;
mod progress;
mod refresh;
mod store;
mod target;

use clap::Parser;
use std::process::ExitCode;

use failure::EXIT_OTHER;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap exits 2 on a usage error; 2 here means "refused by the server".
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_OTHER)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("parley: cannot start: {error}");
            return ExitCode::from(EXIT_OTHER);
        }
    };
    let result = runtime.block_on(commands::run(&cli));
    // Not waiting for blocking work: a `chat` that failed may still be reading stdin.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if cli.json {
                eprintln!(
                    "{}",
                    serde_json::json!({"error": failure.message, "kind": failure.kind()})
                );
            } else {
                eprintln!("parley: {}", failure.message);
            }
            ExitCode::from(failure.exit_code)
        }
    }
}
