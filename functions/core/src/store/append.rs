//! Appending a message to a conversation: exactly once per client id, at the next seq.
//!
//! [`Store::read`] is one BatchGetItem of the conversation's counter, the sender's send
//! record for this id and, for a send that spends a rate-limit token, the sender's bucket
//! (and a direct message's recipient's users item). [`Store::commit`] is then one
//! TransactWriteItems, all or nothing, made again on what a lost race revealed; before each
//! attempt it asks the domain's rules ([`crate::rules::plan`]) what the record it holds
//! allows, so a refusal stores nothing:
//! - moves the counter from the seq it read to the next (a condition: a concurrent send that
//!   got there first cancels this one, so seqs stay dense); a send that lost this race queues
//!   and commits at its turn ([`super::turns`]), so N concurrent sends cost O(N) requests;
//!   a group membership change ([`Change`]) rewrites the members in this same update, so every
//!   message is ordered before or after it and reaches exactly the members of its time;
//! - writes the send record (condition: none yet, so a concurrent retry of the same id
//!   cancels, and the cancellation returns the record it lost to);
//! - takes the sender's token ([`crate::rate_limit::Limit::token_update`]; a bucket that moved
//!   meanwhile cancels, and the cancellation says where it stands). A retried id that is
//!   already stored is answered from the read and spends nothing;
//! - a direct chat: writes the message into both mailboxes, the copy of a member with no
//!   live device marked for push ([`Message::copy_item`]);
//! - writes it into the conversation's log ([`super::log`]), where a change to it finds it;
//! - a change to a message (issue 16): rewrites the target's state item ([`super::state`])
//!   on condition that it is the version read (the rules, [`crate::rules::changes`], were
//!   asked about that one; a state that moved meanwhile cancels, and the send reads again);
//! - a group: Up to 1024 members do not fit
//!   one transaction (100 items), so the members' copies are written after the commit, in
//!   batches ([`super::fanout`]), by the caller, which knows by then who has a live device:
//!   idempotent Puts that a retried send writes again from the log to finish a fan-out a
//!   crash interrupted (`sent` waits for every copy, so a client that has no `sent`
//!   retries).
//!
//! The store decides nothing about delivery: who is reachable is the caller's to say.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update,
};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::blocks::{block_key, blocked_by_key, blockers_in, BLOCKED_BY, BLOCK_PREFIX};
use super::conversations::{ConversationRecord, FORMER, TIMER, WRITERS};
use super::log::{log_item, log_key};
use super::scrub::{owners_of_group, Scrub};
use super::state::{state_key, StateRecord};
use super::turns::{turn_condition, Pace, Step};
use super::Store;
use crate::clock::now_ms;
use crate::message::{expired, Message};
use crate::rate_limit::{arrival_time, Limit, TokenUpdate};
use crate::rules::membership::{Applied, Change};
use crate::rules::{self, changes, timers, Plan};
use crate::users::user_key;
use crate::Error;
use parley_protocol::{Attachment, ChangeKind, ConversationId, Kind, ReplyTo};

/// How often a read (BatchGetItem) is repeated for keys DynamoDB left unprocessed.
const MAX_ATTEMPTS: u32 = 40;
/// How long a send may wait for its turn before giving up with `rate_limited` (the client then
/// retries with the same id, which is safe). Turns pass one commit at a time, so only a queue
/// of hundreds of sends into one conversation at once runs out of time; the budget stays
/// under the function's 10 s timeout so that the client gets an `error`, not a timeout.
const RACE_BUDGET: Duration = Duration::from_secs(7);
/// The largest pause between attempts; each pause is random up to a doubling bound.
const MAX_BACKOFF: Duration = Duration::from_millis(100);
/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

/// A message to store.
#[derive(Debug, Clone)]
pub struct Draft {
    pub sender: String,
    pub client_id: String,
    pub conversation: ConversationId,
    pub body: Option<String>,
    pub attachment: Option<Attachment>,
    pub system: Option<parley_protocol::System>,
    /// A group membership change this message records (its `system` object is then made
    /// from the change).
    pub change: Option<Change>,
    /// The rate limit a new message spends a token of.
    pub limit: Option<&'static Limit>,
    /// A change to the message at `target` (issue 16); none for a message.
    pub kind: Option<ChangeKind>,
    pub target: Option<u64>,
    /// The message this one quotes.
    pub reply_to: Option<ReplyTo>,
    /// The users it mentions: only the conversation's members are kept.
    pub mentions: Vec<String>,
    pub forwarded: bool,
    /// A reaction's one member to wake ([`Message::wakes`]).
    pub wakes: Option<String>,
    /// End-to-end encrypted content in place of `body` ([`Message::encrypted`]).
    pub encrypted: Option<String>,
    /// A `timer` entry's new disappearing-messages timer ([`Message::seconds`]).
    pub seconds: Option<u64>,
}

