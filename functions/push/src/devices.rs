//! The push table (`pk`, `sk`): which endpoints each user has, who owns each token, and
//! which notifications went out. Everything is read by key; nothing Scans.
//!
//! - `user#<user>` / `endpoint#<endpoint ARN>`: a device of the user (platform, token);
//! - `token#<platform>#<token>` / `owner`: the user a token belongs to now, so that a token
//!   that moves to another user leaves the old user's devices without a search;
//! - `sent#<message id>#<owner>` / `endpoint#<endpoint ARN>`: the delivery marker of one
//!   notification to one device, which makes redelivered stream records harmless. It
//!   expires after the stream's 24-hour retention, past which no record is redelivered.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem};
use parley_core::error::condition_failed;
use parley_core::Error;
use std::collections::HashMap;

use crate::platform::Platform;

/// How long a delivery marker is kept: longer than a stream keeps records (24 hours).
const MARKER_TTL_SECS: i64 = 2 * 24 * 60 * 60;
/// How old a claim must be before a redelivery may take it over: the push function's
/// timeout (template), past which the invocation that claimed is certainly gone.
pub const CLAIM_LEASE_SECS: i64 = 30;

/// One registered device of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub user_id: String,
    pub platform: Platform,
    pub token: String,
    pub endpoint_arn: String,
}

/// What a claim on a notification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Ours: publish, then mark it sent.
    Granted,
    /// Published before: do nothing.
    AlreadySent,
    /// Claimed by an invocation that may still run: try again later.
    Busy,
}

#[derive(Debug, Clone)]
pub struct Devices {
    db: aws_sdk_dynamodb::Client,
    table: String,
}

type Item = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn device_key(user_id: &str, endpoint_arn: &str) -> Item {
    key(
        format!("user#{user_id}"),
        format!("endpoint#{endpoint_arn}"),
    )
}

fn token_key(platform: Platform, token: &str) -> Item {
    key(
        format!("token#{}#{token}", platform.as_str()),
        "owner".into(),
    )
}

fn marker_key(message_id: &str, owner: &str, endpoint_arn: &str) -> Item {
    key(
        format!("sent#{message_id}#{owner}"),
        format!("endpoint#{endpoint_arn}"),
    )
}

