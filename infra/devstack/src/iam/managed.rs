//! The AWS managed policies SAM attaches to a function's role by itself, with their
//! documents as AWS publishes them (AWS Managed Policy reference, policy version v1 of
//! each): `AWSLambdaBasicExecutionRole` on every generated role, and
//! `AWSLambdaDynamoDBExecutionRole` for a DynamoDB stream event source. Any other managed
//! policy is unknown locally, and naming one is an error (the project's template rules
//! forbid managed policies by name anyway: `template::policy_checks`).

use serde_json::{json, Value as Json};

pub const BASIC_EXECUTION: &str = "service-role/AWSLambdaBasicExecutionRole";
pub const DYNAMODB_EXECUTION: &str = "service-role/AWSLambdaDynamoDBExecutionRole";

/// The document of a managed policy named by ARN (`arn:aws:iam::aws:policy/<name>`) or by
/// name (with or without its `service-role/` path).
pub fn document(name_or_arn: &str) -> Option<Json> {
    let name = name_or_arn
        .rsplit_once(":policy/")
        .map_or(name_or_arn, |(_, name)| name);
    let name = name.strip_prefix("service-role/").unwrap_or(name);
    let logs = [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ];
    match name {
        "AWSLambdaBasicExecutionRole" => Some(json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": logs, "Resource": "*"}]
        })),
        "AWSLambdaDynamoDBExecutionRole" => Some(json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                    logs[0], logs[1], logs[2]
                ],
                "Resource": "*"
            }]
        })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_by_name_path_or_arn() {
        for name in [
            BASIC_EXECUTION,
            "AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        ] {
            let document = document(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(document["Statement"][0]["Resource"], "*");
        }
        let streams = document(DYNAMODB_EXECUTION).unwrap();
        assert!(streams["Statement"][0]["Action"]
            .as_array()
            .unwrap()
            .contains(&Json::from("dynamodb:GetRecords")));
        assert!(document("AmazonDynamoDBFullAccess").is_none());
    }
}