impl Draft {
    /// A message with `body` or `attachment` (or, for a group action, a membership
    /// `change`) from `sender` under their `client_id`, and nothing more.
    pub fn message(
        sender: String,
        client_id: String,
        conversation: ConversationId,
        body: Option<String>,
        attachment: Option<Attachment>,
    ) -> Self {
        Self {
            sender,
            client_id,
            conversation,
            body,
            attachment,
            system: None,
            change: None,
            limit: None,
            kind: None,
            target: None,
            reply_to: None,
            mentions: Vec::new(),
            forwarded: false,
            wakes: None,
            encrypted: None,
            seconds: None,
        }
    }

    /// The seq of the conversation's log whose entry this draft names: the target of a
    /// change, or the message a reply quotes.
    fn names(&self) -> Option<u64> {
        self.target
            .or_else(|| self.reply_to.as_ref().map(|reply| reply.seq))
    }
}

/// What the store held when last looked at: read, or told by a cancelled transaction.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    record: Option<ConversationRecord>,
    /// The sender's rate-limit bucket ([`arrival_time`]).
    arrival: Option<i64>,
    /// For a direct chat, whether the other member is a registered user (users table).
    recipient_exists: Option<bool>,
    /// The log entry the draft names ([`Draft::names`]), if it exists.
    named: Option<Box<Message>>,
    /// A change's target's state: none when nothing changed it yet.
    state: Option<StateRecord>,
    /// Who blocks the sender: their copies of its entries are placeholders.
    blocked_by: BTreeSet<String>,
    /// In a direct chat, whether the sender blocks the other member.
    blocks_other: bool,
}

impl Seen {
    /// The conversation's record (none before a direct chat's first message or a group's
    /// creation).
    pub fn record(&self) -> Option<&ConversationRecord> {
        self.record.as_ref()
    }

    /// The log entry the draft names (a change's target, a reply's quote), if it exists.
    pub fn named(&self) -> Option<&Message> {
        self.named.as_deref()
    }

    /// What the domain's rules allow the draft to be, on what was read, at `now`: who may
    /// write, and whether the change or the reply the draft is may be made.
    pub fn plan(&self, draft: &Draft, now: i64) -> Result<Plan, Error> {
        let plan = rules::plan(
            &draft.conversation,
            &draft.sender,
            draft.change.as_ref(),
            self.record.as_ref(),
            self.recipient_exists,
        )?;
        if self.blocks_other && draft.kind.is_none() {
            return Err(Error::forbidden("unblock this user to message them"));
        }
        if draft.kind == Some(ChangeKind::Timer) {
            timers::check(
                &draft.conversation,
                &draft.sender,
                self.record.as_ref().map(|r| r.admins.as_slice()),
            )?;
        } else if let Some(kind) = draft.kind {
            let admin = draft.conversation.kind() == Kind::Group
                && self
                    .record
                    .as_ref()
                    .is_some_and(|r| r.admins.contains(&draft.sender));
            changes::check(changes::Ask {
                kind,
                sender: &draft.sender,
                now,
                target: self.named.as_deref(),
                state: self.state.as_ref(),
                admin,
            })?;
        }
        if let Some(reply_to) = &draft.reply_to {
            changes::reply(self.named.as_deref(), reply_to.preview.clone())?;
        }
        Ok(plan)
    }
}

/// What [`Store::read`] found.
#[derive(Debug, Clone)]
pub enum Read {
    /// Nothing stored under this id yet: what a commit starts from.
    Fresh(Seen),
    /// Stored before: its outcome, and the conversation's record as read with it.
    Stored {
        earlier: SendRecord,
        record: Option<ConversationRecord>,
    },
}

