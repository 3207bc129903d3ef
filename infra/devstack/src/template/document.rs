//! The template as declared: parameters, conditions, `Globals.Function` and resources, with
//! every intrinsic in its long form. YAML short forms (`!Ref`, `!Sub`, `!GetAtt`, ...) are
//! rewritten to `{"Ref": ..}` / `{"Fn::Sub": ..}` on load, so the resolver deals with one
//! form only. Values are kept as JSON because that is what the properties become anyway.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value as Json};
use serde_yaml_ng::Value as Yaml;

use super::error::TemplateError;

/// A parsed SAM/CloudFormation template.
#[derive(Debug, Clone)]
pub struct Template {
    parameters: Vec<Parameter>,
    conditions: BTreeMap<String, Json>,
    function_globals: Map<String, Json>,
    resources: Vec<Resource>,
}

/// A declared parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    /// `String`, `Number`, `CommaDelimitedList`, ...
    pub kind: String,
    pub default: Option<Json>,
    pub allowed_values: Option<Vec<String>>,
}

/// A declared resource, properties unresolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub logical_id: String,
    /// e.g. `AWS::DynamoDB::Table`.
    pub kind: String,
    /// Always a JSON object (empty when the template gives none).
    pub properties: Json,
    /// The resource's `Condition`: it exists only when that condition holds.
    pub condition: Option<String>,
    pub depends_on: Vec<String>,
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(yaml: &str) -> Result<Self, TemplateError> {
        let document: Yaml = serde_yaml_ng::from_str(yaml)?;
        let Yaml::Mapping(mut root) = document else {
            return Err(TemplateError::invalid("the template is not a mapping"));
        };
        // Resources are read from the YAML mapping, not from JSON, because serde_json's map
        // sorts keys and declaration order is what a reader of the template expects.
        let resources = match root.remove("Resources") {
            Some(Yaml::Mapping(declared)) => declared
                .into_iter()
                .map(|(logical_id, declaration)| {
                    let logical_id = match logical_id {
                        Yaml::String(id) => id,
                        other => {
                            return Err(TemplateError::invalid(format!(
                                "resource id {other:?} is not a string"
                            )))
                        }
                    };
                    Resource::from_declaration(logical_id, normalize(declaration)?)
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(TemplateError::invalid(
                    "the template has no Resources mapping",
                ))
            }
        };
        let Json::Object(mut root) = normalize(Yaml::Mapping(root))? else {
            unreachable!("a mapping normalizes to an object")
        };
        let parameters = match root.remove("Parameters") {
            Some(Json::Object(declared)) => declared
                .into_iter()
                .map(|(name, declaration)| Parameter::from_declaration(name, declaration))
                .collect::<Result<_, _>>()?,
            Some(Json::Null) | None => Vec::new(),
            Some(_) => return Err(TemplateError::invalid("Parameters is not a mapping")),
        };
        let conditions = match root.remove("Conditions") {
            Some(Json::Object(declared)) => declared.into_iter().collect(),
            Some(Json::Null) | None => BTreeMap::new(),
            Some(_) => return Err(TemplateError::invalid("Conditions is not a mapping")),
        };
        let function_globals = match root
            .get_mut("Globals")
            .and_then(|globals| globals.get_mut("Function"))
            .map(Json::take)
        {
            Some(Json::Object(globals)) => globals,
            Some(Json::Null) | None => Map::new(),
            Some(_) => return Err(TemplateError::invalid("Globals.Function is not a mapping")),
        };
        Ok(Self {
            parameters,
            conditions,
            function_globals,
            resources,
        })
    }

    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Conditions as declared, unevaluated.
    pub fn conditions(&self) -> &BTreeMap<String, Json> {
        &self.conditions
    }

    /// `Globals.Function`: properties every `AWS::Serverless::Function` inherits.
    pub fn function_globals(&self) -> &Map<String, Json> {
        &self.function_globals
    }

    /// Resources in declaration order.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    pub fn resources_of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> {
        self.resources.iter().filter(move |r| r.kind == kind)
    }
}

