//! SAM policy templates (`- DynamoDBCrudPolicy: {TableName: !Ref T}` in a function's
//! `Policies`), expanded as aws-sam-translator expands them: the template's `Definition`
//! with each `{"Ref": "<Parameter>"}` replaced by the value given for that parameter, still
//! unresolved (the caller resolves the result against the deployment, as CloudFormation
//! resolves what SAM emits).
//!
//! The definitions are copied verbatim from aws-sam-translator 1.115.0's
//! `samtranslator/policy_templates_data/policy_templates.json` into
//! `sam_policy_templates.json`, one entry per template this project knows; a template name
//! that is not there is an error that says where to copy it from.

use std::sync::OnceLock;

use serde_json::{Map, Value as Json};

const DEFINITIONS: &str = include_str!("sam_policy_templates.json");

fn templates() -> &'static Map<String, Json> {
    static TEMPLATES: OnceLock<Map<String, Json>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let file: Json =
            serde_json::from_str(DEFINITIONS).expect("sam_policy_templates.json is JSON");
        match file.get("Templates") {
            Some(Json::Object(templates)) => templates.clone(),
            _ => panic!("sam_policy_templates.json has no Templates object"),
        }
    })
}

/// The policy document `name` with `parameters` stands for, intrinsics unresolved.
pub fn expand(name: &str, parameters: &Json) -> Result<Json, String> {
    let template = templates().get(name).ok_or_else(|| {
        format!(
            "SAM policy template {name} is not known locally: copy its entry from \
             aws-sam-translator's policy_templates.json into infra/devstack/src/iam/sam_policy_templates.json"
        )
    })?;
    let given = match parameters {
        Json::Object(given) => given.clone(),
        // `- AWSSecretsManagerGetSecretValuePolicy: {}` and templates without parameters.
        Json::Null => Map::new(),
        other => return Err(format!("{name}: parameters {other} are not a mapping")),
    };
    let declared = template
        .get("Parameters")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    for parameter in declared.keys() {
        if !given.contains_key(parameter) {
            return Err(format!("{name}: parameter {parameter} is missing"));
        }
    }
    for parameter in given.keys() {
        if !declared.contains_key(parameter) {
            return Err(format!("{name}: it has no parameter {parameter}"));
        }
    }
    let definition = template
        .get("Definition")
        .ok_or_else(|| format!("{name}: no Definition"))?;
    Ok(substitute(definition, &given))
}

/// `definition` with every `{"Ref": P}` of a parameter P replaced by its value.
fn substitute(definition: &Json, parameters: &Map<String, Json>) -> Json {
    match definition {
        Json::Object(map) if map.len() == 1 => match map.get("Ref").and_then(Json::as_str) {
            Some(name) if parameters.contains_key(name) => parameters[name].clone(),
            _ => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), substitute(v, parameters)))
                    .collect(),
            ),
        },
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, parameters)))
                .collect(),
        ),
        Json::Array(items) => {
            Json::Array(items.iter().map(|v| substitute(v, parameters)).collect())
        }
        scalar => scalar.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_replace_their_refs_and_nothing_else() {
        let document = expand(
            "DynamoDBReadPolicy",
            &json!({"TableName": {"Ref": "MessagesTable"}}),
        )
        .unwrap();
        let statement = &document["Statement"][0];
        assert_eq!(statement["Effect"], "Allow");
        assert!(statement["Action"]
            .as_array()
            .unwrap()
            .contains(&json!("dynamodb:Query")));
        assert_eq!(
            statement["Resource"][1],
            json!({"Fn::Sub": [
                "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}/index/*",
                {"tableName": {"Ref": "MessagesTable"}}
            ]})
        );
    }

    #[test]
    fn unknown_templates_and_wrong_parameters_are_errors() {
        let unknown = expand("NoSuchPolicy", &json!({})).unwrap_err();
        assert!(unknown.contains("policy_templates.json"), "{unknown}");
        let missing = expand("S3CrudPolicy", &json!({})).unwrap_err();
        assert!(missing.contains("BucketName"), "{missing}");
        let extra = expand(
            "S3CrudPolicy",
            &json!({"BucketName": "b", "TableName": "t"}),
        )
        .unwrap_err();
        assert!(extra.contains("TableName"), "{extra}");
    }
}
