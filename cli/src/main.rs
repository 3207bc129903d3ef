//! `parley`: Parley from the command line. For now, accounts: sign up, confirm, log in and
//! out, and who is logged in. Exit codes and examples are in `parley --help`.

mod args;
mod commands;
mod data_dir;
mod failure;
mod session;

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
    match runtime.block_on(commands::run(&cli)) {
        Ok(report) => {
            if cli.json {
                println!("{}", report.json);
            } else {
                println!("{}", report.text);
            }
            ExitCode::SUCCESS
        }
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
