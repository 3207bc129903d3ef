//! `AWS::Serverless::Function` resources → [`FunctionSpec`]s: binary, environment (Globals
//! merged in, intrinsics resolved, local overrides applied), timeout and memory.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value as Json};

use super::document::{scalar_text, Resource};
use super::error::TemplateError;
use super::local::LocalStack;
use super::resolve::Resolver;
use crate::stack_spec::FunctionSpec;

pub const FUNCTION_KIND: &str = "AWS::Serverless::Function";
/// Lambda's own defaults, used when neither the function nor Globals sets them.
const DEFAULT_TIMEOUT_SECONDS: u64 = 3;
const DEFAULT_MEMORY_MB: u32 = 128;

/// Every function that exists in this deployment, in declaration order.
pub(crate) fn function_specs(
    resolver: &Resolver,
    local: &LocalStack,
    stage: &str,
) -> Result<Vec<FunctionSpec>, TemplateError> {
    let mut specs = Vec::new();
    for resource in resolver.template().resources_of_kind(FUNCTION_KIND) {
        if resolver.exists(resource)? {
            specs.push(
                function_spec(resource, resolver, local, stage)
                    .map_err(|e| e.context(format!("function {}", resource.logical_id)))?,
            );
        }
    }
    Ok(specs)
}

fn function_spec(
    resource: &Resource,
    resolver: &Resolver,
    local: &LocalStack,
    stage: &str,
) -> Result<FunctionSpec, TemplateError> {
    let name = &resource.logical_id;
    let properties = with_globals(resolver.template().function_globals(), &resource.properties);

    let code_uri = properties.get("CodeUri").ok_or_else(|| {
        TemplateError::invalid("no CodeUri (the local stack runs local binaries)")
    })?;
    let code_uri = resolver
        .resolve_string(code_uri)
        .map_err(|e| e.context("CodeUri (only a local path is supported)"))?;
    let binary = local.binary(name, &code_uri)?;

    let declared = match properties
        .get("Environment")
        .and_then(|e| e.get("Variables"))
    {
        Some(Json::Object(variables)) => variables.clone(),
        None => Map::new(),
        Some(other) => {
            return Err(TemplateError::invalid(format!(
                "Environment.Variables is not a mapping: {other}"
            )))
        }
    };
    let mut env = BTreeMap::new();
    for (variable, value) in &declared {
        match resolver.resolve(value).map_err(|e| e.context(variable))? {
            Some(Json::Array(_) | Json::Object(_)) => {
                return Err(TemplateError::invalid(format!(
                    "environment variable {variable} is not a string"
                )))
            }
            Some(value) => {
                env.insert(variable.clone(), scalar_text(&value));
            }
            None => {}
        }
    }
    let logging = match properties.get("LoggingConfig") {
        Some(logging) => resolver
            .resolve(logging)
            .map_err(|e| e.context("LoggingConfig"))?,
        None => None,
    };
    local.override_environment(name, &mut env, &declared, logging.as_ref(), resolver, stage)?;

    let number = |key: &str| -> Result<Option<u64>, TemplateError> {
        let Some(value) = properties.get(key) else {
            return Ok(None);
        };
        let text = resolver.resolve_string(value)?;
        text.parse()
            .map(Some)
            .map_err(|_| TemplateError::invalid(format!("{key} {text:?} is not a whole number")))
    };
    let timeout = Duration::from_secs(number("Timeout")?.unwrap_or(DEFAULT_TIMEOUT_SECONDS));
    let memory_mb = match number("MemorySize")? {
        Some(mb) => u32::try_from(mb)
            .map_err(|_| TemplateError::invalid(format!("MemorySize {mb} is too large")))?,
        None => DEFAULT_MEMORY_MB,
    };

    Ok(FunctionSpec {
        name: name.clone(),
        binary,
        env,
        timeout,
        memory_mb,
    })
}

/// The function's properties with `Globals.Function` underneath, as SAM merges them:
/// the function's scalars win, mappings merge key by key.
fn with_globals(globals: &Map<String, Json>, properties: &Json) -> Map<String, Json> {
    let mut merged = globals.clone();
    if let Json::Object(own) = properties {
        merge_into(&mut merged, own);
    }
    merged
}

fn merge_into(base: &mut Map<String, Json>, own: &Map<String, Json>) {
    for (key, value) in own {
        match (base.get_mut(key), value) {
            (Some(Json::Object(base_map)), Json::Object(own_map)) if !is_intrinsic(own_map) => {
                merge_into(base_map, own_map)
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

fn is_intrinsic(map: &Map<String, Json>) -> bool {
    map.len() == 1
        && map
            .keys()
            .next()
            .is_some_and(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{Deployment, Physical, Template};
    use std::path::PathBuf;

    fn local() -> LocalStack {
        LocalStack {
            aws_endpoint: "http://127.0.0.1:9001".into(),
            region: "us-east-1".into(),
            gateway_port: 9000,
            management_port: 9000,
            bin_dir: PathBuf::from("target/debug"),
        }
    }

    #[test]
    fn globals_merge_under_the_function_and_logging_is_kept_as_declared() {
        let template = Template::parse(
            r#"
Globals:
  Function:
    Timeout: 10
    Environment:
      Variables:
        SHARED: !Ref Table
        OVERRIDDEN: global
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/plain
      MemorySize: 256
      LoggingConfig: {LogFormat: Text}
      Environment:
        Variables:
          OVERRIDDEN: !Sub "${AWS::Region}-own"
          NUMBER: 5
"#,
        )
        .unwrap();
        let mut resolver = Resolver::new(
            &template,
            Deployment::local(&template, "us-east-1", &Default::default()),
        )
        .unwrap();
        resolver.record("Table", Physical::new("parley-local-Table"));
        let specs = function_specs(&resolver, &local(), "prod").unwrap();
        let [plain] = specs.as_slice() else {
            panic!("{specs:?}")
        };
        assert_eq!(plain.binary, PathBuf::from("target/debug/plain"));
        assert_eq!(plain.timeout, Duration::from_secs(10));
        assert_eq!(plain.memory_mb, 256);
        assert_eq!(plain.env["SHARED"], "parley-local-Table");
        assert_eq!(plain.env["OVERRIDDEN"], "us-east-1-own");
        assert_eq!(plain.env["NUMBER"], "5");
        assert_eq!(plain.env["AWS_LAMBDA_LOG_FORMAT"], "Text");
        assert_eq!(plain.env["AWS_ENDPOINT_URL"], "http://127.0.0.1:9001");
        assert!(
            !plain.env.contains_key("MANAGEMENT_ENDPOINT"),
            "only overridden when declared"
        );
    }

    #[test]
    fn a_function_without_code_uri_is_an_error_naming_it() {
        let template = Template::parse(
            "Resources:\n  Lost:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: x}\n",
        )
        .unwrap();
        let resolver = Resolver::new(
            &template,
            Deployment::local(&template, "us-east-1", &Default::default()),
        )
        .unwrap();
        let error = function_specs(&resolver, &local(), "prod")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("function Lost") && error.contains("CodeUri"),
            "{error}"
        );
    }
}
