//! The check as a whole: the real template's roles against the requests its functions make
//! (each allowed), requests outside them (each refused, with IAM's message), a template whose
//! policy lacks an action, and what SAM expands and adds.

use std::path::Path;

use axum::http::{HeaderMap, HeaderValue, Method};
use serde_json::{json, Value as Json};

use super::*;
use crate::aws::is_emulated;
use crate::template::{record_placeholders, Deployment, Physical, Resolver, Template};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "000000000000";
const POOL: &str = "us-east-1_Local123";
const BUCKET: &str = "parley-local-filesbucket";
const API: &str = "websocketapi";

fn real_template_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    std::fs::read_to_string(path).unwrap()
}

fn table_arn(logical_id: &str) -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/parley-local-{logical_id}")
}

fn stream_arn(logical_id: &str) -> String {
    format!("{}/stream/2026-01-01T00:00:00.000", table_arn(logical_id))
}

/// Roles as the local stack resolves them after provisioning: ARNs shaped as moto gives
/// them (in the local account) for what moto holds, placeholders for the rest.
fn authorizer(template_text: &str) -> Authorizer {
    let template = Template::parse(template_text).unwrap();
    let mut resolver = Resolver::new(
        &template,
        Deployment::local(&template, REGION, &Default::default()),
    )
    .unwrap();
    record_placeholders(&mut resolver, is_emulated).unwrap();
    for resource in template.resources().iter().filter(|r| is_emulated(r)) {
        let id = &resource.logical_id;
        let physical = match resource.kind.as_str() {
            "AWS::DynamoDB::Table" => Physical::new(format!("parley-local-{id}"))
                .with("Arn", table_arn(id))
                .with("StreamArn", stream_arn(id)),
            "AWS::S3::Bucket" => {
                Physical::new(BUCKET).with("Arn", format!("arn:aws:s3:::{BUCKET}"))
            }
            "AWS::Cognito::UserPool" => Physical::new(POOL).with(
                "Arn",
                format!("arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{POOL}"),
            ),
            _ => Physical::new(id.to_lowercase()),
        };
        resolver.record(id, physical);
    }
    Authorizer::from_template(&resolver, API).unwrap()
}

/// A request signed with `function`'s local credentials for `service`.
struct Call {
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Call {
    fn signed(function: &str, service: &str, method: Method, path_and_query: &str) -> Self {
        let mut headers = HeaderMap::new();
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=devstack-{function}/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=00"
        );
        headers.insert(
            "authorization",
            HeaderValue::from_str(&authorization).unwrap(),
        );
        Self {
            method,
            path_and_query: path_and_query.to_owned(),
            headers,
            body: Vec::new(),
        }
    }

    fn dynamodb(function: &str, operation: &str, body: Json) -> Self {
        let mut call = Self::signed(function, "dynamodb", Method::POST, "/");
        call.headers.insert(
            "x-amz-target",
            HeaderValue::from_str(&format!("DynamoDB_20120810.{operation}")).unwrap(),
        );
        call.body = body.to_string().into_bytes();
        call
    }

    fn sns(function: &str, form: &str) -> Self {
        let mut call = Self::signed(function, "sns", Method::POST, "/");
        call.headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        call.body = form.as_bytes().to_vec();
        call
    }

    fn connections(function: &str, method: Method) -> Self {
        Self::signed(function, "execute-api", method, "/prod/@connections/abc%3D")
    }

    /// A presigned S3 URL: no `Authorization`, the signer in the query.
    fn presigned(function: &str, method: Method, key: &str) -> Self {
        let path_and_query = format!(
            "/{BUCKET}/{key}?x-id=GetObject&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=devstack-{function}%2F20260101%2F{REGION}%2Fs3%2Faws4_request&X-Amz-Signature=00"
        );
        Self {
            method,
            path_and_query,
            headers: HeaderMap::new(),
            body: Vec::new(),
        }
    }

    fn check(&self, authorizer: &Authorizer) -> Verdict {
        let (path, query) = match self.path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (self.path_and_query.as_str(), None),
        };
        authorizer.check(&Request {
            method: &self.method,
            path,
            query,
            headers: &self.headers,
            body: &self.body,
        })
    }
}

