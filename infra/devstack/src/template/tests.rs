//! Whole-template tests: the real `infra/template.yaml`, and small templates for the errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::stack_spec::{AuthorizerSpec, RouteSpec};

const POOL_ID: &str = "us-east-1_Local123";

fn real_template() -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    Template::load(&path).unwrap()
}

fn local() -> LocalStack {
    LocalStack {
        aws_endpoint: "http://127.0.0.1:9001".into(),
        region: "us-east-1".into(),
        gateway_port: 9000,
        management_port: 9000,
        bin_dir: PathBuf::from("target/debug"),
    }
}

/// A resolver as after provisioning: placeholders for what the local stack plays, made-up
/// ids for what moto would hold.
fn provisioned<'t>(template: &'t Template, overrides: &[(&str, &str)]) -> Resolver<'t> {
    let overrides: BTreeMap<String, String> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut resolver = Resolver::new(
        template,
        Deployment::local(template, "us-east-1", &overrides),
    )
    .unwrap();
    let emulated = |r: &Resource| {
        r.kind.starts_with("AWS::DynamoDB::")
            || r.kind.starts_with("AWS::S3::")
            || r.kind.starts_with("AWS::Cognito::")
    };
    record_placeholders(&mut resolver, emulated).unwrap();
    for resource in template.resources().iter().filter(|r| emulated(r)) {
        let id = match resource.kind.as_str() {
            "AWS::Cognito::UserPool" => POOL_ID.to_owned(),
            "AWS::Cognito::UserPoolClient" => "client123".to_owned(),
            _ => format!("parley-local-{}", resource.logical_id),
        };
        let arn = format!("arn:aws:test:::{id}");
        resolver.record(&resource.logical_id, Physical::new(id).with("Arn", arn));
    }
    resolver
}

#[test]
fn the_real_template_resolves_its_functions_and_routes() {
    let template = real_template();
    let resolver = provisioned(&template, &[]);
    let spec = stack_spec(&resolver, &local()).unwrap();

    assert_eq!(spec.websocket.stage, "prod");
    assert_eq!(
        spec.websocket.route_selection_expression,
        "$request.body.action"
    );
    let route = |key: &str| {
        spec.websocket
            .routes
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("no {key} route"))
            .clone()
    };
    assert_eq!(
        route("$connect"),
        RouteSpec {
            key: "$connect".into(),
            function: "ConnectFunction".into(),
            authorizer: Some(AuthorizerSpec {
                function: "AuthorizerFunction".into(),
                identity_source: vec!["route.request.querystring.token".into()],
            }),
            two_way: false,
        }
    );
    assert_eq!(
        route("$disconnect"),
        RouteSpec {
            key: "$disconnect".into(),
            function: "DisconnectFunction".into(),
            authorizer: None,
            two_way: false,
        }
    );
    assert_eq!(route("$default").function, "DefaultFunction");
    assert!(route("$default").two_way);
    for action in ["send", "sync", "ack", "typing", "lookup"] {
        let messaging = route(action);
        assert_eq!(messaging.function, "MessagesFunction");
        assert!(
            messaging.two_way,
            "{action} replies through its route response"
        );
        assert!(messaging.authorizer.is_none());
    }
    for route in &spec.websocket.routes {
        assert!(
            spec.function(&route.function).is_some(),
            "{} has no function",
            route.key
        );
    }

    let names: Vec<_> = spec.functions.iter().map(|f| f.name.as_str()).collect();
    for expected in [
        "AuthorizerFunction",
        "ConnectFunction",
        "DisconnectFunction",
        "DefaultFunction",
        "MessagesFunction",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let connect = spec.function("ConnectFunction").unwrap();
    assert_eq!(connect.binary, PathBuf::from("target/debug/connect"));
    assert_eq!(connect.timeout, Duration::from_secs(10));
    assert_eq!(connect.memory_mb, 128);
    let expected_env = [
        (
            "CONNECTIONS_TABLE",
            "parley-local-ConnectionsTable".to_owned(),
        ),
        ("USERS_TABLE", "parley-local-UsersTable".to_owned()),
        (
            "MANAGEMENT_ENDPOINT",
            "http://127.0.0.1:9000/prod".to_owned(),
        ),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9001".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", local::SECRET_ACCESS_KEY.to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
        ("MESSAGES_TABLE", "parley-local-MessagesTable".to_owned()),
    ];
    let expected_env: BTreeMap<String, String> = expected_env
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    // Every function gets at least these (the template may add more, such as table names).
    for function in &spec.functions {
        for (name, value) in &expected_env {
            assert_eq!(
                function.env.get(name),
                Some(value),
                "{} {name}",
                function.name
            );
        }
        // The pool is named to the authorizer only (the users function is its trigger).
        let verifier_env = ["USER_POOL_CLIENT_ID", "TOKEN_ISSUER", "JWKS_URL"];
        if function.name == "AuthorizerFunction" {
            assert_eq!(function.env["USER_POOL_CLIENT_ID"], "client123");
            assert_eq!(
                function.env["TOKEN_ISSUER"],
                format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}")
            );
            assert_eq!(
                function.env["JWKS_URL"],
                format!("http://127.0.0.1:9001/{POOL_ID}/.well-known/jwks.json")
            );
        } else {
            for name in verifier_env {
                assert!(!function.env.contains_key(name), "{} {name}", function.name);
            }
        }
        // Each function signs with a key of its own: the AWS proxy checks its role by it.
        assert_eq!(
            function.env.get("AWS_ACCESS_KEY_ID"),
            Some(&format!("devstack-{}", function.name))
        );
    }
}

