//! An identity-based policy as IAM evaluates one: its statements, resolved to plain
//! strings, and the decision for one action on one resource. An explicit `Deny` wins over
//! any `Allow`; without an `Allow` the answer is the implicit deny.
//!
//! Conditions are not evaluated: a statement with a `Condition` is read as if its condition
//! held for an `Allow` and as if it did not for a `Deny` (the local check never refuses what
//! AWS might allow). Policy variables (`${aws:username}`) are compared literally.

use serde_json::Value as Json;

use super::pattern::{action_matches, resource_matches};

/// The statements of every policy of one role.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub effect: Effect,
    pub actions: Names,
    pub resources: Names,
    /// Whether the statement carries a `Condition` (see the module documentation).
    pub conditional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action`/`Resource` (the listed patterns) or `NotAction`/`NotResource` (all but them).
#[derive(Debug, Clone, PartialEq)]
pub enum Names {
    Listed(Vec<String>),
    AllBut(Vec<String>),
}

/// What IAM decides for one action on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No statement allows it.
    ImplicitDeny,
    /// A `Deny` statement matches it.
    ExplicitDeny,
}

impl Policy {
    pub fn decide(&self, action: &str, resource: &str) -> Decision {
        let applies = |statement: &&Statement| {
            statement.actions.contain(action, action_matches)
                && statement.resources.contain(resource, resource_matches)
        };
        let denied = self
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny && !s.conditional)
            .any(|s| applies(&s));
        if denied {
            return Decision::ExplicitDeny;
        }
        if self
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .any(|s| applies(&s))
        {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }

    /// The statements of a resolved policy document (`{"Statement": [...]}` or one
    /// statement object for `Statement`).
    pub fn add_document(&mut self, document: &Json) -> Result<(), String> {
        let statements = match document.get("Statement") {
            Some(Json::Array(statements)) => statements.iter().collect(),
            Some(statement @ Json::Object(_)) => vec![statement],
            _ => return Err(format!("a policy document without Statement: {document}")),
        };
        for statement in statements {
            self.statements.push(Statement::parse(statement)?);
        }
        Ok(())
    }
}

impl Statement {
    fn parse(statement: &Json) -> Result<Self, String> {
        let effect = match statement.get("Effect").and_then(Json::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => {
                return Err(format!(
                    "a statement without Effect Allow or Deny: {statement}"
                ))
            }
        };
        let names = |listed: &str, all_but: &str| -> Result<Names, String> {
            match (statement.get(listed), statement.get(all_but)) {
                (Some(value), None) => strings(value).map(Names::Listed),
                (None, Some(value)) => strings(value).map(Names::AllBut),
                _ => Err(format!(
                    "a statement needs exactly one of {listed} and {all_but}: {statement}"
                )),
            }
        };
        Ok(Self {
            effect,
            actions: names("Action", "NotAction")?,
            resources: names("Resource", "NotResource")?,
            conditional: statement.get("Condition").is_some(),
        })
    }
}

impl Names {
    fn contain(&self, name: &str, matches: fn(&str, &str) -> bool) -> bool {
        match self {
            Self::Listed(patterns) => patterns.iter().any(|p| matches(p, name)),
            Self::AllBut(patterns) => !patterns.iter().any(|p| matches(p, name)),
        }
    }
}

/// A string or a list of strings, as `Action` and `Resource` may be.
fn strings(value: &Json) -> Result<Vec<String>, String> {
    match value {
        Json::String(one) => Ok(vec![one.clone()]),
        Json::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{item} is not a string"))
            })
            .collect(),
        other => Err(format!("{other} is neither a string nor a list of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/T";

    fn policy(document: Json) -> Policy {
        let mut policy = Policy::default();
        policy.add_document(&document).unwrap();
        policy
    }

    #[test]
    fn allows_only_what_a_statement_names() {
        let policy = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": TABLE},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/c/*"]},
        ]}));
        assert_eq!(policy.decide("dynamodb:GetItem", TABLE), Decision::Allow);
        assert_eq!(policy.decide("dynamodb:query", TABLE), Decision::Allow);
        assert_eq!(
            policy.decide("dynamodb:DeleteItem", TABLE),
            Decision::ImplicitDeny
        );
        assert_eq!(
            policy.decide("dynamodb:GetItem", &format!("{TABLE}2")),
            Decision::ImplicitDeny
        );
        assert_eq!(
            policy.decide("s3:GetObject", "arn:aws:s3:::b/c/k"),
            Decision::Allow
        );
        assert_eq!(
            policy.decide("s3:GetObject", "arn:aws:s3:::b/k"),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn an_explicit_deny_wins_and_not_action_not_resource_invert() {
        let policy = policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Deny", "NotAction": ["dynamodb:Get*"], "Resource": TABLE},
            {"Effect": "Allow", "Action": "sns:Publish", "NotResource": "arn:aws:sns:*:*:secret"},
        ]}));
        assert_eq!(policy.decide("dynamodb:GetItem", TABLE), Decision::Allow);
        assert_eq!(
            policy.decide("dynamodb:PutItem", TABLE),
            Decision::ExplicitDeny
        );
        assert_eq!(
            policy.decide("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:0:table/U"),
            Decision::Allow
        );
        assert_eq!(
            policy.decide("sns:Publish", "arn:aws:sns:us-east-1:0:open"),
            Decision::Allow
        );
        assert_eq!(
            policy.decide("sns:Publish", "arn:aws:sns:us-east-1:0:secret"),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn conditions_are_assumed_to_hold_for_allows_and_not_for_denies() {
        let policy = policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE,
             "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ]}));
        assert_eq!(policy.decide("dynamodb:GetItem", TABLE), Decision::Allow);
    }

    #[test]
    fn malformed_statements_are_errors() {
        let mut policy = Policy::default();
        for document in [
            json!({}),
            json!({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}),
        ] {
            assert!(policy.add_document(&document).is_err(), "{document}");
        }
    }
}
