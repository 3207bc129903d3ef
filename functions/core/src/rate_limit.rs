//! Per-user rate limits, shared by every Lambda process through DynamoDB: a token bucket
//! (a burst, then a steady rate) kept as one timestamp per user and action, the "theoretical
//! arrival time" of the generic cell rate algorithm (GCRA), which behaves exactly like a
//! token bucket but needs no read-modify-write of two numbers.
//!
//! The item lives in the user's own mailbox partition (`userId`, sk `rate#<action>`), which
//! sorts after `p$` and so outside every sync's range. A token is taken by a conditional
//! update ([`Limit::token_update`]): when the bucket is full, set the time; during a burst,
//! add one interval atomically on condition that the bucket is not empty, so concurrent
//! invocations of one user never take one token twice nor conflict with each other.
//!
//! [`cost_of`] says which action costs what. `send` reads its bucket in the BatchGetItem it
//! makes anyway and takes the token inside its transaction ([`crate::store::Draft::limit`]):
//! no request of its own, and a retried id that is already stored spends nothing. The
//! others take theirs before they run ([`RateLimiter::take_before`]): one UpdateItem when
//! the user was idle, a second one during a burst.
//! Only the user's own item is touched: a user over the limit slows nobody else down.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use crate::Error;
use parley_protocol::ErrorCode;

/// A bucket of `burst` tokens that refills one token every `interval_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The sort key's suffix: `rate#<name>`.
    pub name: &'static str,
    pub burst: u32,
    pub interval_ms: i64,
}

/// `send`: a burst of 60, then one a second (Signal's limit).
pub const SEND: Limit = Limit {
    name: "send",
    burst: 60,
    interval_ms: 1_000,
};

/// `lookup`: each asks about up to 100 addresses; a contact-list sync needs a few, while
/// enumerating the user directory would need many. A burst of 20, then one every 30 s.
pub const LOOKUP: Limit = Limit {
    name: "lookup",
    burst: 20,
    interval_ms: 30_000,
};

/// `uploadUrl`: each presigns one upload. A burst of 30 (an album), then one every 2 s.
pub const UPLOAD_URL: Limit = Limit {
    name: "uploadUrl",
    burst: 30,
    interval_ms: 2_000,
};

/// `keysQuery`: each asks about up to 250 users; a client asks when it meets new users or
/// hears a device list changed. A burst of 60, then one a second.
pub const KEYS_QUERY: Limit = Limit {
    name: "keysQuery",
    burst: 60,
    interval_ms: 1_000,
};

/// `keysClaim`: each takes one one-time key of up to 250 devices, keys their owners must
/// replace, so a claimer must not drain them. A burst of 30, then one every 2 s.
pub const KEYS_CLAIM: Limit = Limit {
    name: "keysClaim",
    burst: 30,
    interval_ms: 2_000,
};

/// `sendToDevice`: up to 100 messages each; sharing a group's room key with 1024 members of
/// 10 devices takes about 850 frames of the web client's 12. A burst of 1000, then five a second.
pub const SEND_TO_DEVICE: Limit = Limit {
    name: "sendToDevice",
    burst: 1_000,
    interval_ms: 200,
};

/// `removeDevice`: each tells every contact of the user (about two requests per contact),
/// and a removed slot lets a new device register (told again). A burst of 10, then one every
/// 6 minutes, so that churning devices cannot flood one's contacts.
pub const REMOVE_DEVICE: Limit = Limit {
    name: "removeDevice",
    burst: 10,
    interval_ms: 360_000,
};

/// Where an action's token is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Before the action runs, by [`RateLimiter::take`]: a refused request does nothing.
    Before,
    /// Inside the transaction that stores the message ([`crate::store::Draft::limit`]): a
    /// refused send stores nothing, a retry of a stored id spends nothing, and the token
    /// costs no request of its own.
    InTheCommit,
}

