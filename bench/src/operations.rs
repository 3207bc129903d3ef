//! What each conversation operation beyond a plain direct message costs: a reply, an edit,
//! a reaction, a delete for everyone, blocking (and unblocking), setting a disappearing-messages
//! timer, a message sent under one, a keepalive `ping`, a chat setting, a presence watch, and a connection opened
//! and closed (with nobody watching its owner, and with one watcher). For each, the AWS
//! requests the functions made, the DynamoDB capacity (from item sizes, as for a message),
//! the WebSocket messages and Lambda time, and the dollars per million operations.
//!
//! The frames are written as JSON, the way docs/protocol.md shows them, so that this file
//! measures the wire protocol rather than any client's wrapping of it.

use std::sync::Arc;
use std::time::Duration;

use parley_tests::stack::StackInfo;
use parley_tests::users::{sign_up, TestUser};
use serde_json::{json, Value};

use crate::control::Control;
use crate::cost;
use crate::devices::{Device, Inbox};
use crate::messaging::usage_per_operation;

const REPLY_WAIT: Duration = Duration::from_secs(15);
/// The 24-hour disappearing-messages timer.
const DAY_SECONDS: u64 = 86_400;
/// The longest wait for the stack to settle before and after each measured operation.
const QUIESCE_AT_MOST: Duration = Duration::from_secs(120);

/// The operations measured, in the report's order.
#[derive(Debug, Clone, Copy)]
enum Operation {
    /// A direct message quoting an earlier one (`replyTo`).
    Reply,
    /// The author's edit of an earlier message (each edit a different target).
    Edit,
    /// The recipient's reaction to an earlier message (each a different target).
    React,
    /// The author's delete for everyone of an earlier message (each a different target, which
    /// was replied to, edited and reacted to first: the delete scrubs those too).
    Delete,
    /// Blocking the other person, then unblocking, in turn.
    Block,
    /// Setting the chat's disappearing-messages timer to 24 hours, then off, in turn.
    Timer,
    /// A direct message while the chat's timer is 24 hours (set outside the measured window).
    TimedMessage,
    /// The keepalive.
    Ping,
    /// A chat setting (mute for 8 hours, then off, in turn).
    ChatSetting,
    /// Starting (renewing) a presence watch on the other person.
    PresenceWatch,
    /// A device connecting and closing again, its user watched by nobody.
    ConnectUnwatched,
    /// The same, its user watched by one open chat: the watcher is told online and offline.
    ConnectWatched,
}

impl Operation {
    const ALL: [Operation; 12] = [
        Operation::Reply,
        Operation::Edit,
        Operation::React,
        Operation::Delete,
        Operation::Block,
        Operation::Timer,
        Operation::TimedMessage,
        Operation::Ping,
        Operation::ChatSetting,
        Operation::PresenceWatch,
        Operation::ConnectUnwatched,
        Operation::ConnectWatched,
    ];

    fn name(self) -> &'static str {
        match self {
            Operation::Reply => "reply",
            Operation::Edit => "edit",
            Operation::React => "react",
            Operation::Delete => "deleteForEveryone",
            Operation::Block => "blockOrUnblock",
            Operation::Timer => "disappearingTimer",
            Operation::TimedMessage => "messageUnderTimer",
            Operation::Ping => "ping",
            Operation::ChatSetting => "chatSetting",
            Operation::PresenceWatch => "presenceWatch",
            Operation::ConnectUnwatched => "connectAndDisconnect",
            Operation::ConnectWatched => "connectAndDisconnectWatched",
        }
    }

    /// WebSocket messages in per operation (a connection sends none).
    fn frames_in(self) -> f64 {
        match self {
            Operation::ConnectUnwatched | Operation::ConnectWatched => 0.0,
            _ => 1.0,
        }
    }
}

