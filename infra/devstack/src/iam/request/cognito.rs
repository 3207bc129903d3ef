//! Cognito user pool requests → IAM: `cognito-idp:<Operation>` on the pool named by
//! `UserPoolId` (`arn:aws:cognito-idp:REGION:ACCOUNT:userpool/ID`), or `*` for operations
//! that name no pool. (Unsigned operations, such as sign-in with a client id, reach the
//! proxy without a signer and are not checked.)

use serde_json::Value as Json;

use super::{Access, Scope};

pub fn access(operation: &str, body: &Json, scope: &Scope) -> Access {
    let resource = match body.get("UserPoolId").and_then(Json::as_str) {
        Some(pool) => {
            let Scope {
                partition,
                region,
                account,
                ..
            } = scope;
            format!("arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool}")
        }
        None => "*".to_owned(),
    };
    Access::new(format!("cognito-idp:{operation}"), resource)
}

#[cfg(test)]
mod tests {
    use super::super::scope;
    use super::*;
    use serde_json::json;

    #[test]
    fn the_pool_is_the_resource() {
        assert_eq!(
            access(
                "ListUsers",
                &json!({"UserPoolId": "us-east-1_abc", "Filter": "email = \"a\""}),
                &scope()
            ),
            Access::new(
                "cognito-idp:ListUsers",
                "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc"
            )
        );
        assert_eq!(
            access("ListUserPools", &json!({"MaxResults": 5}), &scope()),
            Access::new("cognito-idp:ListUserPools", "*")
        );
    }
}