/// What a send stored, as its record keeps it: a retry gets exactly this back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    pub conversation: String,
    pub seq: u64,
    pub message_id: String,
    pub ts: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    /// Newly stored: for `members` (a group's copies are the caller's to write), with the
    /// membership change `applied`, if any, which is the group as it now stands.
    New {
        message: Box<Message>,
        members: Vec<String>,
        /// The members who block the sender: their copies are placeholders, and they are
        /// posted a `skip` instead of the entry.
        hidden: BTreeSet<String>,
        applied: Option<Applied>,
        /// A delete for everyone: what it removes that the transaction did not (a group's
        /// copies) and the attachment to delete, for the caller.
        scrub: Option<Scrub>,
    },
    /// This client id was stored before: nothing new was written. `record` is the
    /// conversation's as last read.
    Duplicate {
        earlier: SendRecord,
        record: Option<ConversationRecord>,
    },
    /// The membership change changes nothing: nothing was written. `record` is the
    /// conversation's as read.
    Unchanged(Option<ConversationRecord>),
}

impl Appended {
    /// What the send stored (none for an [`Appended::Unchanged`] membership change).
    pub fn record(&self) -> Option<SendRecord> {
        match self {
            Self::New { message, .. } => Some(SendRecord {
                conversation: message.conversation.to_string(),
                seq: message.seq,
                message_id: message.message_id.clone(),
                ts: message.ts,
            }),
            Self::Duplicate { earlier, .. } => Some(earlier.clone()),
            Self::Unchanged(_) => None,
        }
    }
}

