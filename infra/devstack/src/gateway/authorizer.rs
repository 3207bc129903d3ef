//! The `$connect` REQUEST authorizer's rules, as API Gateway applies them: identity sources
//! must be present before the authorizer is invoked, and its answer (error, or an IAM policy
//! with `principalId` and `context`) decides between 401, 403, 500 and a connection.

use serde_json::{Map, Value};

use super::events::HandshakeRequest;
use crate::lambda::InvokeError;

/// The authorizer's verdict on one handshake.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthOutcome {
    /// The policy allows `execute-api:Invoke` on the method ARN.
    Allow {
        principal_id: String,
        context: Map<String, Value>,
    },
    /// The handshake is refused with this HTTP status (401, 403 or 500).
    Refuse { status: u16, reason: &'static str },
}

/// The first identity source the request lacks (or has empty), if any: API Gateway then
/// answers 401 without invoking the authorizer. Returns the source's name, never a value.
pub fn missing_identity_source<'a>(
    sources: &'a [String],
    request: &HandshakeRequest,
) -> Option<&'a str> {
    sources
        .iter()
        .find(|source| !identity_source_present(source, request))
        .map(String::as_str)
}

fn identity_source_present(source: &str, request: &HandshakeRequest) -> bool {
    let non_empty = |value: &String| !value.trim().is_empty();
    if let Some(name) = source.strip_prefix("route.request.querystring.") {
        request.query.iter().any(|(k, v)| k == name && non_empty(v))
    } else if let Some(name) = source.strip_prefix("route.request.header.") {
        request
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(name) && non_empty(v))
    } else {
        // Stage variables and context sources cannot be missing from a client's request.
        true
    }
}

/// API Gateway's reading of the authorizer's result for `method_arn`.
pub fn outcome(result: Result<Value, InvokeError>, method_arn: &str) -> AuthOutcome {
    let response = match result {
        Ok(response) => response,
        // The documented way for an authorizer to say 401 is to fail with "Unauthorized".
        Err(InvokeError::Function { message, .. }) if message == "Unauthorized" => {
            return AuthOutcome::Refuse {
                status: 401,
                reason: "authorizer: Unauthorized",
            }
        }
        Err(_) => {
            return AuthOutcome::Refuse {
                status: 500,
                reason: "authorizer failed",
            }
        }
    };
    let invalid = AuthOutcome::Refuse {
        status: 500,
        reason: "authorizer response invalid",
    };
    let Some(principal_id) = response.get("principalId").and_then(principal_id_text) else {
        return invalid;
    };
    let context = match response.get("context") {
        None | Some(Value::Null) => Map::new(),
        // API Gateway refuses objects and arrays as context values.
        Some(Value::Object(context)) if context.values().all(is_scalar) => context.clone(),
        Some(_) => return invalid,
    };
    let Some(statements) = response.get("policyDocument").and_then(statements) else {
        return invalid;
    };
    let applies = |statement: &&Value| {
        string_or_list(statement.get("Action")).any(action_matches)
            && string_or_list(statement.get("Resource"))
                .any(|resource| glob_matches(resource, method_arn))
    };
    let applicable: Vec<&Value> = statements.iter().filter(applies).collect();
    let denied = applicable.iter().any(|s| effect(s) == Some("Deny"));
    let allowed = applicable.iter().any(|s| effect(s) == Some("Allow"));
    if allowed && !denied {
        AuthOutcome::Allow {
            principal_id,
            context,
        }
    } else {
        AuthOutcome::Refuse {
            status: 403,
            reason: "authorizer policy denies",
        }
    }
}

fn effect(statement: &Value) -> Option<&str> {
    statement.get("Effect").and_then(Value::as_str)
}

fn principal_id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// `Statement` is a list or a single statement in IAM policies.
fn statements(policy: &Value) -> Option<Vec<Value>> {
    match policy.get("Statement")? {
        Value::Array(list) => Some(list.clone()),
        single @ Value::Object(_) => Some(vec![single.clone()]),
        _ => None,
    }
}

