//! DynamoDB and DynamoDB Streams requests → IAM: the action is the operation
//! (`dynamodb:<Operation>`) on the table's ARN, with these exceptions, as DynamoDB's service
//! authorization reference lists them:
//!
//! - `BatchGetItem`/`BatchWriteItem`: the batch action once per table of `RequestItems`;
//! - `TransactWriteItems`/`TransactGetItems`: no action of their own, but each item's
//!   (`PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`, `GetItem`) on its table;
//! - `Query`/`Scan` with `IndexName`: the index's ARN, `table/T/index/I`;
//! - streams: the stream's ARN (`GetRecords` reads it from the shard iterator, which
//!   begins with it); `ListStreams` has no resource (`*`).

use serde_json::Value as Json;

use super::{Access, Scope};

pub fn accesses(operation: &str, body: &Json, scope: &Scope) -> Result<Vec<Access>, String> {
    let action = |name: &str| format!("dynamodb:{name}");
    match operation {
        "BatchGetItem" | "BatchWriteItem" => {
            let tables = body
                .get("RequestItems")
                .and_then(Json::as_object)
                .ok_or_else(|| format!("{operation} without RequestItems"))?;
            Ok(tables
                .keys()
                .map(|table| Access::new(action(operation), table_arn(table, scope)))
                .collect())
        }
        "TransactWriteItems" | "TransactGetItems" => {
            let items = body
                .get("TransactItems")
                .and_then(Json::as_array)
                .ok_or_else(|| format!("{operation} without TransactItems"))?;
            items
                .iter()
                .map(|item| transact_item(item, scope))
                .collect()
        }
        "ExecuteStatement" | "BatchExecuteStatement" | "ExecuteTransaction" => Err(format!(
            "{operation}: PartiQL statements are not mapped to their PartiQL* actions"
        )),
        _ => {
            let resource = match (body.get("TableName"), body.get("ResourceArn")) {
                (Some(Json::String(table)), _) => match body.get("IndexName") {
                    Some(Json::String(index)) => {
                        format!("{}/index/{index}", table_arn(table, scope))
                    }
                    _ => table_arn(table, scope),
                },
                (_, Some(Json::String(arn))) => arn.clone(),
                // ListTables, DescribeLimits, ...: actions without a resource.
                _ => "*".to_owned(),
            };
            Ok(vec![Access::new(action(operation), resource)])
        }
    }
}

/// One item of a transaction: `{"Put": {"TableName": ...}}` → `dynamodb:PutItem` on it.
fn transact_item(item: &Json, scope: &Scope) -> Result<Access, String> {
    const KINDS: [(&str, &str); 5] = [
        ("Put", "PutItem"),
        ("Update", "UpdateItem"),
        ("Delete", "DeleteItem"),
        ("ConditionCheck", "ConditionCheckItem"),
        ("Get", "GetItem"),
    ];
    KINDS
        .iter()
        .find_map(|(kind, action)| {
            let table = item.get(kind)?.get("TableName")?.as_str()?;
            Some(Access::new(
                format!("dynamodb:{action}"),
                table_arn(table, scope),
            ))
        })
        .ok_or_else(|| format!("a transaction item without a table: {item}"))
}

pub fn stream_accesses(operation: &str, body: &Json) -> Result<Vec<Access>, String> {
    let field = |name: &str| {
        body.get(name)
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{operation} without {name}"))
    };
    let resource = match operation {
        "DescribeStream" | "GetShardIterator" => field("StreamArn")?.to_owned(),
        "GetRecords" => field("ShardIterator")?
            .split('|')
            .next()
            .unwrap_or_default()
            .to_owned(),
        "ListStreams" => "*".to_owned(),
        other => return Err(format!("DynamoDB Streams operation {other} is not mapped")),
    };
    Ok(vec![Access::new(format!("dynamodb:{operation}"), resource)])
}

/// A table's ARN from `TableName`, which may itself be an ARN.
fn table_arn(table: &str, scope: &Scope) -> String {
    if table.starts_with("arn:") {
        return table.to_owned();
    }
    let Scope {
        partition,
        region,
        account,
        ..
    } = scope;
    format!("arn:{partition}:dynamodb:{region}:{account}:table/{table}")
}

