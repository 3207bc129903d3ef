//! Route selection as API Gateway does it: the route selection expression (e.g.
//! `$request.body.action`) picks a value out of a text frame's JSON; the route with that key
//! handles the frame, `$default` handles everything that selects no route.

use std::collections::HashMap;

use crate::stack_spec::{RouteSpec, WebSocketApiSpec};

pub const CONNECT: &str = "$connect";
pub const DISCONNECT: &str = "$disconnect";
pub const DEFAULT: &str = "$default";

/// The API's routes, indexed for selection.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: HashMap<String, RouteSpec>,
    /// Field path into the frame's JSON, e.g. `["action"]`; `None` when the expression does
    /// not read the body, so every frame goes to `$default`.
    selection_path: Option<Vec<String>>,
}

impl RouteTable {
    pub fn new(spec: &WebSocketApiSpec) -> Self {
        Self {
            routes: spec
                .routes
                .iter()
                .map(|r| (r.key.clone(), r.clone()))
                .collect(),
            selection_path: selection_path(&spec.route_selection_expression),
        }
    }

    pub fn connect(&self) -> Option<&RouteSpec> {
        self.routes.get(CONNECT)
    }

    pub fn disconnect(&self) -> Option<&RouteSpec> {
        self.routes.get(DISCONNECT)
    }

    /// The route for a text frame; `None` when nothing matches and there is no `$default`
    /// (API Gateway then answers the client with a `Forbidden` frame).
    pub fn select_text(&self, text: &str) -> Option<&RouteSpec> {
        self.selection_path
            .as_deref()
            .and_then(|path| selected_value(text, path))
            .filter(|key| key != CONNECT && key != DISCONNECT)
            .and_then(|key| self.routes.get(&key))
            .or_else(|| self.routes.get(DEFAULT))
    }

    /// The route for a binary frame: the expression cannot read binary, so `$default`.
    pub fn select_binary(&self) -> Option<&RouteSpec> {
        self.routes.get(DEFAULT)
    }
}

/// `$request.body.a.b` (or `${request.body.a.b}`) to `["a", "b"]`.
fn selection_path(expression: &str) -> Option<Vec<String>> {
    let expression = expression.trim();
    let inner = expression
        .strip_prefix("${")
        .and_then(|e| e.strip_suffix('}'))
        .map(|e| format!("${e}"))
        .unwrap_or_else(|| expression.to_owned());
    let path = inner.strip_prefix("$request.body.")?;
    let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
    if segments.iter().any(String::is_empty) {
        return None;
    }
    Some(segments)
}

/// The string at `path` in the JSON text; `None` for non-JSON, a missing field, or a value
/// that is not a string.
fn selected_value(text: &str, path: &[String]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let value = path
        .iter()
        .try_fold(&json, |value, field| value.as_object()?.get(field))?;
    value.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(key: &str) -> RouteSpec {
        RouteSpec {
            key: key.into(),
            function: format!("{key}Function"),
            authorizer: None,
            two_way: false,
        }
    }

    fn table(expression: &str, keys: &[&str]) -> RouteTable {
        RouteTable::new(&WebSocketApiSpec {
            stage: "prod".into(),
            route_selection_expression: expression.into(),
            routes: keys.iter().map(|k| route(k)).collect(),
            access_log_format: None,
        })
    }

    fn selected(table: &RouteTable, text: &str) -> Option<String> {
        table.select_text(text).map(|r| r.key.clone())
    }

    #[test]
    fn selects_by_action_and_falls_back_to_default() {
        let t = table(
            "$request.body.action",
            &["$connect", "$disconnect", "$default", "send"],
        );
        assert_eq!(
            selected(&t, r#"{"action":"send"}"#).as_deref(),
            Some("send")
        );
        assert_eq!(
            selected(&t, r#"{"action":"nope"}"#).as_deref(),
            Some("$default")
        );
        assert_eq!(selected(&t, "not json").as_deref(), Some("$default"));
        assert_eq!(selected(&t, r#"{"other":1}"#).as_deref(), Some("$default"));
        assert_eq!(selected(&t, r#"{"action":7}"#).as_deref(), Some("$default"));
        assert_eq!(selected(&t, r#"["send"]"#).as_deref(), Some("$default"));
        // The reserved routes are never reached by a frame.
        assert_eq!(
            selected(&t, r#"{"action":"$connect"}"#).as_deref(),
            Some("$default")
        );
        assert_eq!(t.select_binary().map(|r| r.key.as_str()), Some("$default"));
    }

    #[test]
    fn follows_nested_paths() {
        let t = table("${request.body.meta.kind}", &["$default", "ping"]);
        assert_eq!(
            selected(&t, r#"{"meta":{"kind":"ping"}}"#).as_deref(),
            Some("ping")
        );
        assert_eq!(
            selected(&t, r#"{"meta":"ping"}"#).as_deref(),
            Some("$default")
        );
    }

    #[test]
    fn no_default_selects_nothing() {
        let t = table("$request.body.action", &["$connect", "send"]);
        assert_eq!(
            selected(&t, r#"{"action":"send"}"#).as_deref(),
            Some("send")
        );
        assert_eq!(selected(&t, "junk"), None);
        assert!(t.select_binary().is_none());
    }
}
