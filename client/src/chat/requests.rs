//! Frames that await a reply by id: `lookup`, the group actions, `uploadUrl`,
//! `downloadUrl`, `registerPush`. Kept in memory only (the application awaits each); sent
//! again with the same id after a transient refusal, an overdue reply or a reconnect (the
//! group actions are idempotent by id), and given up after [`MAX_FAILURES`].

use parley_protocol::{ClientFrame, ErrorCode, ServerFrame};
use std::time::Instant;
use tokio::sync::oneshot;

use super::Chat;
use crate::backoff::Backoff;
use crate::events::Event;
use crate::flight::Flight;
use crate::store::{Group, StoreError};

/// Transient failures after which a request is answered with the last refusal.
pub const MAX_FAILURES: u32 = 5;

pub type Reply = Result<ServerFrame, RequestError>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("refused: {code}: {message}")]
    Refused { code: ErrorCode, message: String },
    #[error("the client stopped")]
    Stopped,
}

#[derive(Default)]
pub(super) struct Requests {
    pending: Vec<Pending>,
}

struct Pending {
    id: String,
    frame: ClientFrame,
    flight: Flight,
    reply: oneshot::Sender<Reply>,
}

impl Requests {
    pub(super) fn disconnected(&mut self, now: Instant) {
        for pending in &mut self.pending {
            pending.flight.disconnected(now);
        }
    }

    pub(super) fn all_failed(&mut self, now: Instant) {
        let sent: Vec<String> = self
            .pending
            .iter()
            .filter(|p| p.flight.is_sent())
            .map(|p| p.id.clone())
            .collect();
        for id in sent {
            self.failed(
                &id,
                ErrorCode::Internal,
                "Internal server error".into(),
                now,
            );
        }
    }

    pub(super) fn next_wakeup(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.flight.wakeup()).min()
    }

    pub(super) fn refused(&mut self, id: &str, code: ErrorCode, message: String, now: Instant) {
        if code.is_final() {
            self.answer(id, Err(RequestError::Refused { code, message }));
        } else if code != ErrorCode::Unauthorized {
            // (`unauthorized`: the connection closes and the next one sends it again.)
            self.failed(id, code, message, now);
        }
    }

    fn failed(&mut self, id: &str, code: ErrorCode, message: String, now: Instant) {
        let Some(pending) = self.pending.iter_mut().find(|p| p.id == id) else {
            return;
        };
        pending.flight.failed(now, Backoff::RETRY);
        if pending.flight.failures >= MAX_FAILURES {
            self.answer(id, Err(RequestError::Refused { code, message }));
        }
    }

    fn answer(&mut self, id: &str, reply: Reply) {
        if let Some(at) = self.pending.iter().position(|p| p.id == id) {
            // The application may have stopped waiting: nothing to tell it then.
            let _ = self.pending.remove(at).reply.send(reply);
        }
    }
}

impl Chat {
    /// Sends a frame that carries an id and answers the reply to it on `reply`.
    pub fn request(&mut self, frame: ClientFrame, reply: oneshot::Sender<Reply>, now: Instant) {
        let Some(id) = frame.id().map(str::to_owned) else {
            let _ = reply.send(Err(RequestError::Refused {
                code: ErrorCode::BadRequest,
                message: format!("{} has no id to await", frame.action()),
            }));
            return;
        };
        self.requests.pending.push(Pending {
            id,
            frame,
            flight: Flight::due_now(now),
            reply,
        });
        self.poll_requests(now);
    }

    pub(super) fn poll_requests(&mut self, now: Instant) {
        if !self.connected {
            return;
        }
        self.requests.pending.retain(|p| !p.reply.is_closed());
        let overdue: Vec<String> = self
            .requests
            .pending
            .iter()
            .filter(|p| p.flight.timed_out(now))
            .map(|p| p.id.clone())
            .collect();
        for id in overdue {
            self.requests
                .failed(&id, ErrorCode::Internal, "no reply".into(), now);
        }
        let mut frames = Vec::new();
        for pending in &mut self.requests.pending {
            if pending.flight.is_due(now) {
                pending.flight.sent(now);
                frames.push(pending.frame.clone());
            }
        }
        for frame in frames {
            self.send_frame(frame);
        }
    }

    /// A reply: a `group` also updates what this device knows of the group.
    pub(super) fn on_reply(&mut self, mut frame: ServerFrame) -> Result<(), StoreError> {
        // A `keys` answer comes in parts: the request is answered with all of them merged.
        if let ServerFrame::Keys { id, devices, more } = frame {
            let merged = self.key_parts.entry(id.clone()).or_default();
            merged.extend(devices);
            if more {
                return Ok(());
            }
            let devices = self.key_parts.remove(&id).unwrap_or_default();
            frame = ServerFrame::Keys {
                id,
                devices,
                more: false,
            };
        }
        if let ServerFrame::Group {
            conversation,
            name,
            members,
            admins,
            ..
        } = &frame
        {
            let group = Group {
                name: name.clone(),
                members: members.clone(),
                admins: admins.clone(),
            };
            if self.store.group(conversation)?.as_ref() != Some(&group) {
                self.store.save_group(conversation, &group)?;
                self.emit(Event::Group {
                    conversation: conversation.clone(),
                    group,
                });
            }
        }
        if let Some(id) = frame.reply_to().map(str::to_owned) {
            self.requests.answer(&id, Ok(frame));
        }
        Ok(())
    }
}
