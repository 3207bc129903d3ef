//! Parley's client protocol, as typed Rust: every frame a client sends ([`ClientFrame`]) and
//! every frame the server sends ([`ServerFrame`]), with the limits and validation rules of
//! docs/protocol.md in one place. The server reads client frames only through
//! [`ClientFrame::parse`]; clients build frames with these types and read the server's
//! with serde. It depends on serde alone, so a client pays nothing else for it.
//! [`stack_file`] is the local stack's `.devstack/stack.json`, which clients read too.

pub mod changes;
pub mod client;
pub mod error;
pub mod ids;
pub mod limits;
pub mod server;
pub mod stack_file;

mod fields;

pub use changes::{ChangeKind, MessageState, Reply, ReplyTo};
pub use client::ClientFrame;
pub use error::{ErrorCode, FrameError};
pub use ids::{is_valid_id, is_valid_user_id, ConversationId, Kind};
pub use server::{
    AckStatus, Attachment, ChatSettings, ServerFrame, System, SystemEvent, ToDeviceMessage,
    UserEntry, MUTED_ALWAYS,
};

/// The TypeScript definitions of every frame, generated from these types for the web client.
/// The committed file must match: `make protocol-types` writes it anew.
#[cfg(test)]
mod typescript {
    use ts_rs::{Config, TS};

    use crate::client::{
        Ack, Audience, Block, Blocks, Chat, Chats, CreateGroup, DeviceKeys, DownloadUrl, KeysClaim,
        KeysQuery, KeysUpload, LeaveGroup, Lookup, Members, Mute, Ping, Platform, Prefs, Presence,
        Privacy, RegisterPush, Send, SendToDevice, Sync, ToDeviceAck, ToDeviceSync, Typing,
        UploadUrl,
    };
    use crate::*;

    const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/typescript/protocol.ts");

    fn generated() -> String {
        let cfg = Config::new();
        let declarations = [
            ClientFrame::decl(&cfg),
            Send::decl(&cfg),
            Sync::decl(&cfg),
            Ack::decl(&cfg),
            Typing::decl(&cfg),
            Lookup::decl(&cfg),
            CreateGroup::decl(&cfg),
            Members::decl(&cfg),
            LeaveGroup::decl(&cfg),
            UploadUrl::decl(&cfg),
            DownloadUrl::decl(&cfg),
            RegisterPush::decl(&cfg),
            Platform::decl(&cfg),
            KeysUpload::decl(&cfg),
            DeviceKeys::decl(&cfg),
            KeysQuery::decl(&cfg),
            KeysClaim::decl(&cfg),
            SendToDevice::decl(&cfg),
            ToDeviceSync::decl(&cfg),
            ToDeviceAck::decl(&cfg),
            Prefs::decl(&cfg),
            ChangeKind::decl(&cfg),
            ReplyTo::decl(&cfg),
            Reply::decl(&cfg),
            MessageState::decl(&cfg),
            changes::Edited::decl(&cfg),
            changes::Deleted::decl(&cfg),
            changes::Reaction::decl(&cfg),
            Ping::decl(&cfg),
            Chat::decl(&cfg),
            Mute::decl(&cfg),
            Chats::decl(&cfg),
            Presence::decl(&cfg),
            Privacy::decl(&cfg),
            Audience::decl(&cfg),
            Block::decl(&cfg),
            Blocks::decl(&cfg),
            ServerFrame::decl(&cfg),
            Attachment::decl(&cfg),
            AckStatus::decl(&cfg),
            UserEntry::decl(&cfg),
            ToDeviceMessage::decl(&cfg),
            ChatSettings::decl(&cfg),
            System::decl(&cfg),
            SystemEvent::decl(&cfg),
            ErrorCode::decl(&cfg),
            ConversationId::decl(&cfg),
        ];
        let mut text = String::from(
            "// Generated from the parley-protocol crate (protocol/src) by its `typescript` test.\n\
             // Do not edit: change the Rust types and run `make protocol-types`.\n",
        );
        for declaration in declarations {
            text.push_str("\nexport ");
            text.push_str(&declaration);
            text.push('\n');
        }
        text
    }

    #[test]
    fn committed_definitions_are_current() {
        let fresh = generated();
        if std::env::var_os("PARLEY_WRITE_TS").is_some() {
            std::fs::create_dir_all(std::path::Path::new(PATH).parent().unwrap()).unwrap();
            std::fs::write(PATH, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(PATH).unwrap_or_default();
        assert!(
            committed == fresh,
            "{PATH} is stale: run `make protocol-types` and commit it"
        );
    }
}
