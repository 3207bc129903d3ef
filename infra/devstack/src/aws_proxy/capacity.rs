//! DynamoDB capacity units per request, computed from the items' sizes by DynamoDB's
//! published rules. The functions do not ask for `ReturnConsumedCapacity` (a setting only a
//! measurement needs stays out of production requests); a client that does gets placeholders
//! from moto 5.2 (1 per PutItem, GetItem, Query, Scan and DeleteItem whatever
//! the size, 0.5 per UpdateItem, one per key for BatchGetItem, an empty list for
//! TransactWriteItems), so what it reports is kept beside the computed units and used only
//! for operations the rules below do not cover:
//!
//! - item size: attribute names plus values (strings and binaries by their bytes, numbers
//!   about one byte per two digits plus one, booleans and nulls one byte, lists and maps
//!   three bytes plus one per element plus their contents);
//! - writes: one unit per KB of the item, rounded up, per item; transactional writes two;
//!   an update or delete whose item size the request does not show counts one KB;
//! - reads: one unit per 4 KB, rounded up (per item for GetItem and BatchGetItem, over the
//!   sum of the items returned for Query and Scan), half that when eventually consistent,
//!   twice that in a transaction.
//!
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html>

use serde_json::Value;

use super::metrics::{Capacity, CapacitySource};

const WRITE_UNIT_BYTES: f64 = 1024.0;
const READ_UNIT_BYTES: f64 = 4096.0;

/// The units a DynamoDB `operation` consumed, from its request and response bodies;
/// `None` for an operation that consumes none or a response that is not JSON.
pub fn consumed(operation: &str, request: &[u8], response: &[u8]) -> Option<Capacity> {
    let response: Value = serde_json::from_slice(response).ok()?;
    if response.get("__type").is_some() {
        // An error consumes nothing that DynamoDB bills in this model.
        return None;
    }
    let reported_units = response.get("ConsumedCapacity").and_then(reported);
    let request: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    if let Some((read_units, write_units)) = computed(operation, &request, &response) {
        return Some(Capacity {
            read_units,
            write_units,
            source: CapacitySource::Computed,
            reported_units,
        });
    }
    let units = reported_units?;
    let (read_units, write_units) = if is_read(operation) {
        (units, 0.0)
    } else {
        (0.0, units)
    };
    Some(Capacity {
        read_units,
        write_units,
        source: CapacitySource::Reported,
        reported_units,
    })
}

fn is_read(operation: &str) -> bool {
    matches!(
        operation,
        "GetItem" | "BatchGetItem" | "Query" | "Scan" | "TransactGetItems"
    )
}

/// The total of a `ConsumedCapacity` object or list (one entry per table).
fn reported(value: &Value) -> Option<f64> {
    match value {
        Value::Array(entries) => entries.iter().map(reported).sum(),
        Value::Object(entry) => entry.get("CapacityUnits").and_then(Value::as_f64),
        _ => None,
    }
}

fn computed(operation: &str, request: &Value, response: &Value) -> Option<(f64, f64)> {
    let consistent = request["ConsistentRead"].as_bool() == Some(true);
    Some(match operation {
        "PutItem" => (0.0, write_units(item_size(&request["Item"]))),
        "UpdateItem" | "DeleteItem" => (0.0, write_units(item_size(&response["Attributes"]))),
        "GetItem" => (read_units(item_size(&response["Item"]), consistent), 0.0),
        "Query" | "Scan" => {
            let total = items(&response["Items"]).map(item_size).sum();
            (read_units(total, consistent), 0.0)
        }
        "BatchGetItem" => {
            let mut units = 0.0;
            for (table, found) in response["Responses"].as_object()? {
                let consistent =
                    request["RequestItems"][table]["ConsistentRead"].as_bool() == Some(true);
                units += items(found)
                    .map(|item| read_units(item_size(item), consistent))
                    .sum::<f64>();
            }
            (units, 0.0)
        }
        "BatchWriteItem" => {
            let mut units = 0.0;
            for requests in request["RequestItems"].as_object()?.values() {
                for write in items(requests) {
                    units += write_units(item_size(&write["PutRequest"]["Item"]));
                }
            }
            (0.0, units)
        }
        "TransactWriteItems" => {
            let units = items(&request["TransactItems"])
                .map(|action| write_units(item_size(&action["Put"]["Item"])) * 2.0)
                .sum();
            (0.0, units)
        }
        "TransactGetItems" => {
            let units = items(&response["Responses"])
                .map(|found| read_units(item_size(&found["Item"]), true) * 2.0)
                .sum();
            (units, 0.0)
        }
        _ => return None,
    })
}

