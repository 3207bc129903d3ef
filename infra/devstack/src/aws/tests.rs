//! Provisioning against a real moto, started by each test on a free port from the
//! workspace's `.venv`. Without the venv the tests say so loudly and return.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType;
use aws_sdk_dynamodb::types::{KeyType, StreamViewType, TimeToLiveStatus};

use super::*;
use crate::template::{Deployment, Resolver, Template};

const REGION: &str = "us-east-1";

/// moto from the workspace venv. A missing venv fails the test with the reason: a test that
/// did not run must not pass (`make test` makes the venv first).
async fn start_moto() -> Moto {
    let options = MotoOptions::new(workspace_venv(), 0);
    assert!(
        options.server_path().is_file(),
        "{} is missing: run `make venv` (as `make test` does) to install moto",
        options.server_path().display()
    );
    Moto::start(&options).await.expect("moto starts")
}

#[tokio::test]
async fn a_missing_venv_is_a_clear_error() {
    let options = MotoOptions::new(Path::new("/nonexistent/venv"), 0);
    let error = Moto::start(&options).await.unwrap_err().to_string();
    assert!(
        error.contains("make venv") && error.contains("/nonexistent/venv"),
        "{error}"
    );
}

const TEMPLATE: &str = r#"
Parameters:
  AllowPasswordAuth: {Type: String, Default: "false"}
Conditions:
  PasswordAuthAllowed: !Equals [!Ref AllowPasswordAuth, "true"]
  Never: !Equals [a, b]
Resources:
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      GenerateSecret: false
      ExplicitAuthFlows:
        - ALLOW_REFRESH_TOKEN_AUTH
        - !If [PasswordAuthAllowed, ALLOW_USER_PASSWORD_AUTH, !Ref AWS::NoValue]
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UsernameAttributes: [email]
      AutoVerifiedAttributes: [email]
      Policies:
        PasswordPolicy: {MinimumLength: 8, RequireSymbols: false}
  Messages:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: byUser, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: byUser
          KeySchema: [{AttributeName: byUser, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
  Files:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}
  Events:
    Type: AWS::SNS::Topic
  NotCreated:
    Type: AWS::SNS::Topic
    Condition: Never
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: x/
      Policies: [{Statement: [{Resource: !GetAtt Messages.Arn}]}]
"#;

#[tokio::test]
async fn provisions_tables_buckets_topics_and_cognito_from_the_template() {
    let moto = start_moto().await;
    let template = Template::parse(TEMPLATE).unwrap();
    let deployment = Deployment::local(&template, REGION, &BTreeMap::new());
    let mut resolver = Resolver::new(&template, deployment).unwrap();
    let clients = AwsClients::new(moto.endpoint(), REGION).await;
    let created = provision(&clients, &mut resolver).await.unwrap();

    let ids: Vec<_> = created.keys().map(String::as_str).collect();
    assert_eq!(ids, ["Client", "Events", "Files", "Messages", "Pool"]);
    assert!(
        resolver.physical("Fn").is_some(),
        "functions get placeholders"
    );

    let table = clients
        .dynamodb
        .describe_table()
        .table_name("parley-local-Messages")
        .send()
        .await
        .unwrap();
    let table = table.table().unwrap();
    let keys: Vec<_> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    assert_eq!(keys, [("pk", KeyType::Hash), ("sk", KeyType::Range)]);
    assert_eq!(
        table.global_secondary_indexes()[0].index_name(),
        Some("byUser")
    );
    let stream = table.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type(),
        Some(&StreamViewType::NewAndOldImages)
    );
    assert_eq!(
        created["Messages"]
            .attributes
            .get("StreamArn")
            .map(String::as_str),
        table.latest_stream_arn()
    );
    let ttl = clients
        .dynamodb
        .describe_time_to_live()
        .table_name("parley-local-Messages")
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("ttl"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));

    clients
        .s3
        .head_bucket()
        .bucket("parley-local-files")
        .send()
        .await
        .expect("bucket exists, lowercase-named");
    let topics = clients.sns.list_topics().send().await.unwrap();
    let topics: Vec<_> = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .collect();
    assert_eq!(
        topics,
        [created["Events"].id.as_str()],
        "the conditional topic is skipped"
    );

    let pool_id = &created["Pool"].id;
    let pool = clients
        .cognito
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .unwrap();
    assert_eq!(pool.user_pool().unwrap().name(), Some("parley-local-Pool"));
    let client = clients
        .cognito
        .describe_user_pool_client()
        .user_pool_id(pool_id)
        .client_id(&created["Client"].id)
        .send()
        .await
        .unwrap();
    let client = client.user_pool_client().unwrap();
    assert_eq!(
        client.explicit_auth_flows(),
        [
            ExplicitAuthFlowsType::AllowRefreshTokenAuth,
            ExplicitAuthFlowsType::AllowUserPasswordAuth
        ]
    );
    assert!(client.client_secret().is_none());

    moto.stop().await;
}

