//! Event filtering of an event source mapping (`FilterCriteria`), as Lambda applies it before
//! batching: a record reaches the function when it matches at least one filter's pattern
//! (none declared: every record). Records filtered out are skipped, as if handled.
//!
//! Patterns follow Lambda's event-filtering syntax: an object matches when each of its keys
//! matches that field of the record; a list matches when any of its rules does. Supported
//! rules: a literal (string, number, boolean, null), `{"prefix": "…"}` and
//! `{"exists": true|false}`. Any other rule is refused when the template is read, so that a
//! pattern is never silently taken for a different one.
//!
//! A DynamoDB event source mapping filters only on the record's `dynamodb` key (Lambda's
//! "Using event filtering with a DynamoDB event source"): a pattern on any other top-level
//! key (`eventName`, `eventSource`, …) is refused here too, rather than applied locally and
//! not promised deployed.

use serde_json::Value as Json;

use crate::template::TemplateError;

/// The one top-level key a DynamoDB stream record is filtered on.
pub const DYNAMODB_KEY: &str = "dynamodb";

/// One filter's pattern, checked when read.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pattern: Json,
}

impl Filter {
    /// `text` as a DynamoDB stream mapping's `Pattern` holds it (a JSON document in a string).
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let pattern: Json = serde_json::from_str(text).map_err(|e| {
            TemplateError::invalid(format!("filter pattern {text:?} is not JSON: {e}"))
        })?;
        check(&pattern)?;
        if let Some(key) = pattern
            .as_object()
            .and_then(|fields| fields.keys().find(|key| *key != DYNAMODB_KEY))
        {
            return Err(TemplateError::invalid(format!(
                "filter pattern {text:?} filters on {key:?}: DynamoDB event source mappings filter only under the \"{DYNAMODB_KEY}\" key"
            )));
        }
        Ok(Self { pattern })
    }

    pub fn matches(&self, record: &Json) -> bool {
        matches_object(&self.pattern, Some(record))
    }
}

/// Whether `record` passes `filters` (any of them; all when there are none).
pub fn admits(filters: &[Filter], record: &Json) -> bool {
    filters.is_empty() || filters.iter().any(|filter| filter.matches(record))
}

fn check(pattern: &Json) -> Result<(), TemplateError> {
    let Json::Object(fields) = pattern else {
        return Err(TemplateError::invalid(format!(
            "filter pattern {pattern} must be an object"
        )));
    };
    for value in fields.values() {
        match value {
            Json::Object(_) => check(value)?,
            Json::Array(rules) => {
                for rule in rules {
                    check_rule(rule)?;
                }
            }
            other => {
                return Err(TemplateError::invalid(format!(
                    "filter pattern value {other} must be an object or a list of rules"
                )))
            }
        }
    }
    Ok(())
}

fn check_rule(rule: &Json) -> Result<(), TemplateError> {
    match rule {
        Json::Object(rule) => match rule.iter().next() {
            Some((name, Json::String(_))) if name == "prefix" && rule.len() == 1 => Ok(()),
            Some((name, Json::Bool(_))) if name == "exists" && rule.len() == 1 => Ok(()),
            _ => Err(TemplateError::invalid(format!(
                "filter rule {} is not supported locally (literals, prefix, exists)",
                Json::Object(rule.clone())
            ))),
        },
        Json::Array(_) => Err(TemplateError::invalid("a filter rule cannot be a list")),
        _ => Ok(()),
    }
}

fn matches_object(pattern: &Json, value: Option<&Json>) -> bool {
    let Json::Object(fields) = pattern else {
        return false;
    };
    fields.iter().all(|(key, expected)| {
        let field = value.and_then(|v| v.get(key));
        match expected {
            Json::Object(_) => matches_object(expected, field),
            Json::Array(rules) => rules.iter().any(|rule| matches_rule(rule, field)),
            _ => false,
        }
    })
}