/// Which client action costs what, and where its token is taken: the one place that says
/// so, for every function. `send` (a burst of 60, then one a second), `lookup`,
/// `uploadUrl`, `keysQuery`, `keysClaim`, `sendToDevice` and `removeDevice` are limited (one token a frame);
/// the others are cheap reads or ephemeral (`sync`, `ack`, `typing`, `downloadUrl`, the
/// caller's own `keysUpload`, `toDeviceSync`, `toDeviceAck`) and are bounded by the stage's
/// throttling and their size limits, and a group change is a stored message whose members
/// each receive it (bounded like them).
pub fn cost_of(action: &str) -> Option<(&'static Limit, Taken)> {
    match action {
        "send" => Some((&SEND, Taken::InTheCommit)),
        "lookup" => Some((&LOOKUP, Taken::Before)),
        "uploadUrl" => Some((&UPLOAD_URL, Taken::Before)),
        "keysQuery" => Some((&KEYS_QUERY, Taken::Before)),
        "keysClaim" => Some((&KEYS_CLAIM, Taken::Before)),
        "sendToDevice" => Some((&SEND_TO_DEVICE, Taken::Before)),
        "removeDevice" => Some((&REMOVE_DEVICE, Taken::Before)),
        _ => None,
    }
}

/// The limit whose token `action` takes inside its commit, if any.
pub fn taken_in_the_commit(action: &str) -> Option<&'static Limit> {
    cost_of(action)
        .filter(|(_, taken)| *taken == Taken::InTheCommit)
        .map(|(limit, _)| limit)
}

/// What the bucket says about one more request at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; the bucket's new arrival time.
    Allow { tat: i64 },
    /// Refused; a token is back after this many milliseconds.
    Deny { retry_after_ms: i64 },
}

impl Limit {
    /// The GCRA step. `tat` is the stored arrival time (`None`: never used). A request is
    /// allowed while the bucket is at most `burst - 1` intervals ahead of `now`; each allowed
    /// request moves it one interval further.
    pub fn decide(&self, tat: Option<i64>, now_ms: i64) -> Decision {
        let start = tat.map_or(now_ms, |tat| tat.max(now_ms));
        let tolerance = i64::from(self.burst.saturating_sub(1)) * self.interval_ms;
        let ahead = start - now_ms;
        if ahead <= tolerance {
            Decision::Allow {
                tat: start + self.interval_ms,
            }
        } else {
            Decision::Deny {
                retry_after_ms: ahead - tolerance,
            }
        }
    }

    /// The refusal a client sees.
    pub fn refusal(&self, retry_after_ms: i64) -> Error {
        let seconds = (retry_after_ms + 999) / 1000;
        Error::client(
            ErrorCode::RateLimited,
            format!("too many {} requests: try again in {seconds} s", self.name),
        )
    }
}

/// How often the idle and burst steps may alternate (each loses only when the bucket moved
/// between the two) before the request is refused as internal.
const MAX_ATTEMPTS: u32 = 6;

/// The conditional update that takes one token: for an UpdateItem of its own
/// ([`RateLimiter::take`]) or one item of a send's transaction ([`crate::store::append`]).
/// Its condition fails when the bucket moved since it was read; the failure's `ALL_OLD`
/// item then tells where it stands ([`arrival_time`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenUpdate {
    pub key: HashMap<String, AttributeValue>,
    pub update_expression: &'static str,
    pub condition_expression: &'static str,
    /// For `#ttl` (`ttl` is a reserved word).
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl Limit {
    /// The update taking one token of `user_id` at `now`, given the arrival time last seen
    /// (`None`: no item). Refuses when even that bucket is empty: the stored time only ever
    /// grows, so the real bucket is no fuller than the one seen.
    pub fn token_update(
        &self,
        user_id: &str,
        seen: Option<i64>,
        now: i64,
    ) -> Result<TokenUpdate, Error> {
        let step = match (self.decide(seen, now), seen) {
            (Decision::Deny { retry_after_ms }, _) => {
                tracing::info!(user = user_id, limit = self.name, "rate limited");
                return Err(self.refusal(retry_after_ms));
            }
            (Decision::Allow { .. }, Some(seen)) if seen > now => Step::Burst,
            (Decision::Allow { tat }, _) => Step::Idle { tat },
        };
        let mut values = HashMap::from([
            (":now".to_owned(), AttributeValue::N(now.to_string())),
            // Kept a day past the point where the bucket is full again.
            (
                ":ttl".to_owned(),
                AttributeValue::N((now / 1000 + 86_400 + self.refill_secs()).to_string()),
            ),
        ]);
        let (update_expression, condition_expression) = match step {
            Step::Idle { tat } => {
                values.insert(":tat".to_owned(), AttributeValue::N(tat.to_string()));
                (
                    "SET tat = :tat, #ttl = :ttl",
                    "attribute_not_exists(tat) OR tat <= :now",
                )
            }
            Step::Burst => {
                let tolerance = i64::from(self.burst.saturating_sub(1)) * self.interval_ms;
                values.insert(
                    ":interval".to_owned(),
                    AttributeValue::N(self.interval_ms.to_string()),
                );
                values.insert(
                    ":latest".to_owned(),
                    AttributeValue::N((now + tolerance).to_string()),
                );
                (
                    "SET tat = tat + :interval, #ttl = :ttl",
                    "tat > :now AND tat <= :latest",
                )
            }
        };
        Ok(TokenUpdate {
            key: self.key(user_id),
            update_expression,
            condition_expression,
            names: HashMap::from([("#ttl".to_owned(), "ttl".to_owned())]),
            values,
        })
    }

    /// The bucket's item key: in the user's own partition of the messages table.
    pub fn key(&self, user_id: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("userId".to_owned(), AttributeValue::S(user_id.to_owned())),
            (
                "sk".to_owned(),
                AttributeValue::S(format!("rate#{}", self.name)),
            ),
        ])
    }
}