/// Two people in a direct chat, both online, and two more who only connect and disconnect.
struct Chat<'a> {
    stack: &'a StackInfo,
    control: &'a Control,
    inbox: Arc<Inbox>,
    alice: Device,
    bob_user: TestUser,
    bob: Device,
    /// Connects and disconnects with nobody watching.
    carol: TestUser,
    /// Connects and disconnects while alice watches.
    dave: TestUser,
    conversation: String,
    /// Alice's messages that the replies, edits and reactions target, one each.
    targets: Vec<u64>,
    counter: u64,
}

/// Measures every [`Operation`] `count` times; returns one entry per operation.
pub async fn measure(stack: &StackInfo, control: &Control, count: usize) -> Value {
    let mut chat = Chat::new(stack, control, count).await;
    let mut report = serde_json::Map::new();
    for operation in Operation::ALL {
        report.insert(operation.name().into(), chat.per(operation, count).await);
    }
    report.insert(
        "note".into(),
        json!("per operation, averaged; capacity computed from item sizes by DynamoDB's rules; dollars at the prices in bench/src/cost.rs"),
    );
    Value::Object(report)
}

impl<'a> Chat<'a> {
    async fn new(stack: &'a StackInfo, control: &'a Control, count: usize) -> Chat<'a> {
        let inbox = Arc::new(Inbox::default());
        let alice_user = sign_up(stack, "bench-ops-a").await;
        let bob_user = sign_up(stack, "bench-ops-b").await;
        let carol = sign_up(stack, "bench-ops-c").await;
        let dave = sign_up(stack, "bench-ops-d").await;
        let alice = Device::connect(stack, &alice_user, Arc::clone(&inbox)).await;
        let bob = Device::connect(stack, &bob_user, Arc::clone(&inbox)).await;
        let mut chat = Chat {
            stack,
            control,
            inbox,
            alice,
            bob_user,
            bob,
            carol,
            dave,
            conversation: String::new(),
            targets: Vec::new(),
            counter: 0,
        };
        // The first message makes the chat; then one target per reply, edit and reaction.
        let to = chat.bob_user.user_id.clone();
        let first = chat
            .alice_request(json!({"action": "send", "toUser": to, "body": "benchmark"}))
            .await;
        chat.conversation = first["conversation"]
            .as_str()
            .unwrap_or_else(|| panic!("the first message is stored: {first}"))
            .to_owned();
        for _ in 0..count {
            let conversation = chat.conversation.clone();
            let sent = chat
                .alice_request(
                    json!({"action": "send", "conversation": conversation, "body": "a target"}),
                )
                .await;
            let seq = sent["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("a target is stored: {sent}"));
            chat.targets.push(seq);
        }
        chat
    }

    fn fresh_id(&mut self) -> String {
        self.counter += 1;
        format!("ops-{}-{}", std::process::id(), self.counter)
    }

    /// Sends `frame` from alice with a fresh `id`; returns the reply to it.
    async fn alice_request(&mut self, mut frame: Value) -> Value {
        let id = self.fresh_id();
        frame["id"] = json!(id);
        self.alice.send_json(&frame).await;
        self.alice
            .reply_to(&id, REPLY_WAIT)
            .await
            .unwrap_or_else(|| panic!("no reply to {frame}"))
    }

    /// The same from bob.
    async fn bob_request(&mut self, mut frame: Value) -> Value {
        let id = self.fresh_id();
        frame["id"] = json!(id);
        self.bob.send_json(&frame).await;
        self.bob
            .reply_to(&id, REPLY_WAIT)
            .await
            .unwrap_or_else(|| panic!("no reply to {frame}"))
    }