#[test]
fn the_stage_follows_its_parameter() {
    let template = real_template();
    let resolver = provisioned(&template, &[("StageName", "dev")]);
    let spec = stack_spec(&resolver, &local()).unwrap();
    assert_eq!(spec.websocket.stage, "dev");
    assert_eq!(
        spec.functions[0].env["MANAGEMENT_ENDPOINT"],
        "http://127.0.0.1:9000/dev"
    );
}

#[test]
fn password_auth_is_allowed_locally_and_dropped_by_no_value_otherwise() {
    let template = real_template();
    let client = template.resource("UserPoolClient").unwrap();

    let local_resolver = provisioned(&template, &[]);
    assert_eq!(
        local_resolver.properties(client).unwrap()["ExplicitAuthFlows"],
        json!([
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_PASSWORD_AUTH"
        ])
    );

    let as_deployed = provisioned(&template, &[("AllowPasswordAuth", "false")]);
    assert_eq!(
        as_deployed.properties(client).unwrap()["ExplicitAuthFlows"],
        json!(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    );
}

const SMALL: &str = r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: target/fn/}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: local}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationUri:
        Fn::Join: ["", ["arn:aws:apigateway:x:lambda:path/functions/", {"Fn::GetAtt": [Fn, Arn]}, "/invocations"]]
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: {Ref: Api}
      RouteKey: send
      RouteResponseSelectionExpression: $default
      Target: TARGET
"#;

fn small_spec(target: &str) -> Result<StackSpec, TemplateError> {
    let template = Template::parse(&SMALL.replace("TARGET", target)).unwrap();
    let resolver = provisioned(&template, &[]);
    stack_spec(&resolver, &local())
}

#[test]
fn long_form_intrinsics_lead_to_the_function() {
    let spec = small_spec(r#"{"Fn::Join": ["/", [integrations, {"Ref": Integration}]]}"#).unwrap();
    assert_eq!(spec.websocket.stage, "local");
    assert_eq!(
        spec.websocket.routes,
        vec![RouteSpec {
            key: "send".into(),
            function: "Fn".into(),
            authorizer: None,
            // No RouteResponse refers to it.
            two_way: false,
        }]
    );
    let function = spec.function("Fn").unwrap();
    assert_eq!(function.binary, PathBuf::from("target/debug/fn"));
    assert_eq!(function.timeout, Duration::from_secs(3), "Lambda's default");
    assert!(!function.env.contains_key("AWS_LAMBDA_LOG_FORMAT"));
}

#[test]
fn an_unknown_route_target_is_an_error_naming_the_route() {
    let error = small_spec(r#"!Sub "integrations/${Nope}""#)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("route Route") && error.contains("Nope"),
        "{error}"
    );
}

#[test]
fn a_route_without_a_function_is_an_error_naming_the_route() {
    let error = small_spec(r#"!Sub "integrations/${Stage}""#)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("route Route") && error.contains("AWS::ApiGatewayV2::Integration"),
        "{error}"
    );
    let template = Template::parse(&SMALL.replace("      Target: TARGET\n", "")).unwrap();
    let error = stack_spec(&provisioned(&template, &[]), &local())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("route Route") && error.contains("no Target"),
        "{error}"
    );
}