/// The arrival time a bucket item holds (`None`: never used).
pub fn arrival_time(item: &HashMap<String, AttributeValue>) -> Option<i64> {
    item.get("tat")?.as_n().ok()?.parse().ok()
}

/// The rate-limit items, in the messages table.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    db: aws_sdk_dynamodb::Client,
    table: String,
}

impl RateLimiter {
    pub fn new(db: aws_sdk_dynamodb::Client, messages_table: impl Into<String>) -> Self {
        Self {
            db,
            table: messages_table.into(),
        }
    }

    /// Takes `action`'s token for `user_id` if [`cost_of`] says it costs one before it runs,
    /// or refuses with `rate_limited`.
    pub async fn take_before(&self, user_id: &str, action: &str) -> Result<(), Error> {
        match cost_of(action) {
            Some((limit, Taken::Before)) => self.take(user_id, limit).await,
            _ => Ok(()),
        }
    }

    /// Takes one token of `limit` for `user_id`, or refuses with `rate_limited`.
    pub async fn take(&self, user_id: &str, limit: &Limit) -> Result<(), Error> {
        // First guess: the user was idle, so the bucket is full.
        let mut seen: Option<i64> = None;
        for _ in 0..MAX_ATTEMPTS {
            let now = crate::clock::now_ms();
            let update = limit.token_update(user_id, seen, now)?;
            let result = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(update.key))
                .update_expression(update.update_expression)
                .condition_expression(update.condition_expression)
                .set_expression_attribute_names(Some(update.names))
                .set_expression_attribute_values(Some(update.values))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(error) => match error.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                        seen = Some(failed.item().and_then(arrival_time).unwrap_or(now));
                    }
                    _ => return Err(Error::aws(error)),
                },
            }
        }
        Err(Error::internal(format!(
            "rate limit {} of {user_id} stayed contended",
            limit.name
        )))
    }
}

/// Which conditional update takes the token.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The bucket is full (no arrival time in the future): set it to `tat`.
    Idle { tat: i64 },
    /// A burst is under way: move the stored time one interval on, atomically, while it
    /// stays within the burst. Concurrent invocations of one user each take their own token
    /// without conflicting, until the bucket is empty.
    Burst,
}

