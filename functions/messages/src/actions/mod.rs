//! What each messaging action does, one file each.

use parley_core::connections::Connection;
use parley_core::delivery::Delivery;
use parley_core::rate_limit::RateLimiter;
use parley_core::store::Store;
use parley_core::users::Users;
use parley_core::Error;
use parley_protocol::ServerFrame;

use parley_protocol::ClientFrame;

mod ack;
mod groups;
mod lookup;
mod send;
mod sync;
mod typing;

/// The AWS-backed services an action may use, built once per cold start.
pub struct Services {
    pub store: Store,
    pub delivery: Delivery,
    /// Registered users, for `lookup`.
    pub users: Users,
    /// Per-user rate limits ([`parley_core::rate_limit::cost_of`]).
    pub limits: RateLimiter,
}

/// The device a frame came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub connection_id: String,
}

impl Caller {
    /// This device as a delivery target (for frames posted back to it).
    pub fn device(&self) -> Connection {
        Connection {
            user_id: self.user_id.clone(),
            connection_id: self.connection_id.clone(),
            token_expires_at: 0,
            connected_at_ms: 0,
        }
    }
}

/// Runs a frame's action; the frame returned goes back to the caller through the route
/// response.
pub async fn run(
    services: &Services,
    caller: &Caller,
    frame: ClientFrame,
) -> Result<Option<ServerFrame>, Error> {
    services
        .limits
        .take_before(&caller.user_id, frame.action())
        .await?;
    match frame {
        ClientFrame::Send(send) => send::run(services, caller, send).await.map(Some),
        ClientFrame::Sync(sync) => sync::run(services, caller, sync).await.map(Some),
        ClientFrame::Ack(ack) => ack::run(services, caller, ack).await.map(|()| None),
        ClientFrame::Typing(typing) => typing::run(services, caller, typing).await.map(|()| None),
        ClientFrame::Lookup(lookup) => lookup::run(services, lookup).await.map(Some),
        ClientFrame::CreateGroup(create) => {
            groups::create(services, caller, create).await.map(Some)
        }
        ClientFrame::AddMembers(add) => groups::add(services, caller, add).await.map(Some),
        ClientFrame::RemoveMembers(remove) => {
            groups::remove(services, caller, remove).await.map(Some)
        }
        ClientFrame::LeaveGroup(leave) => groups::leave(services, caller, leave).await.map(Some),
        // Routed to the files and push functions: never here.
        other => Err(Error::bad_request(format!(
            "unknown action \"{}\"",
            other.action()
        ))),
    }
}