impl Store {
    /// Stores `draft` once, starting from `seen` ([`Store::read`]), or returns what an
    /// earlier send with the same client id stored. `reachable` are the members with a live
    /// device: in a direct chat, whose copies are part of the transaction, the others' copies
    /// are marked for push ([`Message::copy_item`]); a group's copies are not written here.
    pub async fn commit(
        &self,
        draft: &Draft,
        seen: Seen,
        reachable: &BTreeSet<String>,
    ) -> Result<Appended, Error> {
        let message_id = uuid::Uuid::new_v4().simple().to_string();
        // What the store holds as last read or as a lost race revealed: an attempt with
        // nothing known reads again.
        let mut known: Option<Seen> = Some(seen);
        let started = Instant::now();
        let mut attempt = 0;
        // The ticket this send queues with, once it lost a race ([`super::turns`]).
        let mut turn: Option<Pace> = None;
        let mut committed = false;
        let outcome = loop {
            if started.elapsed() >= RACE_BUDGET {
                // More sends into this conversation at once than it commits in the budget: a
                // limit of the conversation's throughput, which the client meets by retrying
                // later with the same id, not a failure of the backend.
                tracing::warn!(conversation = %draft.conversation, attempt,
                    "a send did not get its turn within the budget");
                break Err(Error::client(
                    parley_protocol::ErrorCode::RateLimited,
                    "too many sends into this conversation at once: retry with the same id",
                ));
            }
            attempt += 1;
            let seen = match known.take() {
                Some(seen) => seen,
                None => match self.read(draft).await? {
                    Read::Fresh(seen) => seen,
                    Read::Stored { earlier, record } => {
                        break Ok(Appended::Duplicate { earlier, record })
                    }
                },
            };
            if let Some(pace) = turn.as_mut() {
                let queue = seen.record.as_ref().map(|r| r.queue).unwrap_or_default();
                match pace.step(queue, Instant::now()) {
                    Step::Commit => {}
                    Step::Wait(pause) => {
                        tokio::time::sleep(pause).await;
                        continue;
                    }
                    Step::PassStalled { served } => {
                        tracing::info!(conversation = %draft.conversation, ticket = served + 1,
                            "a send turn stood still for its lease: passing it");
                        self.pass_turn(&draft.conversation, served + 1).await?;
                        continue;
                    }
                    Step::Requeue => {
                        tracing::info!(conversation = %draft.conversation, "passed over: queueing again");
                        turn = None;
                        known = self.queue_up(draft, &seen, &mut turn).await?;
                        continue;
                    }
                }
            }
            let record = seen.record.clone();
            let now = now_ms();
            let (members, applied) = match seen.plan(draft, now) {
                Ok(Plan::Append { members, applied }) => (members, applied),
                Ok(Plan::Unchanged) => break Ok(Appended::Unchanged(record)),
                Err(refused) => break Err(refused),
            };
            let previous = record.as_ref().map(|r| r.last_seq).unwrap_or(0);
            let token = match draft
                .limit
                .map(|limit| limit.token_update(&draft.sender, seen.arrival, now))
                .transpose()
            {
                Ok(token) => token,
                Err(refused) => break Err(refused),
            };
            let message = Message {
                conversation: draft.conversation.clone(),
                seq: previous + 1,
                message_id: message_id.clone(),
                client_id: draft.client_id.clone(),
                from: draft.sender.clone(),
                ts: now,
                body: draft.body.clone(),
                attachment: draft.attachment.clone(),
                system: applied
                    .as_ref()
                    .map(|a| a.system.clone())
                    .or_else(|| draft.system.clone()),
                kind: draft.kind,
                target: draft.target,
                reply_to: match &draft.reply_to {
                    Some(reply) => {
                        match changes::reply(seen.named.as_deref(), reply.preview.clone()) {
                            Ok(quote) => Some(quote),
                            Err(refused) => break Err(refused),
                        }
                    }
                    None => None,
                },
                mentions: draft
                    .mentions
                    .iter()
                    .filter(|user| members.contains(user))
                    .cloned()
                    .collect(),
                forwarded: draft.forwarded,
                wakes: draft.wakes.clone(),
                encrypted: draft.encrypted.clone(),
                seconds: draft.seconds,
                // Under the timer the counter held when this seq was taken (a timer entry
                // itself is not: the announcement stays).
                lifetime: match draft.kind {
                    Some(ChangeKind::Timer) => None,
                    _ => record.as_ref().and_then(|r| r.timer),
                },
            };
            // Who blocks the sender gets a placeholder (a membership change reaches everyone).
            let hidden: BTreeSet<String> = if message.system.is_some() {
                BTreeSet::new()
            } else {
                members
                    .iter()
                    .filter(|m| **m != draft.sender && seen.blocked_by.contains(*m))
                    .cloned()
                    .collect()
            };
            // A delete for everyone removes the text of the target and of its edits.
            let scrub = match (draft.kind, &seen.named) {
                (Some(ChangeKind::Delete), Some(target)) => Some(Scrub::of(
                    target,
                    seen.state.as_ref(),
                    match &record {
                        Some(record) if draft.conversation.kind() == Kind::Group => {
                            owners_of_group(&record.members, &record.former)
                        }
                        _ => members.clone(),
                    },
                )),
                _ => None,
            };
            // A change rewrites its target's state, if the state read is still the one.
            let state = match (draft.kind, &seen.named) {
                (Some(_), Some(target)) => Some(StateWrite {
                    record: StateRecord {
                        attachment: scrub
                            .as_ref()
                            .and_then(|s| s.attachment.as_ref())
                            .map(|(key, _)| key.clone()),
                        ..changes::apply(seen.state.as_ref(), &message)
                    },
                    target: target.seq,
                    read_version: seen.state.as_ref().map(|s| s.state.version),
                    ttl: target.expires_at(),
                }),
                _ => None,
            };
            let written = self
                .write(
                    draft,
                    Attempt {
                        message: &message,
                        previous,
                        members: &members,
                        reachable,
                        applied: applied.as_ref(),
                        token,
                        ticket: turn.as_ref().map(Pace::ticket),
                        state: state.as_ref(),
                        scrub: scrub.as_ref(),
                        hidden: &hidden,
                    },
                )
                .await?;
            match written {
                Written::Stored => {
                    committed = true;
                    break Ok(Appended::New {
                        message: Box::new(message),
                        members,
                        hidden,
                        applied,
                        scrub,
                    });
                }
                Written::Duplicate(earlier) => {
                    // Possibly this very send, whose answer was lost after it committed (the
                    // SDK retried): a group's copies may still be missing, which the caller
                    // completes.
                    break Ok(Appended::Duplicate { earlier, record });
                }
                Written::LostRace { state_moved, .. } if state_moved => {
                    // Another change to the same message committed since the read: read
                    // again, and ask the rules again about what it made of the message.
                    tracing::debug!(attempt, conversation = %draft.conversation,
                        "the target's state moved");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Written::LostRace {
                    counter, arrival, ..
                } => {
                    tracing::debug!(attempt, conversation = %draft.conversation, "race lost");
                    // The cancellation told where what moved stands now. Told nothing (a
                    // conflict, a throttle), read again after a pause.
                    let told = counter.is_some() || arrival.is_some();
                    if told {
                        known = Some(Seen {
                            record: counter.clone().or(record),
                            arrival: arrival.unwrap_or(seen.arrival),
                            ..seen
                        });
                    }
                    match (&turn, counter, known.take()) {
                        // Another send took the seq: queue instead of racing again.
                        (None, Some(_), Some(now)) => {
                            known = self.queue_up(draft, &now, &mut turn).await?;
                        }
                        // Only the sender's own bucket moved, or the turn is ours and the
                        // cancellation says where things stand: try again at once.
                        (_, _, Some(now)) => known = Some(now),
                        (_, _, None) => tokio::time::sleep(backoff(attempt)).await,
                    }
                }
            }
        };
        if let (Some(pace), false) = (&turn, committed) {
            // Refused or answered at its turn, the send hands the turn on (a no-op when the
            // turn is not its own).
            if let Err(error) = self.pass_turn(&draft.conversation, pace.ticket()).await {
                tracing::warn!(error = %error, "could not pass a send turn; it will time out");
            }
        }
        outcome
    }

    /// Takes a ticket for `draft`'s conversation into `turn`; returns what to look at next: the
    /// record as the ticket found it, or nothing (read again) when no ticket could be had.
    async fn queue_up(
        &self,
        draft: &Draft,
        seen: &Seen,
        turn: &mut Option<Pace>,
    ) -> Result<Option<Seen>, Error> {
        match self.take_ticket(&draft.conversation).await? {
            Some((ticket, record)) => {
                *turn = Some(Pace::new(ticket, record.queue, Instant::now()));
                Ok(Some(Seen {
                    record: Some(record),
                    ..seen.clone()
                }))
            }
            None => {
                tokio::time::sleep(backoff(1)).await;
                Ok(None)
            }
        }
    }

    /// Reads what a commit of `draft` starts from: the conversation's record and the
    /// sender's rate-limit bucket, in one BatchGetItem with the sender's earlier send of this
    /// id; when there is one, that instead.
    pub async fn read(&self, draft: &Draft) -> Result<Read, Error> {
        let conversation_key = HashMap::from([(
            "conversationId".to_owned(),
            AttributeValue::S(draft.conversation.to_string()),
        )]);
        // Who blocks the sender and, in a direct chat, whether the sender blocks the other.
        let mut message_keys = vec![
            send_record_key(&draft.sender, &draft.client_id),
            blocked_by_key(&draft.sender),
        ];
        if let Some(other) = draft.conversation.direct_other(&draft.sender) {
            message_keys.push(block_key(&draft.sender, &other));
        }
        if let Some(limit) = draft.limit {
            message_keys.push(limit.key(&draft.sender));
        }
        // The entry a change or a reply names, and a change's target's state.
        if let Some(seq) = draft.names() {
            let in_log = |sk: String| {
                HashMap::from([
                    (
                        "userId".to_owned(),
                        AttributeValue::S(draft.conversation.to_string()),
                    ),
                    ("sk".to_owned(), AttributeValue::S(sk)),
                ])
            };
            message_keys.push(in_log(log_key(seq)));
            if draft.kind.is_some() {
                message_keys.push(in_log(state_key(seq)));
            }
        }
        let mut request = HashMap::from([
            (
                self.conversations_table.clone(),
                keys(vec![conversation_key])?,
            ),
            (self.messages_table.clone(), keys(message_keys)?),
        ]);
        let mut seen = Seen::default();
        // A direct chat's other member must be registered: one more key in the same read.
        if let Some(other) = draft.conversation.direct_other(&draft.sender) {
            request.insert(self.users_table.clone(), keys(vec![user_key(&other)])?);
            seen.recipient_exists = Some(false);
        }
        let mut earlier = None;
        // BatchGetItem may leave keys unprocessed under throttling: ask again for those.
        for attempt in 0..MAX_ATTEMPTS {
            let output = self
                .db
                .batch_get_item()
                .set_request_items(Some(request))
                .send()
                .await
                .map_err(Error::aws)?;
            let responses = output.responses().cloned().unwrap_or_default();
            if let Some(item) = responses
                .get(&self.conversations_table)
                .and_then(|items| items.first())
            {
                seen.record = Some(ConversationRecord::from_item(item));
            }
            if responses
                .get(&self.users_table)
                .is_some_and(|items| !items.is_empty())
            {
                seen.recipient_exists = Some(true);
            }
            for item in responses.get(&self.messages_table).into_iter().flatten() {
                match item.get("sk").and_then(|sk| sk.as_s().ok()) {
                    Some(sk) if sk == BLOCKED_BY => seen.blocked_by = blockers_in(item),
                    Some(sk) if sk.starts_with(BLOCK_PREFIX) => seen.blocks_other = true,
                    Some(sk) if sk.starts_with("id#") => earlier = send_record_from_item(item),
                    Some(sk) if sk.starts_with("rate#") => seen.arrival = arrival_time(item),
                    // An expired entry is gone, whether or not DynamoDB deleted it yet.
                    _ if expired(item, now_ms()) => {}
                    Some(sk) if sk.starts_with("s#") => {
                        seen.named = Message::from_item(item).map(Box::new)
                    }
                    Some(sk) if sk.starts_with("x#") => seen.state = StateRecord::from_item(item),
                    _ => {}
                }
            }
            match output.unprocessed_keys() {
                Some(unprocessed) if !unprocessed.is_empty() => {
                    request = unprocessed.clone();
                    tokio::time::sleep(backoff(attempt)).await;
                }
                _ => {
                    return Ok(match earlier {
                        None => Read::Fresh(seen),
                        Some(earlier) => Read::Stored {
                            earlier,
                            record: seen.record,
                        },
                    })
                }
            }
        }
        Err(Error::internal(
            "BatchGetItem kept leaving keys unprocessed",
        ))
    }

    async fn write(&self, draft: &Draft, attempt: Attempt<'_>) -> Result<Written, Error> {
        let Attempt {
            message,
            previous,
            members,
            reachable,
            applied,
            token,
            ticket,
            state,
            scrub,
            hidden,
        } = attempt;
        let is_group = draft.conversation.kind() == Kind::Group;
        let scrubbed = scrub.map(Scrub::in_transaction).unwrap_or_default();
        if !is_group && members.len() + 7 + scrubbed.len() > MAX_TRANSACTION_ITEMS {
            return Err(Error::internal(format!(
                "{} members do not fit one transaction",
                members.len()
            )));
        }
        let mut values = HashMap::from([(
            ":seq".to_owned(),
            AttributeValue::N(message.seq.to_string()),
        )]);
        if previous != 0 {
            values.insert(
                ":previous".to_owned(),
                AttributeValue::N(previous.to_string()),
            );
        }
        let mut set = vec!["lastSeq = :seq"];
        let mut remove = Vec::new();
        let mut add: Vec<String> = Vec::new();
        let mut names = HashMap::new();
        if let Some(applied) = applied {
            if applied.members.is_empty() {
                // A string set cannot be empty: the last member out removes it.
                remove.extend(["members", "admins"]);
            } else {
                set.extend(["members = :members", "admins = :admins"]);
                let set_of = |ids: &std::collections::BTreeSet<String>| {
                    AttributeValue::Ss(ids.iter().cloned().collect())
                };
                values.insert(":members".to_owned(), set_of(&applied.members));
                values.insert(":admins".to_owned(), set_of(&applied.admins));
            }
            set.push("#name = :name");
            names.insert("#name".to_owned(), "name".to_owned());
            values.insert(":name".to_owned(), AttributeValue::S(applied.name.clone()));
            // Who leaves keeps their copies of what was sent meanwhile: a delete for
            // everyone must find them ([`ConversationRecord::former`]).
            let gone: Vec<String> = applied
                .audience
                .iter()
                .filter(|user| !applied.members.contains(*user))
                .cloned()
                .collect();
            if !gone.is_empty() {
                add.push(format!("{FORMER} :former"));
                values.insert(":former".to_owned(), AttributeValue::Ss(gone));
            }
        }
        // A timer entry sets the conversation's timer in the counter's own update, so every
        // message is ordered before or after it and carries the timer of its time.
        match (draft.kind, message.seconds) {
            (Some(ChangeKind::Timer), Some(0)) => remove.push(TIMER),
            (Some(ChangeKind::Timer), Some(seconds)) => {
                set.push("timer = :timer");
                values.insert(":timer".to_owned(), AttributeValue::N(seconds.to_string()));
            }
            _ => {}
        }
        let (turn, ticket_value) = turn_condition(ticket);
        if let Some((name, value)) = ticket_value {
            set.push("served = :ticket");
            values.insert(name, value);
        }
        if let Some(ticket) = ticket.filter(|&t| t > 1) {
            values.insert(
                ":served".to_owned(),
                AttributeValue::N((ticket - 1).to_string()),
            );
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        if !is_group {
            // Who has written in this direct chat: presence's "contacts" (a user's contacts
            // are those they wrote to), at no extra request.
            add.push(format!("{WRITERS} :writer"));
            values.insert(
                ":writer".to_owned(),
                AttributeValue::Ss(vec![draft.sender.clone()]),
            );
        }
        if !add.is_empty() {
            expression.push_str(&format!(" ADD {}", add.join(", ")));
        }
        let counter = Update::builder()
            .table_name(&self.conversations_table)
            .key(
                "conversationId",
                AttributeValue::S(message.conversation.to_string()),
            )
            .update_expression(expression)
            .condition_expression(format!(
                "{} AND {turn}",
                if previous == 0 {
                    "attribute_not_exists(lastSeq)"
                } else {
                    "lastSeq = :previous"
                }
            ))
            .set_expression_attribute_values(Some(values))
            .set_expression_attribute_names((!names.is_empty()).then_some(names))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::internal)?;
        let mut send_record = send_record_key(&draft.sender, &draft.client_id);
        send_record.extend([
            (
                "conversation".to_owned(),
                AttributeValue::S(message.conversation.to_string()),
            ),
            ("seq".to_owned(), AttributeValue::N(message.seq.to_string())),
            (
                "messageId".to_owned(),
                AttributeValue::S(message.message_id.clone()),
            ),
            ("ts".to_owned(), AttributeValue::N(message.ts.to_string())),
            (
                "ttl".to_owned(),
                AttributeValue::N(message.expires_at().to_string()),
            ),
        ]);
        let record = Put::builder()
            .table_name(&self.messages_table)
            .set_item(Some(send_record))
            .condition_expression("attribute_not_exists(userId)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::internal)?;
        let mut items = vec![
            TransactWriteItem::builder().update(counter).build(),
            TransactWriteItem::builder().put(record).build(),
        ];
        let has_token = token.is_some();
        if let Some(token) = token {
            let bucket = Update::builder()
                .table_name(&self.messages_table)
                .set_key(Some(token.key))
                .update_expression(token.update_expression)
                .condition_expression(token.condition_expression)
                .set_expression_attribute_names(Some(token.names))
                .set_expression_attribute_values(Some(token.values))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(Error::internal)?;
            items.push(TransactWriteItem::builder().update(bucket).build());
        }
        // A group's copies are written after the commit; a direct chat's are part of it.
        let mut copies = vec![log_item(message)];
        if !is_group {
            copies.extend(members.iter().map(|member| {
                if hidden.contains(member) {
                    message.skip_item(member)
                } else {
                    message.copy_item(member, reachable)
                }
            }));
        }
        for copy in copies {
            let copy = Put::builder()
                .table_name(&self.messages_table)
                .set_item(Some(copy))
                .build()
                .map_err(Error::internal)?;
            items.push(TransactWriteItem::builder().put(copy).build());
        }
        let state_index = items.len();
        if let Some(state) = state {
            let put = Put::builder()
                .table_name(&self.messages_table)
                .set_item(Some(state.record.to_item(
                    &message.conversation,
                    state.target,
                    state.ttl,
                )));
            let put = match state.read_version {
                None => put.condition_expression("attribute_not_exists(version)"),
                Some(version) => put
                    .condition_expression("version = :read")
                    .expression_attribute_values(":read", AttributeValue::N(version.to_string())),
            };
            items.push(
                TransactWriteItem::builder()
                    .put(put.build().map_err(Error::internal)?)
                    .build(),
            );
        }
        if let Some(scrub) = scrub {
            for key in scrubbed {
                let update = scrub.update(&self.messages_table, key)?;
                items.push(TransactWriteItem::builder().update(update).build());
            }
        }

        let result = self
            .db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(Written::Stored),
            Err(error) => error,
        };
        match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                let reasons = cancelled.cancellation_reasons();
                // Index 1 is the send record: losing there means this id is already stored.
                if let Some(reason) = reasons.get(1) {
                    if reason.code() == Some("ConditionalCheckFailed") {
                        if let Some(earlier) = reason.item().and_then(send_record_from_item) {
                            return Ok(Written::Duplicate(earlier));
                        }
                    }
                }
                let lost = |index: usize| {
                    reasons
                        .get(index)
                        .filter(|reason| reason.code() == Some("ConditionalCheckFailed"))
                };
                // Index 0 is the counter: losing there returns where it stands now.
                let counter = lost(0)
                    .and_then(|reason| reason.item())
                    .map(ConversationRecord::from_item);
                // Index 2, when there, is the sender's bucket: likewise.
                let arrival = lost(2)
                    .filter(|_| has_token)
                    .map(|reason| reason.item().and_then(arrival_time));
                if let Some(arrival) = arrival {
                    tracing::debug!(?arrival, "the sender's rate-limit bucket moved");
                }
                let state_moved = lost(state_index).is_some() && state.is_some();
                Ok(Written::LostRace {
                    counter,
                    arrival,
                    state_moved,
                })
            }
            Some(TransactWriteItemsError::TransactionInProgressException(_))
            | Some(TransactWriteItemsError::ProvisionedThroughputExceededException(_))
            | Some(TransactWriteItemsError::ThrottlingException(_))
            | Some(TransactWriteItemsError::RequestLimitExceeded(_)) => Ok(Written::LostRace {
                counter: None,
                arrival: None,
                state_moved: false,
            }),
            _ => Err(Error::aws(error)),
        }
    }
}