fn matches_rule(rule: &Json, field: Option<&Json>) -> bool {
    match rule {
        Json::Object(rule) => {
            if let Some(Json::Bool(exists)) = rule.get("exists") {
                return field.is_some() == *exists;
            }
            if let Some(Json::String(prefix)) = rule.get("prefix") {
                return field
                    .and_then(Json::as_str)
                    .is_some_and(|text| text.starts_with(prefix.as_str()));
            }
            false
        }
        literal => field == Some(literal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(pattern: Json) -> Filter {
        Filter::parse(&pattern.to_string()).unwrap()
    }

    fn record(event: &str, image: Json) -> Json {
        json!({"eventName": event, "dynamodb": {"Keys": {"sk": {"S": "p#1"}}, "NewImage": image}})
    }

    #[test]
    fn the_template_s_push_filter_admits_copies_marked_offline_only() {
        let push = filter(json!({"dynamodb": {"NewImage": {"offline": {"BOOL": [true]}}}}));
        assert!(push.matches(&record("INSERT", json!({"offline": {"BOOL": true}}))));
        assert!(push.matches(&record("MODIFY", json!({"offline": {"BOOL": true}}))));
        assert!(!push.matches(&record("INSERT", json!({"offline": {"BOOL": false}}))));
        assert!(!push.matches(&record("INSERT", json!({"body": {"S": "x"}}))));
        // A REMOVE (a TTL expiry, say) carries no NewImage with a NEW_IMAGE stream.
        let mut removed = record("REMOVE", json!({}));
        removed["dynamodb"]
            .as_object_mut()
            .unwrap()
            .remove("NewImage");
        assert!(!push.matches(&removed));
        assert!(!push.matches(&json!({"eventName": "INSERT"})));
    }

    #[test]
    fn prefix_exists_and_alternatives() {
        let keys = filter(json!({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "p#"}]}}}}));
        assert!(keys.matches(&record("INSERT", json!({}))));
        let mut other = record("INSERT", json!({}));
        other["dynamodb"]["Keys"]["sk"]["S"] = json!("id#1");
        assert!(!keys.matches(&other));

        let absent = filter(json!({"dynamodb": {"NewImage": {"body": [{"exists": false}]}}}));
        assert!(absent.matches(&record("INSERT", json!({}))));
        assert!(!absent.matches(&record("INSERT", json!({"body": {"S": "x"}}))));

        let either = filter(json!({"dynamodb": {"NewImage": {"kind": {"S": ["a", "b"]}}}}));
        assert!(either.matches(&record("MODIFY", json!({"kind": {"S": "b"}}))));
        assert!(!either.matches(&record("MODIFY", json!({"kind": {"S": "c"}}))));

        // Any one filter admits: `other` fails `keys` but passes `either`.
        other["dynamodb"]["NewImage"] = json!({"kind": {"S": "a"}});
        let neither = record("INSERT", json!({"kind": {"S": "c"}}));
        assert!(admits(&[], &neither));
        assert!(admits(&[keys, either.clone()], &other));
        assert!(!admits(&[either], &neither));
    }

    #[test]
    fn only_the_dynamodb_key_is_filtered_on() {
        for outside in [
            r#"{"eventName": ["INSERT"]}"#,
            r#"{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"offline": {"BOOL": [true]}}}}"#,
            r#"{"eventSource": ["aws:dynamodb"]}"#,
        ] {
            let error = Filter::parse(outside).unwrap_err().to_string();
            assert!(error.contains("only under the \"dynamodb\" key"), "{error}");
        }
    }

    #[test]
    fn unsupported_or_malformed_patterns_are_refused() {
        for bad in [
            "not json",
            "[1]",
            r#"{"eventName": "INSERT"}"#,
            r#"{"eventName": [{"anything-but": ["REMOVE"]}]}"#,
            r#"{"eventName": [["INSERT"]]}"#,
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }
}