impl Limit {
    /// How long an empty bucket takes to fill.
    fn refill_secs(&self) -> i64 {
        i64::from(self.burst) * self.interval_ms / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `n` requests at `now` through the bucket, returning how many were allowed.
    fn burst(limit: &Limit, tat: &mut Option<i64>, now: i64, n: u32) -> u32 {
        let mut allowed = 0;
        for _ in 0..n {
            if let Decision::Allow { tat: next } = limit.decide(*tat, now) {
                *tat = Some(next);
                allowed += 1;
            }
        }
        allowed
    }

    #[test]
    fn a_full_bucket_allows_the_burst_then_refuses() {
        let mut tat = None;
        assert_eq!(burst(&SEND, &mut tat, 1_000_000, 100), 60);
        assert_eq!(
            SEND.decide(tat, 1_000_000),
            Decision::Deny {
                retry_after_ms: 1_000
            }
        );
    }

    #[test]
    fn the_bucket_refills_at_the_steady_rate() {
        let mut tat = None;
        let start = 5_000_000;
        assert_eq!(burst(&SEND, &mut tat, start, 60), 60);
        // One token per interval, never more.
        for second in 1..=30 {
            let now = start + second * 1_000;
            assert_eq!(burst(&SEND, &mut tat, now, 5), 1, "at +{second} s");
        }
        // Half a second later: nothing yet.
        assert_eq!(burst(&SEND, &mut tat, start + 30_500, 5), 0);
    }

    #[test]
    fn an_idle_bucket_fills_up_to_the_burst_and_no_further() {
        let mut tat = None;
        assert_eq!(burst(&SEND, &mut tat, 0, 60), 60);
        // A day of silence gives back the burst, not a day of tokens.
        assert_eq!(burst(&SEND, &mut tat, 86_400_000, 1000), 60);
        // Ten idle seconds after a drained bucket give ten.
        assert_eq!(burst(&SEND, &mut tat, 86_410_000, 1000), 10);
    }

    #[test]
    fn other_limits_follow_their_own_numbers() {
        let mut tat = None;
        assert_eq!(burst(&LOOKUP, &mut tat, 0, 100), 20);
        assert_eq!(burst(&LOOKUP, &mut tat, 29_999, 5), 0);
        assert_eq!(burst(&LOOKUP, &mut tat, 30_000, 5), 1);
        let mut tat = None;
        assert_eq!(burst(&UPLOAD_URL, &mut tat, 0, 100), 30);
    }

    #[test]
    fn a_clock_behind_the_stored_time_is_safe() {
        // Another process's clock ran ahead: this one sees a bucket in its future.
        let limit = SEND;
        let tat = Some(10_000 + 59 * 1_000);
        assert!(matches!(limit.decide(tat, 10_000), Decision::Allow { .. }));
        assert!(matches!(
            limit.decide(Some(10_000 + 60 * 1_000), 10_000),
            Decision::Deny { .. }
        ));
    }

    #[test]
    fn the_token_update_follows_the_bucket_seen() {
        let now = 1_000_000;
        // Never used, or idle: set the time, on condition that it is not in the future.
        let idle = SEND.token_update("u1", None, now).unwrap();
        assert_eq!(idle.update_expression, "SET tat = :tat, #ttl = :ttl");
        assert_eq!(idle.values[":tat"], AttributeValue::N("1001000".into()));
        assert_eq!(idle.key, SEND.key("u1"));
        assert_eq!(idle.key["sk"], AttributeValue::S("rate#send".into()));
        let idle_again = SEND.token_update("u1", Some(now - 5), now).unwrap();
        assert_eq!(idle_again.condition_expression, idle.condition_expression);
        // In a burst: one interval on, on condition that the bucket is not empty.
        let burst = SEND.token_update("u1", Some(now + 10_000), now).unwrap();
        assert_eq!(
            burst.update_expression,
            "SET tat = tat + :interval, #ttl = :ttl"
        );
        assert_eq!(burst.values[":latest"], AttributeValue::N("1059000".into()));
        // Empty: refused without a write.
        let refused = SEND
            .token_update("u1", Some(now + 60_000), now)
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::RateLimited);
    }

    #[test]
    fn the_arrival_time_is_read_from_the_item() {
        let mut item = SEND.key("u1");
        assert_eq!(arrival_time(&item), None);
        item.insert("tat".into(), AttributeValue::N("42".into()));
        assert_eq!(arrival_time(&item), Some(42));
    }

    #[test]
    fn the_refusal_is_rate_limited_and_says_when() {
        let error = SEND.refusal(1_500);
        assert_eq!(error.code(), ErrorCode::RateLimited);
        assert_eq!(
            error.public_message(),
            "too many send requests: try again in 2 s"
        );
    }
}