#[test]
fn the_files_bucket_allows_the_presigned_requests_from_the_configured_origins_only() {
    let template = real_template();
    let bucket = template.resource("FilesBucket").unwrap();

    let local_resolver = provisioned(&template, &[]);
    let cors = &local_resolver.properties(bucket).unwrap()["CorsConfiguration"];
    assert_eq!(
        cors["CorsRules"],
        json!([{
            "Id": "presigned-requests-from-web-clients",
            "AllowedOrigins": local::LOCAL_WEB_ORIGINS.split(',').collect::<Vec<_>>(),
            // What functions/files presigns: PUT (signing content-type, and content-length,
            // which a page cannot set, and the expiry tag of a conversation under a
            // disappearing-messages timer), GET; HEAD to check an object.
            "AllowedMethods": ["PUT", "GET", "HEAD"],
            "AllowedHeaders": ["content-type", "x-amz-tagging"],
            "ExposedHeaders": ["ETag"],
            "MaxAge": 600
        }])
    );

    let one_origin = provisioned(&template, &[("AllowedWebOrigins", "https://chat.example")]);
    assert_eq!(
        one_origin.properties(bucket).unwrap()["CorsConfiguration"]["CorsRules"][0]
            ["AllowedOrigins"],
        json!(["https://chat.example"])
    );

    // Deployed with the default (no origins): no CORS rule at all.
    let as_deployed = provisioned(&template, &[("AllowedWebOrigins", "")]);
    assert!(as_deployed
        .properties(bucket)
        .unwrap()
        .get("CorsConfiguration")
        .is_none());
}

#[test]
fn the_account_role_is_opt_in_and_the_access_log_follows_the_parameter() {
    let template = real_template();
    let format_of = |value: &str| {
        let resolver = provisioned(&template, &[("ApiGatewayCloudWatchRole", value)]);
        let exists = resolver
            .exists(template.resource("ApiGatewayAccount").unwrap())
            .unwrap();
        let spec = stack_spec(&resolver, &local()).unwrap();
        (exists, spec.websocket.access_log_format)
    };
    let default = template.parameter("ApiGatewayCloudWatchRole").unwrap();
    assert_eq!(default.default, Some(json!("none")));
    assert_eq!(format_of("none"), (false, None));
    let (set, existing) = format_of("existing");
    assert!(!set);
    assert!(existing.unwrap().contains("$context.error.messageString"));
    let (set, created) = format_of("create");
    assert!(set);
    assert!(created.is_some());
    // Locally the stage keeps its access log: the gateway writes it in this format.
    let local_default = stack_spec(&provisioned(&template, &[]), &local()).unwrap();
    assert!(local_default.websocket.access_log_format.is_some());
}

#[test]
fn hosted_the_files_bucket_has_the_name_the_policy_states_and_allows_the_distribution() {
    let template = real_template();
    let bucket = template.resource("FilesBucket").unwrap();
    let policy = template.resource("WebHeadersPolicy").unwrap();
    let hosted = provisioned(
        &template,
        &[
            ("WebHosting", "true"),
            ("AllowedWebOrigins", "https://chat.example"),
        ],
    );
    let properties = hosted.properties(bucket).unwrap();
    // The stack id's last part (locally "local"), as WebHeadersPolicy builds it.
    assert_eq!(properties["BucketName"], "parley-files-local");
    assert_eq!(
        properties["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"],
        json!([
            "https://chat.example",
            "https://webdistribution.cloudfront.net"
        ])
    );
    let csp = hosted.properties(policy).unwrap()["ResponseHeadersPolicyConfig"]
        ["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        .as_str()
        .unwrap()
        .to_owned();
    let files = "https://parley-files-local.s3.us-east-1.amazonaws.com";
    for directive in ["img-src", "connect-src"] {
        let sources = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with(directive))
            .unwrap();
        assert!(sources.split(' ').any(|s| s == files), "{sources}");
    }

    // Hosted and no other origin: the distribution alone.
    let alone = provisioned(
        &template,
        &[("WebHosting", "true"), ("AllowedWebOrigins", "")],
    );
    assert_eq!(
        alone.properties(bucket).unwrap()["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"],
        json!(["https://webdistribution.cloudfront.net"])
    );
    // Not hosted (the default): CloudFormation names the bucket, as before hosting existed.
    let default = template.parameter("WebHosting").unwrap();
    assert_eq!(default.default, Some(json!("false")));
    assert!(provisioned(&template, &[])
        .properties(bucket)
        .unwrap()
        .get("BucketName")
        .is_none());
}