impl Devices {
    pub fn new(db: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            db,
            table: table.into(),
        }
    }

    /// Every device of a user (one Query).
    pub async fn of_user(&self, user_id: &str) -> Result<Vec<Device>, Error> {
        let items: Vec<Item> = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :endpoint)")
            .expression_attribute_values(":pk", s(format!("user#{user_id}")))
            .expression_attribute_values(":endpoint", s("endpoint#"))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(Error::aws)?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let text = |k: &str| item.get(k)?.as_s().ok().cloned();
                Some(Device {
                    user_id: user_id.to_owned(),
                    platform: Platform::parse(&text("platform")?)?,
                    token: text("token")?,
                    endpoint_arn: text("endpointArn")?,
                })
            })
            .collect())
    }

    /// Records `token` as `user_id`'s device at `endpoint_arn`, taking it from whoever held
    /// it before, in one transaction (so a token is never the device of two users).
    pub async fn register(
        &self,
        user_id: &str,
        platform: Platform,
        token: &str,
        endpoint_arn: &str,
    ) -> Result<(), Error> {
        let previous = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(token_key(platform, token)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?
            .item
            .and_then(|item| {
                let text = |k: &str| item.get(k)?.as_s().ok().cloned();
                Some((text("userId")?, text("endpointArn")?))
            });

        let mut owner = token_key(platform, token);
        owner.extend([
            ("userId".to_owned(), s(user_id)),
            ("endpointArn".to_owned(), s(endpoint_arn)),
        ]);
        // The owner record must still be what was read: two registrations of one token at
        // once cannot both move it.
        let mut put_owner = Put::builder().table_name(&self.table).set_item(Some(owner));
        put_owner = match &previous {
            None => put_owner.condition_expression("attribute_not_exists(pk)"),
            Some((old_user, old_endpoint)) => put_owner
                .condition_expression("userId = :old_user AND endpointArn = :old_endpoint")
                .expression_attribute_values(":old_user", s(old_user))
                .expression_attribute_values(":old_endpoint", s(old_endpoint)),
        };
        let mut device = device_key(user_id, endpoint_arn);
        device.extend([
            ("platform".to_owned(), s(platform.as_str())),
            ("token".to_owned(), s(token)),
            ("endpointArn".to_owned(), s(endpoint_arn)),
        ]);
        let mut items = vec![
            TransactWriteItem::builder()
                .put(put_owner.build().map_err(Error::internal)?)
                .build(),
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(device))
                        .build()
                        .map_err(Error::internal)?,
                )
                .build(),
        ];
        if let Some((old_user, old_endpoint)) = &previous {
            if old_user != user_id || old_endpoint != endpoint_arn {
                tracing::info!(from = %old_user, to = %user_id, "push token moves to another user or endpoint");
                items.push(
                    TransactWriteItem::builder()
                        .delete(
                            Delete::builder()
                                .table_name(&self.table)
                                .set_key(Some(device_key(old_user, old_endpoint)))
                                .build()
                                .map_err(Error::internal)?,
                        )
                        .build(),
                );
            }
        }
        self.db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// Forgets a device whose endpoint is gone: its record, and its token's owner record
    /// where that still names this endpoint.
    pub async fn forget(&self, device: &Device) -> Result<(), Error> {
        self.db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(device_key(&device.user_id, &device.endpoint_arn)))
            .send()
            .await
            .map_err(Error::aws)?;
        let result = self
            .db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(token_key(device.platform, &device.token)))
            .condition_expression("userId = :user AND endpointArn = :endpoint")
            .expression_attribute_values(":user", s(&device.user_id))
            .expression_attribute_values(":endpoint", s(&device.endpoint_arn))
            .send()
            .await;
        match result {
            Err(error) if !condition_failed(&error) => Err(Error::aws(error)),
            // Deleted, or the token has moved on to someone else since: theirs to keep.
            _ => Ok(()),
        }
    }

    /// Claims the notification of `message_id` to one endpoint of `owner`.
    pub async fn claim(
        &self,
        message_id: &str,
        owner: &str,
        endpoint_arn: &str,
        now_secs: i64,
    ) -> Result<Claim, Error> {
        let mut marker = marker_key(message_id, owner, endpoint_arn);
        marker.extend([
            ("state".to_owned(), s("claimed")),
            ("claimedAt".to_owned(), n(now_secs)),
            ("ttl".to_owned(), n(now_secs + MARKER_TTL_SECS)),
        ]);
        let result = self
            .db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(marker))
            .condition_expression(
                "attribute_not_exists(pk) OR (#state = :claimed AND claimedAt < :stale)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":stale", n(now_secs - CLAIM_LEASE_SECS))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Granted),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let state = failed
                        .item()
                        .and_then(|item| item.get("state"))
                        .and_then(|v| v.as_s().ok());
                    Ok(match state.map(String::as_str) {
                        Some("claimed") => Claim::Busy,
                        _ => Claim::AlreadySent,
                    })
                }
                _ => Err(Error::aws(error)),
            },
        }
    }

    /// Marks a claimed notification as published.
    pub async fn mark_sent(
        &self,
        message_id: &str,
        owner: &str,
        endpoint_arn: &str,
    ) -> Result<(), Error> {
        self.db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(marker_key(message_id, owner, endpoint_arn)))
            .update_expression("SET #state = :sent")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s("sent"))
            .return_values(ReturnValue::None)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// Gives a claim up after a failed publish, so that the retry may publish at once.
    pub async fn release(
        &self,
        message_id: &str,
        owner: &str,
        endpoint_arn: &str,
    ) -> Result<(), Error> {
        self.db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(marker_key(message_id, owner, endpoint_arn)))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }
}