#[cfg(test)]
mod tests {
    use super::super::scope;
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/";

    fn pairs(accesses: Vec<Access>) -> Vec<(String, String)> {
        accesses
            .into_iter()
            .map(|a| (a.action, a.resource.replace(ARN, "")))
            .collect()
    }

    fn pair(action: &str, resource: &str) -> (String, String) {
        (action.to_owned(), resource.to_owned())
    }

    #[test]
    fn single_table_operations_name_the_table_or_its_index() {
        let got = accesses("PutItem", &json!({"TableName": "m", "Item": {}}), &scope()).unwrap();
        assert_eq!(pairs(got), [pair("dynamodb:PutItem", "m")]);
        let on_index = accesses(
            "Query",
            &json!({"TableName": "m", "IndexName": "byUser"}),
            &scope(),
        )
        .unwrap();
        assert_eq!(pairs(on_index), [pair("dynamodb:Query", "m/index/byUser")]);
        let by_arn = accesses(
            "GetItem",
            &json!({"TableName": "arn:aws:dynamodb:eu-west-1:1:table/x"}),
            &scope(),
        )
        .unwrap();
        assert_eq!(by_arn[0].resource, "arn:aws:dynamodb:eu-west-1:1:table/x");
        let list = accesses("ListTables", &json!({}), &scope()).unwrap();
        assert_eq!(pairs(list), [pair("dynamodb:ListTables", "*")]);
    }

    #[test]
    fn batches_name_every_table() {
        let got = accesses(
            "BatchGetItem",
            &json!({"RequestItems": {"a": {"Keys": []}, "b": {"Keys": []}}}),
            &scope(),
        )
        .unwrap();
        assert_eq!(
            pairs(got),
            [
                pair("dynamodb:BatchGetItem", "a"),
                pair("dynamodb:BatchGetItem", "b")
            ]
        );
        let writes = accesses(
            "BatchWriteItem",
            &json!({"RequestItems": {"m": [{"PutRequest": {}}]}}),
            &scope(),
        )
        .unwrap();
        assert_eq!(pairs(writes), [pair("dynamodb:BatchWriteItem", "m")]);
        assert!(accesses("BatchGetItem", &json!({}), &scope()).is_err());
    }

    #[test]
    fn transactions_ask_for_each_item_action() {
        let got = accesses(
            "TransactWriteItems",
            &json!({"TransactItems": [
                {"Update": {"TableName": "conversations"}},
                {"Put": {"TableName": "messages"}},
                {"ConditionCheck": {"TableName": "messages"}},
                {"Delete": {"TableName": "connections"}},
            ]}),
            &scope(),
        )
        .unwrap();
        assert_eq!(
            pairs(got),
            [
                pair("dynamodb:UpdateItem", "conversations"),
                pair("dynamodb:PutItem", "messages"),
                pair("dynamodb:ConditionCheckItem", "messages"),
                pair("dynamodb:DeleteItem", "connections"),
            ]
        );
        let reads = accesses(
            "TransactGetItems",
            &json!({"TransactItems": [{"Get": {"TableName": "m"}}]}),
            &scope(),
        )
        .unwrap();
        assert_eq!(pairs(reads), [pair("dynamodb:GetItem", "m")]);
        assert!(accesses(
            "TransactWriteItems",
            &json!({"TransactItems": [{"Nothing": {}}]}),
            &scope()
        )
        .is_err());
    }

    #[test]
    fn stream_reads_name_the_stream() {
        let stream =
            "arn:aws:dynamodb:us-east-1:000000000000:table/m/stream/2026-01-01T00:00:00.000";
        let describe = stream_accesses("DescribeStream", &json!({"StreamArn": stream})).unwrap();
        assert_eq!(describe, [Access::new("dynamodb:DescribeStream", stream)]);
        let records = stream_accesses(
            "GetRecords",
            &json!({"ShardIterator": format!("{stream}|1|abc")}),
        )
        .unwrap();
        assert_eq!(records, [Access::new("dynamodb:GetRecords", stream)]);
        let list = stream_accesses("ListStreams", &json!({"TableName": "m"})).unwrap();
        assert_eq!(list, [Access::new("dynamodb:ListStreams", "*")]);
    }
}
