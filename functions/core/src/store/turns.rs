//! Turns: how concurrent sends into one conversation commit one after another instead of
//! all racing for the same seq.
//!
//! A conversation's seq is allocated inside the send's transaction (the counter moves from
//! the seq it read to the next, or the transaction is cancelled), so that seqs stay dense and
//! a crash never leaves a gap. Left to race, N sends that read the same counter produce one
//! winner per round, and the N - 1 losers all try again: N²/2 transactions for N messages.
//!
//! So a send that loses a race takes a ticket instead (`issued`, an atomic counter on the
//! conversation's item: one UpdateItem that never conflicts with another ticket), and commits
//! when its turn comes: when `served`, the ticket the last committed send held, is the one
//! before its own. A commit moves `served` to its ticket in the same transaction as the
//! counter. A send without a ticket commits only while nobody queues (`issued = served`), so
//! it never jumps the queue. While it waits, a send sleeps about as long as the turns ahead of
//! it take ([`Pace`]), so each send reads and writes a bounded number of times: the work grows
//! linearly with N.
//!
//! A ticket whose holder gave up (it crashed, ran out of time, or found its id already stored
//! while waiting) would stop the queue: a waiter that sees `served` stand still for a lease
//! passes that turn ([`Step::PassStalled`]). A holder that was passed over takes a new
//! ticket. A holder refused at its turn (rate limit, membership) passes its own turn.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::conversations::ConversationRecord;
use super::Store;
use crate::Error;
use parley_protocol::{ConversationId, Kind};

/// How long one turn is assumed to take before any turn was seen to pass.
const FIRST_PACE: Duration = Duration::from_millis(10);
/// The shortest and longest pause between two looks at the queue.
const MIN_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(1_000);
/// How long `served` may stand still, at least, before its next turn counts as abandoned: far
/// longer than one commit takes, so that a live holder is rarely passed over (it would then
/// only queue again).
const MIN_LEASE: Duration = Duration::from_millis(1_500);
/// The lease in turns: with slow turns (a loaded machine), waiting longer, up to a bound
/// (a pass itself makes the average turn look slow).
const LEASE_TURNS: u32 = 20;
const MAX_LEASE: Duration = Duration::from_millis(3_000);

/// Where a conversation's queue stands, as its item holds it (both 0 before any ticket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Queue {
    /// The last ticket handed out.
    pub issued: u64,
    /// The last ticket whose turn is over (committed or passed).
    pub served: u64,
}

impl Queue {
    pub(crate) fn from_item(item: &HashMap<String, AttributeValue>) -> Self {
        let number = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        Self {
            issued: number("issued"),
            served: number("served"),
        }
    }
}

/// The condition a commit adds to the counter's, and what it sets: with no ticket, that no
/// one queues; with ticket `t`, that its turn has come (and `served` moves to `t`).
pub(crate) fn turn_condition(ticket: Option<u64>) -> (String, Option<(String, AttributeValue)>) {
    match ticket {
        None => (
            "(attribute_not_exists(issued) OR issued = served)".to_owned(),
            None,
        ),
        Some(ticket) => (
            served_is(ticket - 1),
            Some((":ticket".to_owned(), AttributeValue::N(ticket.to_string()))),
        ),
    }
}

/// `served` equals `n` (an absent `served` is 0). Uses `:served` for n > 0.
fn served_is(n: u64) -> String {
    if n == 0 {
        "attribute_not_exists(served)".to_owned()
    } else {
        "served = :served".to_owned()
    }
}

/// What a ticket holder does next, given the queue as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Its turn: commit now.
    Commit,
    /// Turns ahead are still running: look again after this pause.
    Wait(Duration),
    /// `served` stood still for a lease: pass the turn after it (that holder gave up).
    PassStalled { served: u64 },
    /// Its turn went by (it was passed over as stalled): take a new ticket.
    Requeue,
}

/// A ticket holder's view of the queue over time: how fast turns pass, and since when
/// `served` has not moved.
#[derive(Debug, Clone)]
pub struct Pace {
    ticket: u64,
    first: (Instant, u64),
    last_move: (Instant, u64),
}

impl Pace {
    pub fn new(ticket: u64, queue: Queue, now: Instant) -> Self {
        Self {
            ticket,
            first: (now, queue.served),
            last_move: (now, queue.served),
        }
    }

    pub fn ticket(&self) -> u64 {
        self.ticket
    }

