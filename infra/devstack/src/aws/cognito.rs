//! `AWS::Cognito::UserPool` → CreateUserPool (username and verified attributes, password
//! policy) and `AWS::Cognito::UserPoolClient` → CreateUserPoolClient (auth flows, as the
//! template's conditions left them; no secret, as the template asks).

use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, PasswordPolicyType, PreventUserExistenceErrorTypes, UserPoolPolicyType,
    UsernameAttributeType, UsernameConfigurationType, VerifiedAttributeType,
};
use aws_sdk_cognitoidentityprovider::Client;

use super::props::{Failure, Props};
use crate::template::Physical;

/// Creates the pool; `Ref` is its id, `Arn`, `ProviderName` and `ProviderURL` its attributes.
pub(super) async fn create_user_pool(
    client: &Client,
    name: &str,
    region: &str,
    properties: &Props<'_>,
) -> Result<Physical, Failure> {
    let mut request = client.create_user_pool().pool_name(name);
    for attribute in properties.strings("UsernameAttributes")? {
        request = request.username_attributes(UsernameAttributeType::from(attribute.as_str()));
    }
    for attribute in properties.strings("AutoVerifiedAttributes")? {
        request = request.auto_verified_attributes(VerifiedAttributeType::from(attribute.as_str()));
    }
    if let Some(policy) = properties
        .object("Policies")?
        .map(|policies| policies.object("PasswordPolicy"))
        .transpose()?
        .flatten()
    {
        let password_policy = PasswordPolicyType::builder()
            .set_minimum_length(policy.int32("MinimumLength")?)
            .set_require_lowercase(policy.bool("RequireLowercase")?)
            .set_require_uppercase(policy.bool("RequireUppercase")?)
            .set_require_numbers(policy.bool("RequireNumbers")?)
            .set_require_symbols(policy.bool("RequireSymbols")?)
            .set_temporary_password_validity_days(policy.int32("TemporaryPasswordValidityDays")?)
            .build();
        request = request.policies(
            UserPoolPolicyType::builder()
                .password_policy(password_policy)
                .build(),
        );
    }
    if let Some(configuration) = properties.object("UsernameConfiguration")? {
        request = request.username_configuration(
            UsernameConfigurationType::builder()
                .set_case_sensitive(configuration.bool("CaseSensitive")?)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }

    let created = request
        .send()
        .await
        .map_err(|e| format!("CreateUserPool: {}", DisplayErrorContext(&e)))?;
    let pool = created
        .user_pool()
        .ok_or("CreateUserPool returned no user pool")?;
    let id = pool.id().ok_or("CreateUserPool returned no pool id")?;
    let provider_name = format!("cognito-idp.{region}.amazonaws.com/{id}");
    let mut physical = Physical::new(id)
        .with("ProviderURL", format!("https://{provider_name}"))
        .with("ProviderName", provider_name);
    if let Some(arn) = pool.arn() {
        physical = physical.with("Arn", arn);
    }
    Ok(physical)
}

/// Creates the app client; `Ref` is its client id.
pub(super) async fn create_user_pool_client(
    client: &Client,
    name: &str,
    properties: &Props<'_>,
) -> Result<Physical, Failure> {
    let mut request = client
        .create_user_pool_client()
        .user_pool_id(properties.required_str("UserPoolId")?)
        .client_name(properties.str("ClientName")?.unwrap_or(name))
        .generate_secret(properties.bool("GenerateSecret")?.unwrap_or(false));
    for flow in properties.strings("ExplicitAuthFlows")? {
        request = request.explicit_auth_flows(ExplicitAuthFlowsType::from(flow.as_str()));
    }
    if let Some(setting) = properties.str("PreventUserExistenceErrors")? {
        request =
            request.prevent_user_existence_errors(PreventUserExistenceErrorTypes::from(setting));
    }
    let created = request
        .send()
        .await
        .map_err(|e| format!("CreateUserPoolClient: {}", DisplayErrorContext(&e)))?;
    let app_client = created
        .user_pool_client()
        .ok_or("CreateUserPoolClient returned no client")?;
    let id = app_client
        .client_id()
        .ok_or("CreateUserPoolClient returned no client id")?;
    let mut physical = Physical::new(id).with("ClientId", id);
    if let Some(secret) = app_client.client_secret() {
        physical = physical.with("ClientSecret", secret);
    }
    Ok(physical)
}
