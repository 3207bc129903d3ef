//! The PostConfirmation trigger: which function each user pool runs (the template's SAM
//! events `Type: Cognito`, `Trigger: PostConfirmation`), and the event Cognito hands it.

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use serde_json::{json, Map, Value as Json};

use crate::template::{Resolver, TemplateError, FUNCTION_KIND};

/// Every app client's id with its user pool's id.
pub(super) fn client_pools(resolver: &Resolver) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut pools = BTreeMap::new();
    for client in resolver
        .template()
        .resources_of_kind("AWS::Cognito::UserPoolClient")
    {
        if !resolver.exists(client)? {
            continue;
        }
        let properties = resolver.properties(client)?;
        let (Some(physical), Some(pool)) = (
            resolver.physical(&client.logical_id),
            properties["UserPoolId"].as_str(),
        ) else {
            continue;
        };
        pools.insert(physical.id.clone(), pool.to_owned());
    }
    Ok(pools)
}

/// Every user pool id with the function (logical id) its PostConfirmation trigger invokes.
pub(super) fn post_confirmation_triggers(
    resolver: &Resolver,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut triggers = BTreeMap::new();
    for function in resolver.template().resources_of_kind(FUNCTION_KIND) {
        if !resolver.exists(function)? {
            continue;
        }
        let Some(events) = function.property("Events") else {
            continue;
        };
        let Some(Json::Object(events)) = resolver.resolve(events)? else {
            continue;
        };
        for declaration in events.values() {
            let properties = &declaration["Properties"];
            let names_trigger = match &properties["Trigger"] {
                Json::String(trigger) => trigger == "PostConfirmation",
                Json::Array(triggers) => triggers.iter().any(|t| t == "PostConfirmation"),
                _ => false,
            };
            if declaration["Type"] == "Cognito" && names_trigger {
                if let Some(pool) = properties["UserPool"].as_str() {
                    triggers.insert(pool.to_owned(), function.logical_id.clone());
                }
            }
        }
    }
    Ok(triggers)
}

/// The event Cognito sends a PostConfirmation trigger for `username` of `pool`, with the
/// user's attributes as moto holds them.
pub(super) async fn post_confirmation_event(
    moto: &aws_sdk_cognitoidentityprovider::Client,
    region: &str,
    pool: &str,
    username: &str,
    client_id: &str,
) -> Result<Json, String> {
    let user = moto
        .admin_get_user()
        .user_pool_id(pool)
        .username(username)
        .send()
        .await
        .map_err(|e| format!("AdminGetUser: {}", DisplayErrorContext(&e)))?;
    let mut attributes: Map<String, Json> = user
        .user_attributes()
        .iter()
        .filter_map(|a| Some((a.name().to_owned(), Json::String(a.value()?.to_owned()))))
        .collect();
    attributes.insert("cognito:user_status".into(), json!("CONFIRMED"));
    Ok(json!({
        "version": "1",
        "triggerSource": "PostConfirmation_ConfirmSignUp",
        "region": region,
        "userPoolId": pool,
        "userName": user.username(),
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": client_id,
        },
        "request": {"userAttributes": attributes},
        "response": {},
    }))
}
