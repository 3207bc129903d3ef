//! The user's chat settings (mute, archive, pin, unread) as this device learns them, and the
//! keepalive. Settings are the server's: a change made on any device arrives as a `chat`
//! frame (the reply on the device that made it, a live frame on the others), and after each
//! connect's catch-up sync the device asks `chats` for the whole list, which covers what
//! changed while it was away. Both reach the application as events; nothing is stored here.

use parley_protocol::client::{Chats, Ping};
use parley_protocol::{ChatSettings, ClientFrame};

use super::Chat;
use crate::events::Event;

impl Chat {
    /// Keeps an idle connection open: a `ping`, answered by `pong` without any table
    /// read on the server (API Gateway closes after 10 minutes without a data frame).
    pub fn keepalive(&mut self) {
        self.send_frame(ClientFrame::Ping(Ping::default()));
    }

    /// The catch-up sync ended: ask for the settings, which may have changed meanwhile.
    /// Not awaited: the reply is handed out as [`Event::ChatList`], and a lost one is asked
    /// again on the next connect.
    pub(super) fn list_chats(&mut self) {
        self.send_frame(ClientFrame::Chats(Chats {
            id: format!("chats-{}", uuid::Uuid::new_v4()),
        }));
    }

    /// A `chat` frame (a reply, or another device's change).
    pub(super) fn on_chat(&mut self, settings: ChatSettings) {
        self.emit(Event::ChatSettings(settings));
    }

    /// A `chats` frame: the whole list (conversations not in it have the defaults).
    pub(super) fn on_chats(&mut self, chats: Vec<ChatSettings>) {
        self.emit(Event::ChatList(chats));
    }
}
