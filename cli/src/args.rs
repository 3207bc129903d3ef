//! The command line: global flags and commands, with `--help` text.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Examples:
  parley signup ann@example.com          # asks for a password; says where the code went
  parley confirm ann@example.com 123456
  parley login ann@example.com           # SRP deployed (the password never leaves this
                                         # machine), the password itself locally: --auth
  parley whoami --json
  parley lookup bob@example.com +15551234567
  parley send bob@example.com 'lunch?'   # exits once the server stored it
  parley chat bob@example.com            # live; lines you type are sent; Ctrl-D ends
  parley --json chat bob@example.com     # every event (message, tick, typing) a JSON line
  parley sync                            # what arrived since last time, then exit
  parley group create friends bob@example.com +15551234567
  parley group add g:0123… carol@example.com
  parley upload bob@example.com photo.jpg
  parley download c/…/photo.jpg ./photo.jpg
  parley push register fcm <device token>
  parley mute bob@example.com 8h         # 8h, 1w, always or off; all your devices
  parley pin g:0123…                     # at most 3 chats; --undo unpins
  parley archive bob@example.com --undo  # archive, pin and unread take --undo
  parley chats                           # what is muted, pinned, archived or unread
  parley --cloudformation stack.json login +15551234567
      (stack.json: `aws cloudformation describe-stacks --stack-name parley` saved to a file)

Who: an email address or +phone number (looked up), a user id, or a conversation id
(d:… or g:…, as `send`, `sync` and `group` print them).

The stack: --stack, else --cloudformation, else the .devstack/stack.json that `make dev`
writes, found in this folder or one above it.

Passwords: --password, else the PARLEY_PASSWORD environment variable, else asked for.

Files: one local database (parley.redb: the session's tokens, the sync cursor, messages and
unsent messages; readable by you only) in PARLEY_HOME when set, else in your data folder
(e.g. ~/.local/share/parley). One parley at a time uses it.