/// What one attempt writes: the message at the seq after `previous`, for `members`.
struct Attempt<'a> {
    message: &'a Message,
    previous: u64,
    members: &'a [String],
    /// Members with a live device ([`Message::copy_item`]).
    reachable: &'a BTreeSet<String>,
    /// The membership change, for a group's system message.
    applied: Option<&'a Applied>,
    /// The sender's rate-limit token, if the send spends one.
    token: Option<TokenUpdate>,
    /// The ticket whose turn this is, for a send that queued ([`super::turns`]).
    ticket: Option<u64>,
    /// A change's new state for its target.
    state: Option<&'a StateWrite>,
    /// A delete for everyone's scrub: the part of it that goes into the transaction.
    scrub: Option<&'a Scrub>,
    /// Members who block the sender: a direct chat's copy for them is a placeholder.
    hidden: &'a BTreeSet<String>,
}

/// The state item a change writes: `record` for the message at `target`, on condition
/// that it is still at `read_version` (none: not there yet), expiring with the message.
struct StateWrite {
    record: StateRecord,
    target: u64,
    read_version: Option<u64>,
    ttl: i64,
}

enum Written {
    Stored,
    Duplicate(SendRecord),
    /// Another write got there first; what the cancellation said of the counter and of the
    /// sender's bucket (`Some(None)`: no arrival time stored) when their conditions failed,
    /// and whether a change's target's state moved since it was read.
    LostRace {
        counter: Option<ConversationRecord>,
        arrival: Option<Option<i64>>,
        state_moved: bool,
    },
}

