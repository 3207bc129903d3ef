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
  parley chat bob@example.com            # live; lines you type are sent; Ctrl-D ends;
                                         # /edit 4 text, /delete 4, /react 4 👍,
                                         # /unreact 4, /reply 4 text
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
  parley send g:0123… 'yes @9b2f' --reply 3   # quote #3, mention a member by id start
  parley edit bob@example.com 4 'lunch at 1?' # your message #4, within 15 minutes
  parley react bob@example.com 4 👍       # --undo takes it back
  parley delete bob@example.com 4        # for everyone
  parley forward bob@example.com 4 g:0123…
  parley presence bob@example.com        # online / last seen; --watch follows it
  parley privacy contacts --reaction-push on
  parley devices bob@example.com         # Bob's devices and their identity keys
  parley block bob@example.com          # nothing of theirs reaches you; --undo unblocks
  parley blocks                          # whom you block
  parley verify bob@example.com          # compare 7 emoji with Bob (he runs
                                         # parley verify --accept); ✓ when both match
  parley --cloudformation stack.json login +15551234567
      (stack.json: `aws cloudformation describe-stacks --stack-name parley` saved to a file)

Who: an email address or +phone number (looked up), a user id, or a conversation id
(d:… or g:…, as `send`, `sync` and `group` print them).

The stack: --stack, else --cloudformation, else the .devstack/stack.json that `make dev`
writes, found in this folder or one above it.

Passwords: --password, else the PARLEY_PASSWORD environment variable, else asked for.

Files: one local database (parley.redb: the session's tokens, the sync cursor, messages and
unsent messages; readable by you only) and this device's encryption keys (parley.crypto/)
in PARLEY_HOME when set, else in your data folder (e.g. ~/.local/share/parley). One parley
at a time uses them.

Encryption: messages are end-to-end encrypted by default, for every device of everyone in
the chat; the server stores only ciphertext. `login` registers this device's keys, so that
others write to you encrypted from the first message. A message whose key has not arrived
yet shows as [encrypted: waiting for its key] and is printed again when it decrypts.
Someone whose app does not encrypt yet (no device with keys) is written to in the clear.
`parley verify` compares a short code with a contact's device: if it matches on both
screens, no one in between (not even the server) swapped their keys; their device then
shows ✓ in `parley devices`.

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
    /// Send a text message; exits once the server stored it. In a group, `@` and the start
    /// of a member's user id mentions them.
    Send {
        /// An email, a +phone number, a user id or a conversation id.
        to: String,
        text: String,
        /// Reply to (quote) the message with this seq (it must be on this device: `parley
        /// sync` first).
        #[arg(long, value_name = "SEQ")]
        reply: Option<u64>,
        /// Mention a member (an email, a +phone number or a user id); repeatable.
        #[arg(long, value_name = "WHO")]
        mention: Vec<String>,
    },
    /// Edit one of your messages (within 15 minutes of sending it).
    Edit {
        /// The chat: an email, a +phone number, a user id or a conversation id.
        to: String,
        /// The message's seq (as `send`, `sync` and `chat` print it: #4).
        seq: u64,
        /// The new text.
        text: String,
    },
    /// Delete a message for everyone (yours within 60 hours; any, as a group's admin).
    Delete {
        /// The chat: an email, a +phone number, a user id or a conversation id.
        to: String,
        /// The message's seq.
        seq: u64,
    },
    /// React to a message with an emoji (replacing your reaction), or take yours back.
    React {
        /// The chat: an email, a +phone number, a user id or a conversation id.
        to: String,
        /// The message's seq.
        seq: u64,
        /// One emoji (at most 64 bytes).
        #[arg(required_unless_present = "undo")]
        emoji: Option<String>,
        /// Remove your reaction.
        #[arg(long, conflicts_with = "emoji")]
        undo: bool,
    },
    /// Forward a message's text to another chat (marked forwarded).
    Forward {
        /// The chat the message is in.
        from: String,
        /// The message's seq.
        seq: u64,
        /// Where it goes.
        to: String,
    },
    /// Someone's presence: online, or when they were last seen.
    Presence {
        /// An email, a +phone number or a user id.
        who: String,
        /// Keep watching and print each change, until Ctrl-C.
        #[arg(long)]
        watch: bool,
    },
    /// Who sees your presence (everyone, contacts, nobody: reciprocal, so who hides theirs
    /// sees no one's), and whether reactions to your messages push while you are offline.
    /// Without arguments, shows both.
    Privacy {
        #[arg(value_enum, value_name = "LAST_SEEN")]
        last_seen: Option<LastSeen>,
        /// Push a reaction to your message while you are offline.
        #[arg(long, value_enum, value_name = "ON_OFF")]
        reaction_push: Option<OnOff>,
    },
    /// Print what arrived since the last time (each message once), then exit.
    Sync,
    /// Block someone: nothing of theirs reaches you any more (messages, typing, receipts),
    /// in your direct chat or a group you share, and you cannot write to them in your
    /// direct chat. They are not told. `--undo` unblocks (from then on).
    Block {
        /// An email, a +phone number or a user id.
        who: String,
        /// Unblock.
        #[arg(long)]
        undo: bool,
    },
    /// Everyone you block (user ids).
    Blocks,
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
    /// Devices and their identity keys (end-to-end encryption): yours, or someone's.
    /// Compare a key with its owner's `parley devices` to be sure whom you write to.
    Devices {
        /// An email, a +phone number or a user id; yourself when not given.
        who: Option<String>,
    },
    /// Disappearing messages: messages sent into the chat from now on expire for everyone
    /// after this long (any member of a direct chat, a group's admin).
    Timer {
        /// An email, a +phone number, a user id or a conversation id.
        to: String,
        /// off, 24h, 7d or 90d.
        #[arg(value_enum, value_name = "AFTER")]
        after: TimerFor,
    },
    /// Verify a device by comparing a short code (7 emoji) with its owner: one side asks
    /// (`parley verify bob@example.com`), the other accepts (`parley verify --accept`), both
    /// answer "Do they match?". Then each device shows the other as verified (✓).
    Verify {
        /// Whose device: an email, a +phone number or a user id (one of your own devices:
        /// your own address).
        #[arg(required_unless_present = "accept", conflicts_with = "accept")]
        who: Option<String>,
        /// Which of their devices (as `parley devices` lists them); needed when they have
        /// more than one.
        device: Option<String>,
        /// Wait for another device's request and accept it.
        #[arg(long)]
        accept: bool,
        /// Answer "they match" without asking (scripts that compare the codes themselves).
        #[arg(long)]
        yes: bool,
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
pub enum LastSeen {
    Everyone,
    Contacts,
    Nobody,
}

impl LastSeen {
    pub fn protocol(self) -> parley_protocol::client::Audience {
        use parley_protocol::client::Audience;
        match self {
            Self::Everyone => Audience::Everyone,
            Self::Contacts => Audience::Contacts,
            Self::Nobody => Audience::Nobody,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
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