    /// The time one turn has taken on average since the ticket was taken.
    fn per_turn(&self, now: Instant, served: u64) -> Duration {
        let passed = served.saturating_sub(self.first.1);
        if passed == 0 {
            FIRST_PACE
        } else {
            now.duration_since(self.first.0) / u32::try_from(passed).unwrap_or(u32::MAX)
        }
    }

    /// Decides the next step from the queue as seen at `now`.
    pub fn step(&mut self, queue: Queue, now: Instant) -> Step {
        if queue.served >= self.ticket {
            return Step::Requeue;
        }
        if queue.served + 1 == self.ticket {
            return Step::Commit;
        }
        if queue.served != self.last_move.1 {
            self.last_move = (now, queue.served);
        }
        let per_turn = self.per_turn(now, queue.served);
        let lease = (per_turn * LEASE_TURNS).clamp(MIN_LEASE, MAX_LEASE);
        if now.duration_since(self.last_move.0) >= lease {
            return Step::PassStalled {
                served: queue.served,
            };
        }
        // Sleep through most of the turns ahead; the last one is watched more closely, since
        // a turn nobody takes holds up everyone behind.
        let ahead = u32::try_from(self.ticket - queue.served - 1).unwrap_or(u32::MAX);
        let pause = per_turn * ahead.saturating_sub(1).max(1) * 3 / 4;
        Step::Wait(pause.clamp(MIN_PAUSE, MAX_PAUSE))
    }
}

impl Store {
    /// An update of `conversation`'s item, where its queue is kept.
    fn queue_update(
        &self,
        conversation: &ConversationId,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.db
            .update_item()
            .table_name(&self.conversations_table)
            .key(
                "conversationId",
                AttributeValue::S(conversation.to_string()),
            )
    }

