//! The devstack's command line: every option has an environment fallback, and a port of 0
//! means "pick a free one" (tests use it; the real port then appears in stack.json).

use std::path::PathBuf;

use clap::Parser;

/// Runs the whole backend locally: moto, the function binaries and the API Gateway
/// WebSocket emulator, as `infra/template.yaml` declares them.
#[derive(Debug, Clone, PartialEq, Parser)]
#[command(name = "devstack", version)]
pub struct Options {
    /// Port of the WebSocket API and its @connections API (0: any free port).
    #[arg(long, env = "DEVSTACK_GATEWAY_PORT", default_value_t = 8790)]
    pub gateway_port: u16,
    /// Port of moto, the AWS emulator (0: any free port).
    #[arg(long, env = "DEVSTACK_AWS_PORT", default_value_t = 8791)]
    pub aws_port: u16,
    /// Port of the web app, `web/dist` and its `/config.json` (0: any free port). The app's
    /// origin is added to the files bucket's `AllowedWebOrigins`.
    #[arg(long, env = "DEVSTACK_WEB_PORT", default_value_t = 8792)]
    pub web_port: u16,
    /// The built web app (`make dev` builds it); not served when it holds no index.html.
    #[arg(long, env = "DEVSTACK_WEB_DIR", default_value = "web/dist")]
    pub web_dir: PathBuf,
    /// The SAM template to serve.
    #[arg(long, env = "DEVSTACK_TEMPLATE", default_value = "infra/template.yaml")]
    pub template: PathBuf,
    /// Where the function binaries are built (`cargo build`).
    #[arg(long, env = "DEVSTACK_BIN_DIR", default_value = "target/debug")]
    pub bin_dir: PathBuf,
    /// Where to write the stack description once everything serves; removed on exit.
    #[arg(
        long,
        env = "DEVSTACK_STACK_FILE",
        default_value = ".devstack/stack.json"
    )]
    pub stack_file: PathBuf,
    /// The Python venv holding moto[server].
    #[arg(long, env = "DEVSTACK_VENV", default_value = ".venv")]
    pub venv: PathBuf,
    /// The region the stack pretends to run in.
    #[arg(long, env = "DEVSTACK_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Template parameter values, `Name=Value`, on top of the local defaults (repeatable).
    #[arg(long = "parameter", value_name = "NAME=VALUE", value_parser = parse_parameter)]
    pub parameters: Vec<(String, String)>,
    /// Shut down when stdin reaches end of file: a parent that runs the devstack with a
    /// piped stdin gets a clean shutdown even when it dies without signalling.
    #[arg(long, env = "DEVSTACK_EXIT_ON_STDIN_EOF")]
    pub exit_on_stdin_eof: bool,
    /// A JSON file of faults to inject (see docs/development.md, "Fault injection"); the
    /// `DEVSTACK_FAULT_*` variables apply on top. None by default.
    #[arg(long, env = "DEVSTACK_FAULTS", value_name = "FILE")]
    pub faults: Option<PathBuf>,
    /// Append every `@connections` post body to this file (tests that check what reached
    /// clients; see docs/development.md, "Recording post bodies"). Off by default.
    #[arg(long, env = "DEVSTACK_RECORD_POSTS", value_name = "FILE")]
    pub record_posts: Option<PathBuf>,
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.trim().to_owned(), value.to_owned()))
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| format!("expected NAME=VALUE, found {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let defaults = Options::try_parse_from(["devstack"]).unwrap();
        assert_eq!(defaults.gateway_port, 8790);
        assert_eq!(defaults.aws_port, 8791);
        assert_eq!(defaults.web_port, 8792);
        assert_eq!(defaults.web_dir, PathBuf::from("web/dist"));
        assert_eq!(defaults.stack_file, PathBuf::from(".devstack/stack.json"));
        assert!(!defaults.exit_on_stdin_eof);
        assert_eq!(defaults.record_posts, None);

        let given = Options::try_parse_from([
            "devstack",
            "--gateway-port=0",
            "--aws-port",
            "0",
            "--parameter",
            "StageName=dev",
            "--exit-on-stdin-eof",
            "--record-posts",
            "target/posts",
        ])
        .unwrap();
        assert_eq!((given.gateway_port, given.aws_port), (0, 0));
        assert_eq!(
            given.parameters,
            [("StageName".to_owned(), "dev".to_owned())]
        );
        assert!(given.exit_on_stdin_eof);
        assert_eq!(given.record_posts, Some(PathBuf::from("target/posts")));
        assert!(Options::try_parse_from(["devstack", "--parameter", "novalue"]).is_err());
    }
}