#[tokio::test]
async fn provisions_the_real_template() {
    let moto = start_moto().await;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let template = Template::load(&path).unwrap();
    let deployment = Deployment::local(&template, REGION, &BTreeMap::new());
    let mut resolver = Resolver::new(&template, deployment).unwrap();
    let clients = AwsClients::new(moto.endpoint(), REGION).await;
    let created = provision(&clients, &mut resolver).await.unwrap();
    for expected in [
        "ConnectionsTable",
        "ConversationsTable",
        "MessagesTable",
        "FilesBucket",
        "UserPool",
        "UserPoolClient",
    ] {
        assert!(created.contains_key(expected), "{expected} was not created");
    }
    let messages = clients
        .dynamodb
        .describe_table()
        .table_name(&created["MessagesTable"].id)
        .send()
        .await
        .unwrap();
    let stream = messages.table().unwrap().stream_specification().unwrap();
    assert!(stream.stream_enabled());

    let ttl = clients
        .dynamodb
        .describe_time_to_live()
        .table_name("parley-local-ConnectionsTable")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description().unwrap().attribute_name(),
        Some("ttl")
    );
    let client = clients
        .cognito
        .describe_user_pool_client()
        .user_pool_id(&created["UserPool"].id)
        .client_id(&created["UserPoolClient"].id)
        .send()
        .await
        .unwrap();
    assert!(client
        .user_pool_client()
        .unwrap()
        .explicit_auth_flows()
        .contains(&ExplicitAuthFlowsType::AllowUserPasswordAuth));

    moto.stop().await;
}

/// serialized_moto.py lets DynamoDB reads run together and keeps every write exclusive. Of
/// many concurrent conditional Puts of one item exactly one may succeed (DynamoDB's promise,
/// which moto alone does not keep), and a read running beside writes must neither fail nor
/// see half an UpdateItem (moto applies its actions to the stored item one at a time).
#[tokio::test]
async fn concurrent_requests_keep_conditions_exact_and_reads_whole() {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    use futures_util::future::join_all;

    const TABLE: &str = "parley-local-Messages";
    const RACERS: usize = 24;
    const UPDATES: usize = 60;
    const READERS: usize = 6;
    let moto = start_moto().await;
    let template = Template::parse(TEMPLATE).unwrap();
    let deployment = Deployment::local(&template, REGION, &BTreeMap::new());
    let mut resolver = Resolver::new(&template, deployment).unwrap();
    let clients = AwsClients::new(moto.endpoint(), REGION).await;
    provision(&clients, &mut resolver).await.unwrap();
    let db = &clients.dynamodb;

    for round in 0..4 {
        let pk = format!("race-{round}");
        let puts = (0..RACERS).map(|n| {
            db.put_item()
                .table_name(TABLE)
                .item("pk", S(pk.clone()))
                .item("sk", S("seq".into()))
                .item("by", N(n.to_string()))
                .condition_expression("attribute_not_exists(pk)")
                .send()
        });
        let results = join_all(puts).await;
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        for error in results.iter().filter_map(|r| r.as_ref().err()) {
            let refused = error
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception());
            assert!(refused, "{error:?}");
        }
    }

    // One writer sets two attributes together, over and over; readers look at the item by
    // GetItem and Query, miss other items by GetItem (moto's inserts an empty partition on a
    // miss) and Scan the table, all while it writes.
    let writer = async {
        for v in 0..UPDATES {
            db.update_item()
                .table_name(TABLE)
                .key("pk", S("pair".into()))
                .key("sk", S("pair".into()))
                .update_expression("SET a = :v, b = :v, c = :v")
                .expression_attribute_values(":v", N(v.to_string()))
                .send()
                .await
                .expect("update");
            db.put_item()
                .table_name(TABLE)
                .item("pk", S(format!("other-{v}")))
                .item("sk", S("x".into()))
                .send()
                .await
                .expect("put");
        }
    };
    let whole =
        |item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>| {
            assert_eq!(item.get("a"), item.get("b"), "{item:?}");
            assert_eq!(item.get("b"), item.get("c"), "{item:?}");
        };
    let reader = |n: usize| async move {
        for i in 0..UPDATES {
            let got = db
                .get_item()
                .table_name(TABLE)
                .key("pk", S("pair".into()))
                .key("sk", S("pair".into()))
                .send()
                .await
                .expect("get");
            if let Some(item) = got.item() {
                whole(item);
            }
            let queried = db
                .query()
                .table_name(TABLE)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", S("pair".into()))
                .send()
                .await
                .expect("query");
            queried.items().iter().for_each(whole);
            db.get_item()
                .table_name(TABLE)
                .key("pk", S(format!("missing-{n}-{i}")))
                .key("sk", S("x".into()))
                .send()
                .await
                .expect("get a missing item");
            let scanned = db.scan().table_name(TABLE).send().await.expect("scan");
            scanned
                .items()
                .iter()
                .filter(|item| item.get("pk") == Some(&S("pair".into())))
                .for_each(whole);
        }
    };
    let readers = join_all((0..READERS).map(reader));
    tokio::join!(writer, readers);

    moto.stop().await;
}