fn denial(verdict: Verdict) -> Denial {
    match verdict {
        Verdict::Denied(denial) => *denial,
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn sns_arn(name: &str) -> String {
    format!(
        "arn%3Aaws%3Asns%3A{REGION}%3A{ACCOUNT}%3A{}",
        name.replace('/', "%2F")
    )
}

#[test]
fn the_real_template_allows_every_call_its_functions_make() {
    let authorizer = authorizer(&real_template_text());
    let connections = "parley-local-ConnectionsTable";
    let conversations = "parley-local-ConversationsTable";
    let messages = "parley-local-MessagesTable";
    let push = "parley-local-PushTable";
    let users = "parley-local-UsersTable";
    let calls = [
        Call::dynamodb(
            "ConnectFunction",
            "GetItem",
            json!({"TableName": connections}),
        ),
        Call::dynamodb(
            "ConnectFunction",
            "UpdateItem",
            json!({"TableName": connections}),
        ),
        Call::dynamodb(
            "DisconnectFunction",
            "UpdateItem",
            json!({"TableName": connections}),
        ),
        Call::dynamodb(
            "MessagesFunction",
            "BatchGetItem",
            json!({"RequestItems": {conversations: {}, messages: {}, users: {}}}),
        ),
        Call::dynamodb(
            "MessagesFunction",
            "TransactWriteItems",
            json!({"TransactItems": [
                {"Update": {"TableName": conversations}},
                {"Put": {"TableName": messages}},
                {"Update": {"TableName": messages}},
                {"ConditionCheck": {"TableName": messages}},
            ]}),
        ),
        Call::dynamodb(
            "MessagesFunction",
            "BatchWriteItem",
            json!({"RequestItems": {messages: []}}),
        ),
        Call::dynamodb(
            "MessagesFunction",
            "BatchGetItem",
            json!({"RequestItems": {connections: {}}}),
        ),
        Call::dynamodb(
            "MessagesFunction",
            "UpdateItem",
            json!({"TableName": connections}),
        ),
        Call::connections("MessagesFunction", Method::POST),
        Call::connections("MessagesFunction", Method::DELETE),
        Call::dynamodb(
            "UsersFunction",
            "TransactWriteItems",
            json!({"TransactItems": [{"Put": {"TableName": users}}, {"Put": {"TableName": users}}]}),
        ),
        Call::connections("FilesFunction", Method::POST),
        Call::connections("FilesFunction", Method::DELETE),
        Call::connections("PushFunction", Method::POST),
        Call::connections("PushFunction", Method::DELETE),
        Call::dynamodb(
            "FilesFunction",
            "GetItem",
            json!({"TableName": conversations}),
        ),
        Call::dynamodb(
            "FilesFunction",
            "UpdateItem",
            json!({"TableName": messages}),
        ),
        Call::presigned("FilesFunction", Method::PUT, "c/g%3Aabc/f1/photo.png"),
        Call::presigned("FilesFunction", Method::GET, "c/g%3Aabc/f1/photo.png"),
        Call::dynamodb("PushFunction", "Query", json!({"TableName": push})),
        Call::sns(
            "PushFunction",
            &format!(
                "Action=CreatePlatformEndpoint&PlatformApplicationArn={}&Token=t",
                sns_arn("app/GCM/parley-local-gcm")
            ),
        ),
        Call::sns(
            "PushFunction",
            &format!(
                "Action=Publish&TargetArn={}&Message=m",
                sns_arn("endpoint/GCM/parley-local-gcm/1")
            ),
        ),
    ];
    for call in &calls {
        let verdict = call.check(&authorizer);
        assert!(
            matches!(verdict, Verdict::Allowed { .. }),
            "{} {} {}: {verdict:?}",
            call.method,
            call.path_and_query,
            String::from_utf8_lossy(&call.body)
        );
    }
}

#[test]
fn what_no_statement_names_is_refused_with_iams_message() {
    let authorizer = authorizer(&real_template_text());
    let refused = denial(
        Call::dynamodb(
            "DisconnectFunction",
            "PutItem",
            json!({"TableName": "parley-local-ConnectionsTable"}),
        )
        .check(&authorizer),
    );
    assert_eq!(refused.function, "DisconnectFunction");
    assert_eq!(
        refused.message(),
        format!(
            "User: arn:aws:sts::{ACCOUNT}:assumed-role/parley-local-DisconnectFunctionRole/parley-local-DisconnectFunction \
             is not authorized to perform: dynamodb:PutItem on resource: {} \
             because no identity-based policy allows the dynamodb:PutItem action",
            table_arn("ConnectionsTable")
        )
    );

    // One item of a transaction outside the role refuses the whole transaction.
    let transaction = denial(
        Call::dynamodb(
            "MessagesFunction",
            "TransactWriteItems",
            json!({"TransactItems": [
                {"Put": {"TableName": "parley-local-MessagesTable"}},
                {"Delete": {"TableName": "parley-local-ConversationsTable"}},
            ]}),
        )
        .check(&authorizer),
    );
    assert_eq!(
        transaction.access,
        Access::new("dynamodb:DeleteItem", table_arn("ConversationsTable"))
    );

    // A URL the files function signed for a key outside c/, or for a delete.
    let outside =
        denial(Call::presigned("FilesFunction", Method::GET, "other/x").check(&authorizer));
    assert_eq!(
        outside.access,
        Access::new("s3:GetObject", format!("arn:aws:s3:::{BUCKET}/other/x"))
    );
    assert_eq!(outside.service, "s3");
    let delete = denial(Call::presigned("FilesFunction", Method::DELETE, "c/x").check(&authorizer));
    assert_eq!(delete.access.action, "s3:DeleteObject");

    // The default function has no table at all, and no @connections.
    assert!(matches!(
        Call::dynamodb(
            "DefaultFunction",
            "GetItem",
            json!({"TableName": "parley-local-MessagesTable"})
        )
        .check(&authorizer),
        Verdict::Denied(_)
    ));
    let connections = denial(Call::connections("DefaultFunction", Method::POST).check(&authorizer));
    assert_eq!(
        connections.access.resource,
        format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{API}/prod/POST/@connections/abc=")
    );
}

#[test]
fn a_policy_that_allows_only_post_refuses_the_close() {
    // The template as it was: ManageConnections on …/POST/@connections/* only.
    let text = real_template_text();
    let delete_line = "                - !Sub \"arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/${StageName}/DELETE/@connections/*\"\n";
    assert!(
        text.contains(delete_line),
        "the template's DELETE grant moved"
    );
    let authorizer = authorizer(&text.replace(delete_line, ""));

    assert!(matches!(
        Call::connections("MessagesFunction", Method::POST).check(&authorizer),
        Verdict::Allowed { .. }
    ));
    let refused = denial(Call::connections("MessagesFunction", Method::DELETE).check(&authorizer));
    assert_eq!(
        refused.access,
        Access::new(
            "execute-api:ManageConnections",
            format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{API}/prod/DELETE/@connections/abc=")
        )
    );
    assert!(refused.message().contains("is not authorized to perform: execute-api:ManageConnections on resource: arn:aws:execute-api:us-east-1:000000000000:websocketapi/prod/DELETE/@connections/abc= because no identity-based policy allows the execute-api:ManageConnections action"));
}

#[test]
fn sam_policy_templates_and_what_sam_adds_make_the_role() {
    let template = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Bucket:
    Type: AWS::S3::Bucket
  Failures:
    Type: AWS::SQS::Queue
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../target/lambda/reader/
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref Table
        - S3CrudPolicy:
            BucketName: !Ref Bucket
        - Statement:
            - Effect: Deny
              Action: s3:DeleteObject
              Resource: !Sub "${Bucket.Arn}/keep/*"
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt Failures.Arn
"#;
    let authorizer = authorizer(template);
    let table = "parley-local-Table";
    let reader = |call: Call| call.check(&authorizer);
    let allowed = |verdict: Verdict| matches!(verdict, Verdict::Allowed { .. });

    assert!(allowed(reader(Call::dynamodb(
        "Reader",
        "Query",
        json!({"TableName": table, "IndexName": "byUser"})
    ))));
    assert!(allowed(reader(Call::dynamodb(
        "Reader",
        "DescribeTable",
        json!({"TableName": table})
    ))));
    let write = denial(reader(Call::dynamodb(
        "Reader",
        "PutItem",
        json!({"TableName": table}),
    )));
    assert_eq!(write.access.resource, table_arn("Table"));
    assert!(!write.explicit);

    // AWSLambdaDynamoDBExecutionRole, which SAM attaches for the stream.
    let mut records = Call::signed("Reader", "dynamodb", Method::POST, "/");
    records.headers.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDBStreams_20120810.GetRecords"),
    );
    records.body = json!({"ShardIterator": format!("{}|1|x", stream_arn("Table"))})
        .to_string()
        .into_bytes();
    assert!(allowed(reader(records)));

    assert!(allowed(reader(Call::presigned(
        "Reader",
        Method::DELETE,
        "tmp/x"
    ))));
    let kept = denial(reader(Call::presigned("Reader", Method::DELETE, "keep/x")));
    assert!(kept.explicit, "{kept:?}");
    assert!(kept
        .message()
        .ends_with("with an explicit deny in an identity-based policy"));

    // The on-failure destination's sqs:SendMessage, on the queue only.
    let roles = function_roles_of(template);
    let policy = &roles[0].policy;
    assert_eq!(
        policy.decide(
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:000000000000:failures"
        ),
        Decision::Allow
    );
    assert_eq!(
        policy.decide(
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:000000000000:other"
        ),
        Decision::ImplicitDeny
    );
}

fn function_roles_of(template_text: &str) -> Vec<Role> {
    let template = Template::parse(template_text).unwrap();
    let mut resolver = Resolver::new(
        &template,
        Deployment::local(&template, REGION, &Default::default()),
    )
    .unwrap();
    record_placeholders(&mut resolver, |_| false).unwrap();
    for resource in template.resources() {
        if resource.kind == "AWS::DynamoDB::Table" {
            resolver.record(
                &resource.logical_id,
                Physical::new("parley-local-Table")
                    .with("Arn", table_arn("Table"))
                    .with("StreamArn", stream_arn("Table")),
            );
        }
        if resource.kind == "AWS::SQS::Queue" {
            resolver.record(
                &resource.logical_id,
                Physical::new("failures")
                    .with("Arn", "arn:aws:sqs:us-east-1:000000000000:failures"),
            );
        }
    }
    function_roles(&resolver).unwrap()
}

#[test]
fn only_requests_signed_by_a_function_are_checked() {
    let authorizer = authorizer(&real_template_text());
    let mut unsigned = Call::dynamodb("X", "DeleteItem", json!({"TableName": "t"}));
    unsigned.headers.remove("authorization");
    assert_eq!(unsigned.check(&authorizer), Verdict::NotAFunction);
    // The tests' and clients' own credentials.
    let client = Call::dynamodb("NotAFunction", "DeleteItem", json!({"TableName": "t"}));
    assert_eq!(client.check(&authorizer), Verdict::NotAFunction);
    // A function's request the mapping cannot read is reported, not guessed at.
    let mut partiql = Call::dynamodb(
        "MessagesFunction",
        "ExecuteStatement",
        json!({"Statement": "SELECT"}),
    );
    partiql.body = br#"{"Statement": "SELECT * FROM t"}"#.to_vec();
    assert!(matches!(
        partiql.check(&authorizer),
        Verdict::NotMapped { function, .. } if function == "MessagesFunction"
    ));
    assert_eq!(
        Call::dynamodb("AnyFunction", "GetItem", json!({})).check(&Authorizer::disabled()),
        Verdict::NotAFunction
    );
}

#[test]
fn templates_the_check_cannot_read_are_errors_naming_the_function() {
    let template = r#"
Resources:
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../target/lambda/reader/
      Policies:
        - AmazonDynamoDBFullAccess
"#;
    let parsed = Template::parse(template).unwrap();
    let mut resolver = Resolver::new(
        &parsed,
        Deployment::local(&parsed, REGION, &Default::default()),
    )
    .unwrap();
    record_placeholders(&mut resolver, |_| false).unwrap();
    let error = function_roles(&resolver).unwrap_err().to_string();
    assert!(
        error.contains("function Reader") && error.contains("AmazonDynamoDBFullAccess"),
        "{error}"
    );
}

#[test]
fn a_function_with_its_own_role_gets_that_roles_policies_only() {
    let template = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Own:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: reads
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: dynamodb:GetItem
                Resource: !GetAtt Table.Arn
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../target/lambda/reader/
      Role: !GetAtt Own.Arn
      Policies:
        - Statement:
            - Effect: Allow
              Action: dynamodb:PutItem
              Resource: !GetAtt Table.Arn
"#;
    let roles = function_roles_of(template);
    let [reader] = roles.as_slice() else {
        panic!("{roles:?}")
    };
    assert_eq!(
        reader.session_arn,
        "arn:aws:sts::000000000000:assumed-role/parley-local-Own/parley-local-Reader"
    );
    let table = table_arn("Table");
    assert_eq!(
        reader.policy.decide("dynamodb:GetItem", &table),
        Decision::Allow
    );
    // SAM ignores Policies when the function names its Role.
    assert_eq!(
        reader.policy.decide("dynamodb:PutItem", &table),
        Decision::ImplicitDeny
    );
}