impl Parameter {
    fn from_declaration(name: String, declaration: Json) -> Result<Self, TemplateError> {
        let Json::Object(mut declaration) = declaration else {
            return Err(TemplateError::invalid(format!(
                "parameter {name} is not a mapping"
            )));
        };
        let kind = match declaration.remove("Type") {
            Some(Json::String(kind)) => kind,
            _ => {
                return Err(TemplateError::invalid(format!(
                    "parameter {name} has no Type"
                )))
            }
        };
        let allowed_values = match declaration.remove("AllowedValues") {
            Some(Json::Array(values)) => Some(values.iter().map(scalar_text).collect()),
            _ => None,
        };
        Ok(Self {
            name,
            kind,
            default: declaration.remove("Default"),
            allowed_values,
        })
    }
}

impl Resource {
    fn from_declaration(logical_id: String, declaration: Json) -> Result<Self, TemplateError> {
        let Json::Object(mut declaration) = declaration else {
            return Err(TemplateError::invalid(format!(
                "resource {logical_id} is not a mapping"
            )));
        };
        let kind = match declaration.remove("Type") {
            Some(Json::String(kind)) => kind,
            _ => {
                return Err(TemplateError::invalid(format!(
                    "resource {logical_id} has no Type"
                )))
            }
        };
        let properties = match declaration.remove("Properties") {
            Some(properties @ Json::Object(_)) => properties,
            None | Some(Json::Null) => Json::Object(Map::new()),
            Some(_) => {
                return Err(TemplateError::invalid(format!(
                    "resource {logical_id}: Properties is not a mapping"
                )))
            }
        };
        let condition = match declaration.remove("Condition") {
            Some(Json::String(condition)) => Some(condition),
            None => None,
            Some(_) => {
                return Err(TemplateError::invalid(format!(
                    "resource {logical_id}: Condition must name a condition"
                )))
            }
        };
        let depends_on = match declaration.remove("DependsOn") {
            Some(Json::String(one)) => vec![one],
            Some(Json::Array(many)) => many.iter().map(scalar_text).collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            logical_id,
            kind,
            properties,
            condition,
            depends_on,
        })
    }

    pub fn property(&self, name: &str) -> Option<&Json> {
        self.properties.get(name)
    }

    /// Every name the resource refers to (resources and parameters; pseudo-parameters
    /// excluded), through its properties and `DependsOn`.
    pub fn references(&self) -> BTreeSet<String> {
        let mut names = references(&self.properties);
        names.extend(self.depends_on.iter().cloned());
        names
    }
}

/// Names referenced by `Ref`, `Fn::GetAtt` and `Fn::Sub` variables anywhere in `value`,
/// pseudo-parameters (`AWS::...`) excluded.
pub fn references(value: &Json) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect_references(value, &mut names);
    names
}

fn collect_references(value: &Json, names: &mut BTreeSet<String>) {
    match value {
        Json::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, names)),
        Json::Object(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next().expect("one entry");
            match (key.as_str(), argument) {
                ("Ref", Json::String(name)) => add_reference(name, names),
                ("Fn::GetAtt", Json::String(dotted)) => {
                    add_reference(dotted.split('.').next().unwrap_or_default(), names)
                }
                ("Fn::GetAtt", Json::Array(parts)) => {
                    if let Some(Json::String(name)) = parts.first() {
                        add_reference(name, names)
                    }
                }
                ("Fn::Sub", Json::String(text)) => sub_variables(text)
                    .iter()
                    .for_each(|name| add_reference(name, names)),
                ("Fn::Sub", Json::Array(parts)) => {
                    let local: BTreeSet<&String> = match parts.get(1) {
                        Some(Json::Object(variables)) => {
                            variables
                                .values()
                                .for_each(|v| collect_references(v, names));
                            variables.keys().collect()
                        }
                        _ => BTreeSet::new(),
                    };
                    if let Some(Json::String(text)) = parts.first() {
                        sub_variables(text)
                            .iter()
                            .filter(|name| !local.contains(name))
                            .for_each(|name| add_reference(name, names));
                    }
                }
                _ => collect_references(argument, names),
            }
        }
        Json::Object(map) => map.values().for_each(|v| collect_references(v, names)),
        _ => {}
    }
}

