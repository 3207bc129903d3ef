//! Dollars per million messages, from counted requests and measured durations, at the
//! published us-east-1 prices below, for Parley and for the AWS sample's Scan-and-broadcast
//! design (simple-websockets-chat-app: per message one Scan of the connections table and one
//! post per connected user).

use serde::Serialize;

/// us-east-1 list prices, in one place.
pub mod prices {
    /// When these were read off the AWS pricing pages.
    pub const AS_OF: &str =
        "2025-06 (aws.amazon.com/{api-gateway,dynamodb,lambda}/pricing, us-east-1)";
    /// API Gateway WebSocket: per million messages (in or out, 32 KiB units), first tier.
    pub const WEBSOCKET_MESSAGE_PER_MILLION: f64 = 1.00;
    /// DynamoDB on-demand.
    pub const WRITE_UNIT_PER_MILLION: f64 = 0.625;
    pub const READ_UNIT_PER_MILLION: f64 = 0.125;
    /// Lambda arm64.
    pub const LAMBDA_REQUEST_PER_MILLION: f64 = 0.20;
    pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
    /// The template's `MemorySize`.
    pub const LAMBDA_MEMORY_GB: f64 = 128.0 / 1024.0;
}

/// What one message consumes, averaged over the messages measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PerMessage {
    /// WebSocket messages in and out (32 KiB units).
    pub websocket_messages: f64,
    pub read_units: f64,
    pub write_units: f64,
    pub lambda_invocations: f64,
    /// Billed Lambda time, summed over the invocations.
    pub lambda_ms: f64,
}

/// Dollars per million messages, by service.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    pub api_gateway: f64,
    pub dynamodb: f64,
    pub lambda: f64,
    pub total: f64,
}

pub fn per_million(usage: &PerMessage) -> Cost {
    use prices::*;
    let api_gateway = usage.websocket_messages * WEBSOCKET_MESSAGE_PER_MILLION;
    let dynamodb =
        usage.write_units * WRITE_UNIT_PER_MILLION + usage.read_units * READ_UNIT_PER_MILLION;
    // Lambda bills each invocation's duration rounded up to the millisecond.
    let gb_seconds = usage.lambda_ms.ceil() / 1000.0 * LAMBDA_MEMORY_GB;
    let lambda = usage.lambda_invocations * LAMBDA_REQUEST_PER_MILLION
        + gb_seconds * LAMBDA_ARM_GB_SECOND * 1e6;
    let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
    Cost {
        api_gateway: round(api_gateway),
        dynamodb: round(dynamodb),
        lambda: round(lambda),
        total: round(api_gateway + dynamodb + lambda),
    }
}

/// A connection item of the sample's table: `connectionId` (12 bytes of name, a 16-byte
/// API Gateway id).
const SAMPLE_CONNECTION_ITEM_BYTES: f64 = 28.0;

/// The sample's design with `connected` users: one message in, one Scan reading every
/// connection item (eventually consistent), one post out per connected user, one Lambda
/// invocation that lasts `base_ms` plus `post_ms` per post (both measured on this stack).
pub fn sample_design(connected: u64, base_ms: f64, post_ms: f64) -> PerMessage {
    let scanned_bytes = connected as f64 * SAMPLE_CONNECTION_ITEM_BYTES;
    PerMessage {
        websocket_messages: 1.0 + connected as f64,
        read_units: (scanned_bytes / 4096.0).ceil().max(1.0) / 2.0,
        write_units: 0.0,
        lambda_invocations: 1.0,
        lambda_ms: base_ms + post_ms * connected as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_costs_about_a_dollar_per_connected_user_per_million_messages() {
        let at_1000 = per_million(&sample_design(1000, 20.0, 0.0));
        assert!((at_1000.api_gateway - 1001.0).abs() < 1e-6);
        assert!(at_1000.total > 1000.0);
    }

    #[test]
    fn each_service_is_priced_per_million() {
        let cost = per_million(&PerMessage {
            websocket_messages: 3.0,
            read_units: 2.0,
            write_units: 4.0,
            lambda_invocations: 1.0,
            lambda_ms: 10.0,
        });
        assert_eq!(cost.api_gateway, 3.0);
        assert_eq!(cost.dynamodb, 2.75);
        // $0.20 + 0.01 s × 0.125 GB × $0.0000133334 × 1e6
        assert!((cost.lambda - 0.2167).abs() < 1e-4, "{cost:?}");
    }
}