Output: text for people; with --json, one JSON object per line on stdout, and errors as
{\"error\": …, \"kind\": \"error\"|\"refused\"|\"unreachable\"} on stderr.

Exit codes:
  0  done
  1  bad usage, no stack description, not logged in, or another local error
  2  refused by the server or Cognito (wrong code or password, user exists, no such
     user, not a member, …)
  3  cannot reach the stack";

#[derive(Debug, Parser)]
#[command(name = "parley", version, about = "Parley from the command line", after_help = AFTER_HELP)]
pub struct Cli {
    /// The stack's description: a .devstack/stack.json.
    #[arg(long, global = true, env = "PARLEY_STACK", value_name = "STACK_JSON")]
    pub stack: Option<PathBuf>,

    /// A deployed stack: the saved output of `aws cloudformation describe-stacks`.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "stack")]
    pub cloudformation: Option<PathBuf>,

    /// Machine output: one JSON object per line.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make an account; a confirmation code goes to the address or phone.
    Signup {
        /// An email address, or a phone number in +E.164 form (+15551234567).
        username: String,
        #[command(flatten)]
        password: PasswordArg,
    },
    /// Confirm an account with the code that was sent.
    Confirm { username: String, code: String },
    /// Send a new confirmation code (the previous one stops working).
    ResendCode { username: String },
    /// Sign in and keep the session.
    Login {
        username: String,
        #[command(flatten)]
        password: PasswordArg,
        /// How to prove the password: `srp` (the deployed default: the password never
        /// leaves this machine), `password` (USER_PASSWORD_AUTH, where the pool allows it),
        /// or `auto`: `password` on the local stack, whose SRP accepts any proof, `srp`
        /// elsewhere.
        #[arg(long, value_enum, default_value_t = Auth::Auto)]
        auth: Auth,
    },
    /// End the session: revoke its refresh token and delete this device's local data.
    Logout,
    /// Who is logged in, and until when.
    Whoami,
    /// User ids of registered users, by email or phone number.
    Lookup {
        #[arg(required = true, value_name = "EMAIL_OR_PHONE")]
        addresses: Vec<String>,
    },
    /// Send a text message; exits once the server stored it.
    Send {
        /// An email, a +phone number, a user id or a conversation id.
        to: String,
        text: String,
    },
    /// Print what arrived since the last time (each message once), then exit.
    Sync,
    /// Chat live with someone, or in a group: lines read from stdin are sent.
    Chat {
        /// An email, a +phone number, a user id or a conversation id.
        to: String,
    },
    /// Make and change groups.
    #[command(subcommand)]
    Group(GroupAction),
    /// Send a file (progress on stderr).
    Upload {
        /// An email, a +phone number, a user id or a conversation id.
        to: String,
        file: PathBuf,
        /// The file's type (e.g. image/png); guessed from its extension when not given.
        #[arg(long)]
        content_type: Option<String>,
    },
    /// Save an attachment (by the key its message shows) to a file.
    Download { key: String, path: PathBuf },
    /// Push notifications for this device.
    #[command(subcommand)]
    Push(PushAction),
    /// Your settings of a chat, on all your devices (mute, archive, pin, unread).
    #[command(flatten)]
    Settings(SettingsAction),
    /// The chats you muted, archived, pinned or marked unread.
    Chats,
    /// Disappearing messages: messages sent into the chat from now on expire for everyone
    /// after this long (any member of a direct chat, a group's admin).
    Timer {
        /// An email, a +phone number, a user id or a conversation id.
        to: String,
        /// off, 24h, 7d or 90d.
        #[arg(value_enum, value_name = "AFTER")]
        after: TimerFor,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimerFor {
    Off,
    #[value(name = "24h")]
    Day,
    #[value(name = "7d")]
    Week,
    #[value(name = "90d")]
    NinetyDays,
}

impl TimerFor {
    /// The protocol's seconds.
    pub fn seconds(self) -> u64 {
        const DAY: u64 = 24 * 60 * 60;
        match self {
            Self::Off => 0,
            Self::Day => DAY,
            Self::Week => 7 * DAY,
            Self::NinetyDays => 90 * DAY,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SettingsAction {
    /// Hold back push notifications of a chat (mentions still come through).
    Mute {
        /// An email, a +phone number, a user id or a conversation id.
        to: String,
        /// For how long: 8h, 1w, always, or off to unmute.
        #[arg(value_enum, value_name = "FOR")]
        how_long: MuteFor,
    },
    /// Archive a chat (it stays archived when messages arrive).
    Archive {
        to: String,
        /// Take it out of the archive.
        #[arg(long)]
        undo: bool,
    },
    /// Pin a chat on top of the list (at most 3).
    Pin {
        to: String,
        /// Unpin it.
        #[arg(long)]
        undo: bool,
    },
    /// Mark a chat as unread.
    Unread {
        to: String,
        /// Clear the mark.
        #[arg(long)]
        undo: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MuteFor {
    #[value(name = "8h")]
    EightHours,
    #[value(name = "1w")]
    Week,
    Always,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum GroupAction {
    /// Make a group with these members (you are its admin).
    Create {
        name: String,
        #[arg(required = true)]
        members: Vec<String>,
    },
    /// Add members (admins only).
    Add {
        conversation: String,
        #[arg(required = true)]
        members: Vec<String>,
    },
    /// Remove members (admins only).
    Remove {
        conversation: String,
        #[arg(required = true)]
        members: Vec<String>,
    },
    /// Leave a group.
    Leave { conversation: String },
}

#[derive(Debug, Subcommand)]
pub enum PushAction {
    /// Register this device's push token.
    Register {
        platform: PushPlatform,
        token: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PushPlatform {
    Fcm,
    Apns,
    #[value(name = "apns_sandbox")]
    ApnsSandbox,
}

impl PushPlatform {
    pub fn protocol(self) -> parley_protocol::client::Platform {
        use parley_protocol::client::Platform;
        match self {
            Self::Fcm => Platform::Fcm,
            Self::Apns => Platform::Apns,
            Self::ApnsSandbox => Platform::ApnsSandbox,
        }
    }
}

/// How `login` proves the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Auth {
    Auto,
    Srp,
    Password,
}

#[derive(Debug, clap::Args)]
pub struct PasswordArg {
    /// The password (visible to other local users in the process list: prefer the prompt
    /// or PARLEY_PASSWORD).
    #[arg(long, env = "PARLEY_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}
