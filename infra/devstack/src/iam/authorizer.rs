//! The check the AWS proxy runs on every request: who signed it (a function's own access
//! key, [`crate::template::local::function_access_key_id`]), what it asks for
//! ([`super::request`]), and whether that function's role ([`super::roles`]) allows every
//! part of it. Requests signed with any other key (the tests, clients, the devstack
//! itself) are not a function's and pass unchecked, as do unsigned ones.

use std::collections::HashMap;

use super::denial::Denial;
use super::policy::Decision;
use super::request::{accesses, Request, Scope};
use super::roles::{function_roles, Role};
use super::signer::credential;
use crate::aws_proxy::is_management;
use crate::template::local::function_access_key_id;
use crate::template::{Resolver, TemplateError};

/// What the check says about one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not signed by a function: not checked.
    NotAFunction,
    /// Every action it asks for is allowed.
    Allowed {
        function: String,
    },
    /// Signed by a function, but the local stack cannot tell which IAM actions it asks for.
    NotMapped {
        function: String,
        reason: String,
    },
    Denied(Box<Denial>),
}

/// The roles of a stack's functions, by their access key ids.
#[derive(Debug, Clone, Default)]
pub struct Authorizer {
    roles: HashMap<String, Role>,
    /// Partition, account and API; the region comes from each request's signature.
    scope: Option<Scope>,
}

impl Authorizer {
    /// Checks nothing: for a proxy without a template behind it.
    pub fn disabled() -> Self {
        Self::default()
    }

    pub fn new(roles: Vec<Role>, scope: Scope) -> Self {
        let roles = roles
            .into_iter()
            .map(|role| (function_access_key_id(&role.function), role))
            .collect();
        Self {
            roles,
            scope: Some(scope),
        }
    }

    /// Every function's role as `resolver` (provisioned) resolves it; `api_id` is the
    /// WebSocket API whose `@connections` the stack serves.
    pub fn from_template(resolver: &Resolver, api_id: &str) -> Result<Self, TemplateError> {
        let deployment = resolver.deployment();
        let scope = Scope {
            partition: deployment.partition.clone(),
            region: deployment.region.clone(),
            account: deployment.account_id.clone(),
            api_id: api_id.to_owned(),
        };
        Ok(Self::new(function_roles(resolver)?, scope))
    }

    pub fn check(&self, request: &Request<'_>) -> Verdict {
        let Some(signed) = credential(request.headers, request.query) else {
            return Verdict::NotAFunction;
        };
        let (Some(role), Some(scope)) = (self.roles.get(&signed.access_key_id), &self.scope) else {
            return Verdict::NotAFunction;
        };
        let function = role.function.clone();
        let service = if is_management(request.path) {
            "execute-api".to_owned()
        } else {
            signed.service
        };
        let scope = Scope {
            region: signed.region,
            ..scope.clone()
        };
        let asked = match accesses(&service, request, &scope) {
            Ok(asked) => asked,
            Err(reason) => return Verdict::NotMapped { function, reason },
        };
        for access in asked {
            let explicit = match role.policy.decide(&access.action, &access.resource) {
                Decision::Allow => continue,
                Decision::ImplicitDeny => false,
                Decision::ExplicitDeny => true,
            };
            return Verdict::Denied(Box::new(Denial {
                function,
                principal: role.session_arn.clone(),
                service,
                access,
                explicit,
            }));
        }
        Verdict::Allowed { function }
    }
}