fn items(list: &Value) -> impl Iterator<Item = &Value> {
    list.as_array().into_iter().flatten()
}

/// At least one unit: an item of unknown or zero size still costs one.
fn write_units(bytes: usize) -> f64 {
    (bytes as f64 / WRITE_UNIT_BYTES).ceil().max(1.0)
}

fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = (bytes as f64 / READ_UNIT_BYTES).ceil().max(1.0);
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// The size of an item in DynamoDB JSON (`{"name": {"S": "…"}}`); 0 for anything else.
pub fn item_size(item: &Value) -> usize {
    item.as_object()
        .map(|attributes| {
            attributes
                .iter()
                .map(|(name, value)| name.len() + value_size(value))
                .sum()
        })
        .unwrap_or(0)
}

fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|typed| typed.iter().next()) else {
        return 0;
    };
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => number_size(inner.as_str().unwrap_or_default()),
        "B" => base64_size(inner.as_str().unwrap_or_default()),
        "BOOL" | "NULL" => 1,
        "SS" => items(inner).filter_map(Value::as_str).map(str::len).sum(),
        "NS" => items(inner)
            .filter_map(Value::as_str)
            .map(number_size)
            .sum(),
        "BS" => items(inner)
            .filter_map(Value::as_str)
            .map(base64_size)
            .sum(),
        "L" => {
            3 + items(inner)
                .map(|element| 1 + value_size(element))
                .sum::<usize>()
        }
        "M" => {
            3 + inner.as_object().map_or(0, |map| {
                map.iter()
                    .map(|(name, element)| 1 + name.len() + value_size(element))
                    .sum()
            })
        }
        _ => 0,
    }
}

fn number_size(number: &str) -> usize {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    digits.div_ceil(2) + 1
}

fn base64_size(encoded: &str) -> usize {
    encoded.trim_end_matches('=').len() * 3 / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reported_units_are_kept_and_used_only_where_the_rules_do_not_apply() {
        let response = json!({"ConsumedCapacity": [
            {"TableName": "a", "CapacityUnits": 2.0},
            {"TableName": "b", "CapacityUnits": 4.0}
        ]});
        let body = response.to_string();
        let capacity = consumed("TransactGetItems", b"{}", body.as_bytes()).unwrap();
        assert_eq!(capacity.source, CapacitySource::Computed);
        assert_eq!(capacity.reported_units, Some(6.0));
        let capacity = consumed("ExecuteStatement", b"{}", body.as_bytes()).unwrap();
        assert_eq!(capacity.source, CapacitySource::Reported);
        assert_eq!((capacity.read_units, capacity.write_units), (0.0, 6.0));
    }

    #[test]
    fn missing_units_are_computed_from_item_sizes() {
        let big = "x".repeat(1500);
        let request = json!({"TransactItems": [
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "body": {"S": big}}}},
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "b"}}}}
        ]});
        let capacity =
            consumed("TransactWriteItems", request.to_string().as_bytes(), b"{}").unwrap();
        // 2 KB rounded up, then 1 KB for the update, both doubled in a transaction.
        assert_eq!(capacity.write_units, 6.0);
        assert_eq!(capacity.source, CapacitySource::Computed);

        let query = json!({"Items": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]});
        let read = consumed("Query", b"{}", query.to_string().as_bytes()).unwrap();
        assert_eq!(read.read_units, 0.5, "eventually consistent, under 4 KB");
        assert!(consumed("Query", b"{}", br#"{"__type": "x"}"#).is_none());
    }

    #[test]
    fn item_sizes_follow_dynamodb_rules() {
        let item = json!({
            "id": {"S": "abc"},
            "n": {"N": "12345"},
            "ok": {"BOOL": true},
            "tags": {"L": [{"S": "a"}, {"S": "bc"}]},
            "m": {"M": {"k": {"S": "v"}}}
        });
        // id 2+3, n 1+4, ok 2+1, tags 4+3+(1+1)+(1+2), m 1+3+(1+1+1)
        assert_eq!(item_size(&item), 5 + 5 + 3 + 12 + 7);
    }
}