fn string_or_list(value: Option<&Value>) -> impl Iterator<Item = &str> {
    let items: Vec<&str> = match value {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    items.into_iter()
}

/// The policy's action (a pattern such as `execute-api:*`) covers `execute-api:Invoke`;
/// IAM compares actions case-insensitively.
fn action_matches(action: &str) -> bool {
    glob_matches(&action.to_ascii_lowercase(), "execute-api:invoke")
}

/// IAM wildcards: `*` is any run of characters, `?` any one character.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:000000000000:abc/prod/$connect";

    fn policy(effect: &str, resource: &str) -> Value {
        json!({
            "principalId": "user-1",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]
            },
            "context": {"sub": "user-1", "n": 3, "ok": true}
        })
    }

    #[test]
    fn allow_keeps_principal_and_context() {
        match outcome(Ok(policy("Allow", ARN)), ARN) {
            AuthOutcome::Allow {
                principal_id,
                context,
            } => {
                assert_eq!(principal_id, "user-1");
                assert_eq!(context.get("sub"), Some(&json!("user-1")));
                assert_eq!(context.get("n"), Some(&json!(3)));
            }
            other => panic!("{other:?}"),
        }
        let wildcard = "arn:aws:execute-api:eu-west-1:*:abc/*";
        assert!(matches!(
            outcome(Ok(policy("Allow", wildcard)), ARN),
            AuthOutcome::Allow { .. }
        ));
    }

    #[test]
    fn deny_or_no_allow_is_403() {
        let refused = |r| matches!(r, AuthOutcome::Refuse { status: 403, .. });
        assert!(refused(outcome(Ok(policy("Deny", ARN)), ARN)));
        assert!(refused(outcome(Ok(policy("Allow", "arn:other")), ARN)));
        let mut both = policy("Allow", "*");
        both["policyDocument"]["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Action": ["execute-api:Invoke"], "Effect": "Deny", "Resource": [ARN]}));
        assert!(refused(outcome(Ok(both), ARN)));
    }

    #[test]
    fn errors_map_to_401_and_500() {
        let unauthorized = InvokeError::Function {
            error_type: "Error".into(),
            message: "Unauthorized".into(),
        };
        assert!(matches!(
            outcome(Err(unauthorized), ARN),
            AuthOutcome::Refuse { status: 401, .. }
        ));
        let crashed = InvokeError::Crashed("exit 1".into());
        assert!(matches!(
            outcome(Err(crashed), ARN),
            AuthOutcome::Refuse { status: 500, .. }
        ));
        let mut nested = policy("Allow", ARN);
        nested["context"] = json!({"claims": {"sub": "x"}});
        assert!(matches!(
            outcome(Ok(nested), ARN),
            AuthOutcome::Refuse { status: 500, .. }
        ));
        assert!(matches!(
            outcome(Ok(json!({"principalId": "u"})), ARN),
            AuthOutcome::Refuse { status: 500, .. }
        ));
    }

    #[test]
    fn identity_sources_must_be_present_and_non_empty() {
        let sources = vec![
            "route.request.querystring.token".to_owned(),
            "route.request.header.X-Device".to_owned(),
        ];
        let mut request = HandshakeRequest {
            headers: vec![("x-device".into(), "phone".into())],
            query: vec![("token".into(), "".into())],
        };
        assert_eq!(
            missing_identity_source(&sources, &request),
            Some("route.request.querystring.token")
        );
        request.query = vec![("token".into(), "abc".into())];
        assert_eq!(missing_identity_source(&sources, &request), None);
        request.headers.clear();
        assert_eq!(
            missing_identity_source(&sources, &request),
            Some("route.request.header.X-Device")
        );
    }

    #[test]
    fn glob() {
        assert!(glob_matches("a*c", "abbbc"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a*d", "abc"));
    }
}