    /// Takes the next ticket of `conversation`'s queue; returns it with the record as it
    /// stands. `None` when there is nothing to queue for (a group that does not exist), or
    /// when DynamoDB was too busy to answer (the caller reads again and races).
    pub(crate) async fn take_ticket(
        &self,
        conversation: &ConversationId,
    ) -> Result<Option<(u64, ConversationRecord)>, Error> {
        let mut request = self
            .queue_update(conversation)
            .update_expression("ADD issued :one")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .return_values(ReturnValue::AllNew);
        if conversation.kind() == Kind::Group {
            // A ticket never creates a group's item: a group exists from its first seq.
            request = request.condition_expression("attribute_exists(lastSeq)");
        }
        match request.send().await {
            Ok(output) => {
                let item = output.attributes().cloned().unwrap_or_default();
                let record = ConversationRecord::from_item(&item);
                Ok(Some((record.queue.issued, record)))
            }
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_))
                | Some(UpdateItemError::TransactionConflictException(_))
                | Some(UpdateItemError::ProvisionedThroughputExceededException(_))
                | Some(UpdateItemError::ThrottlingException(_))
                | Some(UpdateItemError::RequestLimitExceeded(_)) => Ok(None),
                _ => Err(Error::aws(error)),
            },
        }
    }

    /// Ends turn `ticket` without a commit: the holder's own (refused at its turn) or a
    /// stalled one. Does nothing if that turn is no longer the current one.
    pub(crate) async fn pass_turn(
        &self,
        conversation: &ConversationId,
        ticket: u64,
    ) -> Result<(), Error> {
        let mut request = self
            .queue_update(conversation)
            .update_expression("SET served = :ticket")
            .condition_expression(format!("issued >= :ticket AND {}", served_is(ticket - 1)))
            .expression_attribute_values(":ticket", AttributeValue::N(ticket.to_string()));
        if ticket > 1 {
            request = request.expression_attribute_values(
                ":served",
                AttributeValue::N((ticket - 1).to_string()),
            );
        }
        match request.send().await {
            Ok(_) => {
                tracing::info!(%conversation, ticket, "passed a send turn");
                Ok(())
            }
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(()),
                _ => Err(Error::aws(error)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(issued: u64, served: u64) -> Queue {
        Queue { issued, served }
    }

    #[test]
    fn the_next_ticket_commits_at_once() {
        let now = Instant::now();
        let mut pace = Pace::new(5, queue(9, 4), now);
        assert_eq!(pace.step(queue(9, 4), now), Step::Commit);
    }

    #[test]
    fn a_ticket_passed_over_queues_again() {
        let now = Instant::now();
        let mut pace = Pace::new(5, queue(9, 3), now);
        assert_eq!(pace.step(queue(9, 5), now), Step::Requeue);
        assert_eq!(pace.step(queue(9, 7), now), Step::Requeue);
    }

    #[test]
    fn waiting_is_paced_by_the_turns_seen_to_pass() {
        let start = Instant::now();
        let mut pace = Pace::new(50, queue(60, 0), start);
        // Before any turn passed, the first guess per turn.
        assert_eq!(
            pace.step(queue(60, 0), start),
            Step::Wait(FIRST_PACE * 48 * 3 / 4)
        );
        // 10 turns in 100 ms: 10 ms a turn, 39 ahead → sleeps through most of 38 turns.
        let later = start + Duration::from_millis(100);
        assert_eq!(
            pace.step(queue(60, 10), later),
            Step::Wait(Duration::from_millis(10) * 38 * 3 / 4)
        );
        // Next in line but one: short looks, never below the floor.
        let much_later = start + Duration::from_millis(480);
        assert_eq!(
            pace.step(queue(60, 48), much_later),
            Step::Wait(Duration::from_millis(10) * 3 / 4)
        );
    }

    #[test]
    fn pauses_stay_within_bounds() {
        let start = Instant::now();
        let mut pace = Pace::new(10_000, queue(10_000, 0), start);
        assert_eq!(pace.step(queue(10_000, 0), start), Step::Wait(MAX_PAUSE));
        let mut fast = Pace::new(3, queue(3, 0), start);
        let soon = start + Duration::from_micros(10);
        assert_eq!(fast.step(queue(3, 1), soon), Step::Wait(MIN_PAUSE));
    }

    #[test]
    fn a_turn_that_stands_still_for_a_lease_is_passed() {
        let start = Instant::now();
        let mut pace = Pace::new(8, queue(8, 3), start);
        let before = start + MIN_LEASE - Duration::from_millis(1);
        assert!(matches!(pace.step(queue(8, 3), before), Step::Wait(_)));
        let after = start + MIN_LEASE;
        assert_eq!(
            pace.step(queue(8, 3), after),
            Step::PassStalled { served: 3 }
        );
        // Progress restarts the lease.
        assert!(matches!(
            pace.step(queue(8, 4), after + Duration::from_millis(1)),
            Step::Wait(_)
        ));
    }

    #[test]
    fn slow_turns_lengthen_the_lease() {
        let start = Instant::now();
        let mut pace = Pace::new(30, queue(30, 0), start);
        // 2 turns in 100 ms: 50 ms a turn → a lease of 20 turns, 1 s, raised to the floor.
        let t1 = start + Duration::from_millis(100);
        assert!(matches!(pace.step(queue(30, 2), t1), Step::Wait(_)));
        assert!(matches!(
            pace.step(queue(30, 2), t1 + MIN_LEASE - Duration::from_millis(1)),
            Step::Wait(_)
        ));
        // 2 turns in 400 ms: 200 ms a turn → 4 s, held to the ceiling.
        let mut slow = Pace::new(30, queue(30, 0), start);
        let t2 = start + Duration::from_millis(400);
        assert!(matches!(slow.step(queue(30, 2), t2), Step::Wait(_)));
        assert!(matches!(
            slow.step(queue(30, 2), t2 + MAX_LEASE - Duration::from_millis(1)),
            Step::Wait(_)
        ));
        assert_eq!(
            slow.step(queue(30, 2), t2 + MAX_LEASE),
            Step::PassStalled { served: 2 }
        );
    }

    #[test]
    fn conditions_name_the_turn() {
        assert_eq!(
            turn_condition(None).0,
            "(attribute_not_exists(issued) OR issued = served)"
        );
        assert_eq!(turn_condition(Some(1)).0, "attribute_not_exists(served)");
        let (condition, value) = turn_condition(Some(4));
        assert_eq!(condition, "served = :served");
        assert_eq!(
            value,
            Some((":ticket".to_owned(), AttributeValue::N("4".to_owned())))
        );
    }

    #[test]
    fn the_queue_reads_from_the_item() {
        let item = HashMap::from([
            ("issued".to_owned(), AttributeValue::N("7".to_owned())),
            ("served".to_owned(), AttributeValue::N("5".to_owned())),
        ]);
        assert_eq!(Queue::from_item(&item), queue(7, 5));
        assert_eq!(Queue::from_item(&HashMap::new()), queue(0, 0));
    }
}