fn add_reference(name: &str, names: &mut BTreeSet<String>) {
    if !name.is_empty() && !name.starts_with("AWS::") {
        names.insert(name.to_owned());
    }
}

/// The names `${Name}` / `${Name.Attribute}` in a `Fn::Sub` string (the part before the
/// first dot), skipping the `${!Literal}` escape.
pub(crate) fn sub_variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let variable = &after[..end];
        if !variable.starts_with('!') {
            names.push(
                variable
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            );
        }
        rest = &after[end + 1..];
    }
    names
}

/// The text of a scalar as CloudFormation sees it (`true`, `10`, `abc`).
pub(crate) fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// YAML → JSON, rewriting short-form tags to long-form intrinsics.
fn normalize(value: Yaml) -> Result<Json, TemplateError> {
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(b),
        Yaml::Number(n) => serde_json::to_value(&n)
            .map_err(|e| TemplateError::invalid(format!("number {n}: {e}")))?,
        Yaml::String(s) => Json::String(s),
        Yaml::Sequence(items) => {
            Json::Array(items.into_iter().map(normalize).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(mapping) => {
            let mut map = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Yaml::String(key) => key,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    other => {
                        return Err(TemplateError::invalid(format!(
                            "unsupported mapping key {other:?}"
                        )))
                    }
                };
                map.insert(key, normalize(value)?);
            }
            Json::Object(map)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let long_form = match name {
                "Ref" | "Condition" => name.to_owned(),
                _ => format!("Fn::{name}"),
            };
            let mut map = Map::new();
            map.insert(long_form, normalize(tagged.value)?);
            Json::Object(map)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let template = Template::parse(
            r#"
Resources:
  Thing:
    Type: AWS::S3::Bucket
    Properties:
      A: !Ref Other
      B: !Sub "x-${Other.Arn}-${!Literal}"
      C: !GetAtt Other.Arn
      D: !If [Cond, !Join ["-", [a, b]], !Ref AWS::NoValue]
      E: !Select [0, [x]]
"#,
        )
        .unwrap();
        let thing = template.resource("Thing").unwrap();
        assert_eq!(
            thing.properties,
            json!({
                "A": {"Ref": "Other"},
                "B": {"Fn::Sub": "x-${Other.Arn}-${!Literal}"},
                "C": {"Fn::GetAtt": "Other.Arn"},
                "D": {"Fn::If": ["Cond", {"Fn::Join": ["-", ["a", "b"]]}, {"Ref": "AWS::NoValue"}]},
                "E": {"Fn::Select": [0, ["x"]]},
            })
        );
        assert_eq!(
            thing.references(),
            BTreeSet::from(["Other".to_owned()]),
            "pseudo-parameters and ${{!escapes}} are not references"
        );
    }

    #[test]
    fn sub_with_variable_map_does_not_reference_its_own_variables() {
        let names = references(&json!({"Fn::Sub": ["${a}-${B}", {"a": {"Ref": "C"}}]}));
        assert_eq!(names, BTreeSet::from(["B".to_owned(), "C".to_owned()]));
    }

    #[test]
    fn resources_keep_declaration_order() {
        let template = Template::parse(
            "Resources:\n  Zed: {Type: AWS::SNS::Topic}\n  Alpha: {Type: AWS::SNS::Topic}\n",
        )
        .unwrap();
        let ids: Vec<_> = template
            .resources()
            .iter()
            .map(|r| r.logical_id.as_str())
            .collect();
        assert_eq!(ids, ["Zed", "Alpha"]);
    }

    #[test]
    fn a_template_without_resources_is_an_error() {
        let error = Template::parse("Parameters: {}\n").unwrap_err();
        assert!(error.to_string().contains("Resources"), "{error}");
    }
}