    /// `count` runs of `operation` one after another, with everything they caused counted.
    async fn per(&mut self, operation: Operation, count: usize) -> Value {
        if let Operation::ConnectWatched = operation {
            // The watch lease lasts 5 minutes: renewed before, outside the measured window.
            let dave = self.dave.user_id.clone();
            self.alice_request(json!({"action": "presence", "user": dave, "watch": true}))
                .await;
        }
        if let Operation::TimedMessage = operation {
            self.set_timer(DAY_SECONDS).await;
        }
        self.control.quiesce(QUIESCE_AT_MOST).await;
        self.control.reset().await;
        let frames_before = self.inbox.billed_frames_out();
        for i in 0..count {
            self.once(operation, i).await;
        }
        // A connection's `$disconnect` and the posts it causes come after the close.
        self.control.quiesce(QUIESCE_AT_MOST).await;
        let counters = self.control.reset().await;
        let frames_out = (self.inbox.billed_frames_out() - frames_before) as f64;
        let (usage, mut figures) =
            usage_per_operation(&counters, count as f64, operation.frames_in(), frames_out);
        figures["costPerMillionUsd"] = json!(cost::per_million(&usage));
        match operation {
            Operation::TimedMessage => {
                self.set_timer(0).await;
            }
            // The later operations message bob: an odd count ended on a block.
            Operation::Block if count % 2 == 1 => {
                let bob = self.bob_user.user_id.clone();
                self.alice_request(json!({"action": "block", "user": bob, "blocked": false}))
                    .await;
            }
            _ => {}
        }
        figures
    }

    /// Sets the chat's disappearing-messages timer (0: off).
    async fn set_timer(&mut self, seconds: u64) -> Value {
        let conversation = self.conversation.clone();
        let reply = self
            .alice_request(json!({"action": "send", "conversation": conversation, "kind": "timer", "seconds": seconds}))
            .await;
        assert_eq!(reply["type"], "sent", "the timer is set: {reply}");
        reply
    }

    async fn once(&mut self, operation: Operation, i: usize) {
        let conversation = self.conversation.clone();
        let target = self.targets[i];
        let bob = self.bob_user.user_id.clone();
        let reply = match operation {
            Operation::Reply => {
                self.alice_request(json!({"action": "send", "conversation": conversation, "body": "a reply", "replyTo": {"seq": target, "preview": "a target"}}))
                    .await
            }
            Operation::Edit => {
                self.alice_request(json!({"action": "send", "conversation": conversation, "kind": "edit", "target": target, "body": "an edited target"}))
                    .await
            }
            Operation::React => {
                self.bob_request(json!({"action": "send", "conversation": conversation, "kind": "react", "target": target, "body": "👍"}))
                    .await
            }
            Operation::Delete => {
                self.alice_request(json!({"action": "send", "conversation": conversation, "kind": "delete", "target": target}))
                    .await
            }
            Operation::Block => {
                let blocked = i.is_multiple_of(2);
                self.alice_request(json!({"action": "block", "user": bob, "blocked": blocked}))
                    .await
            }
            Operation::Timer => {
                let seconds = if i.is_multiple_of(2) { DAY_SECONDS } else { 0 };
                self.set_timer(seconds).await
            }
            Operation::TimedMessage => {
                self.alice_request(json!({"action": "send", "conversation": conversation, "body": "gone tomorrow"}))
                    .await
            }
            Operation::Ping => self.alice_request(json!({"action": "ping"})).await,
            Operation::ChatSetting => {
                let mute = if i.is_multiple_of(2) { "8h" } else { "off" };
                self.alice_request(json!({"action": "chat", "conversation": conversation, "mute": mute}))
                    .await
            }
            Operation::PresenceWatch => {
                self.alice_request(json!({"action": "presence", "user": bob, "watch": true}))
                    .await
            }
            Operation::ConnectUnwatched | Operation::ConnectWatched => {
                let user = match operation {
                    Operation::ConnectWatched => &self.dave,
                    _ => &self.carol,
                };
                let device = Device::connect(self.stack, user, Arc::clone(&self.inbox)).await;
                device.close().await;
                // The next connection must not overtake this one's `$disconnect` (it would
                // find the user still online and post nothing): let the stack settle.
                self.control.quiesce(QUIESCE_AT_MOST).await;
                return;
            }
        };
        assert_ne!(
            reply["type"],
            "error",
            "{} is refused: {reply}",
            operation.name()
        );
    }
}
