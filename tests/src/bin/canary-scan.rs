//! `canary-scan --stack <stack.json> --log <file> --posts <file> <canary>...`: looks for each
//! canary in every table, bucket and SNS publish of the running stack that `stack.json`
//! describes, in its log and in its `@connections` post record (parley_tests::canary).
//! Prints how much it read; exits 1 with a line per finding when a canary is anywhere, 2
//! when it could not read everything (a scan that read nothing must not pass), 0 otherwise.

use parley_protocol::stack_file::StackFile;
use parley_tests::canary::{report, Corpus};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: canary-scan --stack <stack.json> --log <file> --posts <file> <canary>...";

struct Args {
    stack: PathBuf,
    log: PathBuf,
    posts: PathBuf,
    canaries: Vec<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut stack, mut log, mut posts, mut canaries) = (None, None, None, Vec::new());
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--stack" => &mut stack,
            "--log" => &mut log,
            "--posts" => &mut posts,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => {
                canaries.push(arg);
                continue;
            }
        };
        *slot = Some(PathBuf::from(
            args.next().ok_or_else(|| format!("{arg} needs a value"))?,
        ));
    }
    if canaries.iter().any(|c| c.len() < 16) {
        return Err("a canary shorter than 16 bytes could be found by chance".into());
    }
    match (stack, log, posts) {
        (Some(stack), Some(log), Some(posts)) if !canaries.is_empty() => Ok(Args {
            stack,
            log,
            posts,
            canaries,
        }),
        _ => Err(USAGE.into()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let stack: StackFile = match std::fs::read_to_string(&args.stack)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(stack) => stack,
        Err(error) => {
            eprintln!("read {}: {error}", args.stack.display());
            return ExitCode::from(2);
        }
    };
    let corpus = match Corpus::collect(&stack, &args.log, &args.posts).await {
        Ok(corpus) => corpus,
        Err(error) => {
            eprintln!("the scan could not read everything: {error}");
            return ExitCode::from(2);
        }
    };
    println!("scanned: {}", corpus.summary());
    let mut found = Vec::new();
    for canary in &args.canaries {
        found.extend(corpus.find(canary).into_iter().map(|f| (canary, f)));
    }
    if found.is_empty() {
        println!("none of {} canaries found", args.canaries.len());
        return ExitCode::SUCCESS;
    }
    for (canary, finding) in &found {
        println!(
            "{canary} found in {}",
            report(std::slice::from_ref(finding))
        );
    }
    ExitCode::from(1)
}