fn keys(keys: Vec<HashMap<String, AttributeValue>>) -> Result<KeysAndAttributes, Error> {
    KeysAndAttributes::builder()
        .set_keys(Some(keys))
        .consistent_read(true)
        .build()
        .map_err(Error::internal)
}

fn send_record_key(sender: &str, client_id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("userId".to_owned(), AttributeValue::S(sender.to_owned())),
        (
            "sk".to_owned(),
            AttributeValue::S(format!("id#{client_id}")),
        ),
    ])
}

fn send_record_from_item(item: &HashMap<String, AttributeValue>) -> Option<SendRecord> {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    let n = |k: &str| item.get(k)?.as_n().ok()?.parse::<i64>().ok();
    Some(SendRecord {
        conversation: s("conversation")?,
        seq: u64::try_from(n("seq")?).ok()?,
        message_id: s("messageId")?,
        ts: n("ts")?,
    })
}

/// A random pause below a bound that doubles per attempt, up to [`MAX_BACKOFF`]: spreads
/// out senders that collided so that one of them wins the next round.
fn backoff(attempt: u32) -> Duration {
    let bound_ms = (2u64 << attempt.min(10)).min(MAX_BACKOFF.as_millis() as u64);
    let random = (uuid::Uuid::new_v4().as_u128() % 1000) as u64;
    Duration::from_millis(1 + random * bound_ms / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_records_round_trip() {
        let mut item = send_record_key("u1", "m-1");
        item.insert("conversation".into(), AttributeValue::S("d:u1:u2".into()));
        item.insert("seq".into(), AttributeValue::N("9".into()));
        item.insert("messageId".into(), AttributeValue::S("mid".into()));
        item.insert("ts".into(), AttributeValue::N("1700000000000".into()));
        assert_eq!(item["sk"].as_s().unwrap(), "id#m-1");
        assert_eq!(
            send_record_from_item(&item).unwrap(),
            SendRecord {
                conversation: "d:u1:u2".into(),
                seq: 9,
                message_id: "mid".into(),
                ts: 1_700_000_000_000
            }
        );
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 0..MAX_ATTEMPTS {
            let pause = backoff(attempt);
            assert!(pause >= Duration::from_millis(1));
            assert!(pause <= MAX_BACKOFF + Duration::from_millis(1));
        }
        assert!(backoff(0) <= Duration::from_millis(3));
    }
}
