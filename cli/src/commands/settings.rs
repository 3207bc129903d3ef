//! `parley mute|archive|pin|unread <who>` and `parley chats`: the signed-in user's own
//! settings of a chat, the same on all their devices. Each change prints the chat's
//! settings as they then stand; a fourth pin is refused by the server (exit 2).

use parley_client::{ChatChange, To};
use parley_protocol::{ChatSettings, ConversationId};
use serde_json::json;

use crate::args::{Cli, MuteFor, SettingsAction};
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::target;

pub async fn change(cli: &Cli, out: Out, action: &SettingsAction) -> Result<(), Failure> {
    let (who, change) = match action {
        SettingsAction::Mute { to, how_long } => (
            to,
            ChatChange {
                mute: Some(how_long.protocol()),
                ..Default::default()
            },
        ),
        SettingsAction::Archive { to, undo } => (
            to,
            ChatChange {
                archived: Some(!undo),
                ..Default::default()
            },
        ),
        SettingsAction::Pin { to, undo } => (
            to,
            ChatChange {
                pinned: Some(!undo),
                ..Default::default()
            },
        ),
        SettingsAction::Unread { to, undo } => (
            to,
            ChatChange {
                unread: Some(!undo),
                ..Default::default()
            },
        ),
    };
    let mut online = Online::start(cli)?;
    let conversation = conversation_of(&mut online, who).await?;
    let settings = online
        .call(|client| async move { client.set_chat(conversation, change).await })
        .await?;
    print(out, &settings);
    Ok(())
}

pub async fn list(cli: &Cli, out: Out) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let chats = online
        .call(|client| async move { client.chats().await })
        .await?;
    if chats.is_empty() && !out.json {
        println!("No chat is muted, archived, pinned or marked unread.");
    }
    for settings in &chats {
        print(out, settings);
    }
    Ok(())
}

/// The conversation `who` names: a conversation id as given, else the direct chat with
/// the user it names (its id as the protocol crate, the server's own, makes it).
pub(super) async fn conversation_of(
    online: &mut Online,
    who: &str,
) -> Result<ConversationId, Failure> {
    Ok(match target::resolve(online, who).await? {
        To::Conversation(conversation) => conversation,
        To::User(user) => ConversationId::direct(online.client.user_id(), &user),
    })
}

fn print(out: Out, settings: &ChatSettings) {
    let mut flags = Vec::new();
    match settings.muted_until {
        Some(parley_protocol::MUTED_ALWAYS) => flags.push("muted".to_owned()),
        Some(until) if settings.is_muted(now_ms()) => flags.push(format!("muted until {until}")),
        _ => {}
    }
    for (on, name) in [
        (settings.pinned, "pinned"),
        (settings.archived, "archived"),
        (settings.unread, "unread"),
    ] {
        if on {
            flags.push(name.to_owned());
        }
    }
    let shown = if flags.is_empty() {
        "no settings".to_owned()
    } else {
        flags.join(", ")
    };
    out.line(
        json!({
            "conversation": settings.conversation,
            "mutedUntil": settings.muted_until,
            "archived": settings.archived,
            "pinned": settings.pinned,
            "unread": settings.unread,
        }),
        format!("{}: {shown}", settings.conversation),
    );
}

fn now_ms() -> i64 {
    super::now() * 1000
}

impl MuteFor {
    pub fn protocol(self) -> parley_protocol::client::Mute {
        use parley_protocol::client::Mute;
        match self {
            Self::EightHours => Mute::EightHours,
            Self::Week => Mute::Week,
            Self::Always => Mute::Always,
            Self::Off => Mute::Off,
        }
    }
}
