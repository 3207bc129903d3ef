//! Evaluating intrinsic functions: `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::If`, `Fn::Equals`,
//! `Fn::Not`/`And`/`Or`, `Condition`, `Fn::Join`, `Fn::Select`, `Fn::Split`, against the
//! parameters, the conditions, the pseudo-parameters and the physical ids known so far.
//! `AWS::NoValue` comes out as `None` and removes the list item or key that holds it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::deployment::Deployment;
use super::document::{scalar_text, Parameter, Resource, Template};
use super::error::TemplateError;
use super::physical::{Physical, PhysicalIds};

/// Resolves template values for one deployment. Physical ids are recorded as resources
/// come into existence, so a resource can be resolved once everything it refers to exists.
#[derive(Debug, Clone)]
pub struct Resolver<'t> {
    template: &'t Template,
    deployment: Deployment,
    parameters: BTreeMap<String, Json>,
    conditions: BTreeMap<String, bool>,
    physical: PhysicalIds,
}

impl<'t> Resolver<'t> {
    /// Checks the parameter overrides and evaluates every condition.
    pub fn new(template: &'t Template, deployment: Deployment) -> Result<Self, TemplateError> {
        for name in deployment.parameter_overrides.keys() {
            if template.parameter(name).is_none() {
                return Err(TemplateError::invalid(format!(
                    "parameter override {name}: the template declares no such parameter"
                )));
            }
        }
        let parameters = template
            .parameters()
            .iter()
            .map(|parameter| {
                let value = parameter_value(
                    parameter,
                    deployment.parameter_overrides.get(&parameter.name),
                )?;
                Ok((parameter.name.clone(), value))
            })
            .collect::<Result<_, TemplateError>>()?;
        let mut resolver = Self {
            template,
            deployment,
            parameters,
            conditions: BTreeMap::new(),
            physical: PhysicalIds::new(),
        };
        resolver.evaluate_conditions()?;
        Ok(resolver)
    }

    fn evaluate_conditions(&mut self) -> Result<(), TemplateError> {
        self.conditions.clear();
        for name in condition_order(self.template)? {
            let declared = &self.template.conditions()[&name];
            let holds = self
                .resolve(declared)
                .and_then(|value| as_bool(value.as_ref()))
                .map_err(|e| e.context(format!("condition {name}")))?;
            self.conditions.insert(name, holds);
        }
        Ok(())
    }

    /// Gives a declared parameter a value after the fact, and evaluates the conditions
    /// again: the local stack learns some values (ARNs of what it creates in moto) only once
    /// moto runs. Call it before anything is resolved against the old value.
    pub fn set_parameter(&mut self, name: &str, value: &str) -> Result<(), TemplateError> {
        let parameter = self.template.parameter(name).ok_or_else(|| {
            TemplateError::invalid(format!(
                "parameter {name}: the template declares no such parameter"
            ))
        })?;
        let resolved = parameter_value(parameter, Some(&value.to_owned()))?;
        self.deployment
            .parameter_overrides
            .insert(name.to_owned(), value.to_owned());
        self.parameters.insert(name.to_owned(), resolved);
        self.evaluate_conditions()
    }

    pub fn template(&self) -> &'t Template {
        self.template
    }

    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The value of a parameter after overrides.
    pub fn parameter(&self, name: &str) -> Option<&Json> {
        self.parameters.get(name)
    }

    pub fn condition(&self, name: &str) -> Result<bool, TemplateError> {
        self.conditions
            .get(name)
            .copied()
            .ok_or_else(|| TemplateError::invalid(format!("unknown condition {name}")))
    }

    /// Whether the resource exists in this deployment (its `Condition`, if any, holds).
    pub fn exists(&self, resource: &Resource) -> Result<bool, TemplateError> {
        match &resource.condition {
            Some(condition) => self
                .condition(condition)
                .map_err(|e| e.context(format!("resource {}", resource.logical_id))),
            None => Ok(true),
        }
    }

    /// Makes `Ref`/`Fn::GetAtt` of `logical_id` resolve to `physical`.
    pub fn record(&mut self, logical_id: &str, physical: Physical) {
        self.physical.insert(logical_id.to_owned(), physical);
    }

    pub fn physical(&self, logical_id: &str) -> Option<&Physical> {
        self.physical.get(logical_id)
    }

    pub fn physical_ids(&self) -> &PhysicalIds {
        &self.physical
    }

    /// A resource's properties, resolved (an object; `AWS::NoValue` keys removed).
    pub fn properties(&self, resource: &Resource) -> Result<Json, TemplateError> {
        self.resolve(&resource.properties)
            .map(|value| value.unwrap_or_else(|| Json::Object(Map::new())))
            .map_err(|e| e.context(format!("resource {}", resource.logical_id)))
    }

    /// Resolves every intrinsic in `value`. `None` means `AWS::NoValue`.
    pub fn resolve(&self, value: &Json) -> Result<Option<Json>, TemplateError> {
        match value {
            Json::Array(items) => {
                let mut resolved = Vec::with_capacity(items.len());
                for item in items {
                    resolved.extend(self.resolve(item)?);
                }
                Ok(Some(Json::Array(resolved)))
            }
            Json::Object(map) if map.len() == 1 => {
                let (key, argument) = map.iter().next().expect("one entry");
                match key.as_str() {
                    "Ref" => self.reference(argument),
                    "Condition" if argument.is_string() => self
                        .condition(&scalar_text(argument))
                        .map(|b| Some(Json::Bool(b))),
                    function if function.starts_with("Fn::") => self
                        .function(function, argument)
                        .map_err(|e| e.context(function)),
                    _ => self.resolve_object(map),
                }
            }
            Json::Object(map) => self.resolve_object(map),
            scalar => Ok(Some(scalar.clone())),
        }
    }

    /// Resolves `value` to a string (scalars as CloudFormation renders them).
    pub fn resolve_string(&self, value: &Json) -> Result<String, TemplateError> {
        match self.resolve(value)? {
            Some(Json::Array(_) | Json::Object(_)) => Err(TemplateError::invalid(format!(
                "expected a string, found {value}"
            ))),
            Some(scalar) => Ok(scalar_text(&scalar)),
            None => Err(TemplateError::invalid(
                "AWS::NoValue where a value is required",
            )),
        }
    }

    fn resolve_object(&self, map: &Map<String, Json>) -> Result<Option<Json>, TemplateError> {
        let mut resolved = Map::new();
        for (key, value) in map {
            if let Some(value) = self.resolve(value).map_err(|e| e.context(key))? {
                resolved.insert(key.clone(), value);
            }
        }
        Ok(Some(Json::Object(resolved)))
    }

    fn reference(&self, argument: &Json) -> Result<Option<Json>, TemplateError> {
        let Json::String(name) = argument else {
            return Err(TemplateError::invalid(format!(
                "Ref of a non-name {argument}"
            )));
        };
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        self.named_value(name).map(Some)
    }

    /// What `Ref Name` or `${Name}` stands for.
    fn named_value(&self, name: &str) -> Result<Json, TemplateError> {
        if let Some(pseudo) = self.pseudo_parameter(name) {
            return pseudo;
        }
        if let Some(value) = self.parameters.get(name) {
            return Ok(value.clone());
        }
        if self.template.resource(name).is_some() {
            return self
                .physical
                .get(name)
                .map(|physical| Json::String(physical.id.clone()))
                .ok_or_else(|| {
                    TemplateError::invalid(format!("resource {name} does not exist yet"))
                });
        }
        Err(TemplateError::invalid(format!(
            "unknown reference {name}: not a parameter, resource or pseudo-parameter"
        )))
    }

    fn pseudo_parameter(&self, name: &str) -> Option<Result<Json, TemplateError>> {
        let d = &self.deployment;
        let value = match name {
            "AWS::Region" => d.region.clone(),
            "AWS::AccountId" => d.account_id.clone(),
            "AWS::StackName" => d.stack_name.clone(),
            "AWS::Partition" => d.partition.clone(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::StackId" => format!(
                "arn:{}:cloudformation:{}:{}:stack/{}/local",
                d.partition, d.region, d.account_id, d.stack_name
            ),
            "AWS::NoValue" => {
                return Some(Err(TemplateError::invalid(
                    "AWS::NoValue cannot be part of a string",
                )))
            }
            other if other.starts_with("AWS::") => {
                return Some(Err(TemplateError::invalid(format!(
                    "unsupported pseudo-parameter {other}"
                ))))
            }
            _ => return None,
        };
        Some(Ok(Json::String(value)))
    }

    fn attribute(&self, logical_id: &str, attribute: &str) -> Result<Json, TemplateError> {
        if self.template.resource(logical_id).is_none() {
            return Err(TemplateError::invalid(format!(
                "Fn::GetAtt of unknown resource {logical_id}"
            )));
        }
        let physical = self.physical.get(logical_id).ok_or_else(|| {
            TemplateError::invalid(format!("resource {logical_id} does not exist yet"))
        })?;
        physical
            .attributes
            .get(attribute)
            .map(|value| Json::String(value.clone()))
            .ok_or_else(|| {
                TemplateError::invalid(format!(
                    "resource {logical_id} has no attribute {attribute} locally"
                ))
            })
    }

    fn function(&self, function: &str, argument: &Json) -> Result<Option<Json>, TemplateError> {
        match function {
            "Fn::GetAtt" => {
                let (logical_id, attribute) = match argument {
                    Json::String(dotted) => dotted.split_once('.').ok_or_else(|| {
                        TemplateError::invalid(format!(
                            "expected Resource.Attribute, found {dotted}"
                        ))
                    })?,
                    Json::Array(parts) if parts.len() == 2 => {
                        return self
                            .attribute(
                                &self.resolve_string(&parts[0])?,
                                &self.resolve_string(&parts[1])?,
                            )
                            .map(Some)
                    }
                    other => {
                        return Err(TemplateError::invalid(format!(
                            "malformed argument {other}"
                        )))
                    }
                };
                self.attribute(logical_id, attribute).map(Some)
            }
            "Fn::Sub" => self.substitute(argument).map(|s| Some(Json::String(s))),
            "Fn::If" => {
                let [condition, then, otherwise] = arguments::<3>(argument)?;
                let condition = scalar_text(condition);
                if self.condition(&condition)? {
                    self.resolve(then)
                } else {
                    self.resolve(otherwise)
                }
            }
            "Fn::Equals" => {
                let [left, right] = arguments::<2>(argument)?;
                let left = self.resolve(left)?.map(|v| comparable(&v));
                let right = self.resolve(right)?.map(|v| comparable(&v));
                Ok(Some(Json::Bool(left == right)))
            }
            "Fn::Not" => {
                let [operand] = arguments::<1>(argument)?;
                Ok(Some(Json::Bool(!as_bool(self.resolve(operand)?.as_ref())?)))
            }
            "Fn::And" | "Fn::Or" => {
                let Json::Array(operands) = argument else {
                    return Err(TemplateError::invalid("expected a list of conditions"));
                };
                let values = operands
                    .iter()
                    .map(|operand| as_bool(self.resolve(operand)?.as_ref()))
                    .collect::<Result<Vec<_>, _>>()?;
                let holds = if function == "Fn::And" {
                    values.iter().all(|b| *b)
                } else {
                    values.iter().any(|b| *b)
                };
                Ok(Some(Json::Bool(holds)))
            }
            "Fn::Join" => {
                let [delimiter, items] = arguments::<2>(argument)?;
                let delimiter = self.resolve_string(delimiter)?;
                let items = self.resolve_list(items)?;
                Ok(Some(Json::String(
                    items
                        .iter()
                        .map(scalar_text)
                        .collect::<Vec<_>>()
                        .join(&delimiter),
                )))
            }
            "Fn::Select" => {
                let [index, items] = arguments::<2>(argument)?;
                let index: usize = self.resolve_string(index)?.parse().map_err(|_| {
                    TemplateError::invalid(format!("index {index} is not a number"))
                })?;
                let items = self.resolve_list(items)?;
                items.get(index).cloned().map(Some).ok_or_else(|| {
                    TemplateError::invalid(format!("index {index} out of {} items", items.len()))
                })
            }
            "Fn::Split" => {
                let [delimiter, text] = arguments::<2>(argument)?;
                let delimiter = self.resolve_string(delimiter)?;
                let text = self.resolve_string(text)?;
                Ok(Some(Json::Array(
                    text.split(delimiter.as_str())
                        .map(|s| Json::String(s.to_owned()))
                        .collect(),
                )))
            }
            other => Err(TemplateError::invalid(format!(
                "unsupported intrinsic function {other}"
            ))),
        }
    }

    fn resolve_list(&self, value: &Json) -> Result<Vec<Json>, TemplateError> {
        match self.resolve(value)? {
            Some(Json::Array(items)) => Ok(items),
            other => Err(TemplateError::invalid(format!(
                "expected a list, found {}",
                other.unwrap_or(Json::Null)
            ))),
        }
    }

    fn substitute(&self, argument: &Json) -> Result<String, TemplateError> {
        let (text, variables) = match argument {
            Json::String(text) => (text.as_str(), BTreeMap::new()),
            Json::Array(parts) => match parts.as_slice() {
                [Json::String(text), Json::Object(variables)] => {
                    let variables = variables
                        .iter()
                        .map(|(name, value)| Ok((name.as_str(), self.resolve_string(value)?)))
                        .collect::<Result<_, TemplateError>>()?;
                    (text.as_str(), variables)
                }
                [Json::String(text)] => (text.as_str(), BTreeMap::new()),
                _ => return Err(TemplateError::invalid("expected [text, {variables}]")),
            },
            other => {
                return Err(TemplateError::invalid(format!(
                    "malformed argument {other}"
                )))
            }
        };
        let mut output = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            output.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::invalid(format!("unclosed ${{ in {text}")))?;
            let variable = after[..end].trim();
            if let Some(literal) = variable.strip_prefix('!') {
                output.push_str("${");
                output.push_str(literal);
                output.push('}');
            } else if let Some(value) = variables.get(variable) {
                output.push_str(value);
            } else {
                let value = match variable.split_once('.') {
                    Some((logical_id, attribute)) if !variable.starts_with("AWS::") => {
                        self.attribute(logical_id, attribute)?
                    }
                    _ => self.named_value(variable)?,
                };
                output.push_str(&scalar_text(&value));
            }
            rest = &after[end + 1..];
        }
        output.push_str(rest);
        Ok(output)
    }
}

/// A parameter's value: the override, else the default, checked against AllowedValues.
/// List-typed parameters resolve to lists, as `Ref` of them does in CloudFormation.
fn parameter_value(
    parameter: &Parameter,
    override_value: Option<&String>,
) -> Result<Json, TemplateError> {
    let text = match (override_value, &parameter.default) {
        (Some(value), _) => value.clone(),
        (None, Some(default)) => scalar_text(default),
        (None, None) => {
            return Err(TemplateError::invalid(format!(
                "parameter {} has no default and no value was given",
                parameter.name
            )))
        }
    };
    if let Some(allowed) = &parameter.allowed_values {
        if !allowed.contains(&text) {
            return Err(TemplateError::invalid(format!(
                "parameter {}: {text:?} is not one of {allowed:?}",
                parameter.name
            )));
        }
    }
    if parameter.kind.starts_with("List<") || parameter.kind == "CommaDelimitedList" {
        return Ok(Json::Array(
            text.split(',')
                .map(|item| Json::String(item.trim().to_owned()))
                .collect(),
        ));
    }
    Ok(Json::String(text))
}

/// Conditions ordered so that each comes after the conditions it names; a cycle is an error.
fn condition_order(template: &Template) -> Result<Vec<String>, TemplateError> {
    let conditions = template.conditions();
    let mut ordered = Vec::with_capacity(conditions.len());
    let mut done = BTreeSet::new();
    let mut visiting = BTreeSet::new();
    fn visit(
        name: &str,
        conditions: &BTreeMap<String, Json>,
        done: &mut BTreeSet<String>,
        visiting: &mut BTreeSet<String>,
        ordered: &mut Vec<String>,
    ) -> Result<(), TemplateError> {
        if done.contains(name) {
            return Ok(());
        }
        let Some(declared) = conditions.get(name) else {
            return Err(TemplateError::invalid(format!("unknown condition {name}")));
        };
        if !visiting.insert(name.to_owned()) {
            return Err(TemplateError::invalid(format!(
                "condition {name} depends on itself"
            )));
        }
        let mut named = BTreeSet::new();
        named_conditions(declared, &mut named);
        for dependency in &named {
            visit(dependency, conditions, done, visiting, ordered)?;
        }
        visiting.remove(name);
        done.insert(name.to_owned());
        ordered.push(name.to_owned());
        Ok(())
    }
    for name in conditions.keys() {
        visit(name, conditions, &mut done, &mut visiting, &mut ordered)?;
    }
    Ok(ordered)
}

/// Conditions a condition names, through `{"Condition": name}` and `Fn::If`.
fn named_conditions(value: &Json, names: &mut BTreeSet<String>) {
    match value {
        Json::Object(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next().expect("one entry");
            match (key.as_str(), argument) {
                ("Condition", Json::String(name)) => {
                    names.insert(name.clone());
                }
                ("Fn::If", Json::Array(parts)) => {
                    if let Some(Json::String(name)) = parts.first() {
                        names.insert(name.clone());
                    }
                    parts
                        .iter()
                        .skip(1)
                        .for_each(|p| named_conditions(p, names));
                }
                _ => named_conditions(argument, names),
            }
        }
        Json::Object(map) => map.values().for_each(|v| named_conditions(v, names)),
        Json::Array(items) => items.iter().for_each(|v| named_conditions(v, names)),
        _ => {}
    }
}

fn arguments<const N: usize>(argument: &Json) -> Result<[&Json; N], TemplateError> {
    match argument {
        Json::Array(items) if items.len() == N => Ok(std::array::from_fn(|i| &items[i])),
        other => Err(TemplateError::invalid(format!(
            "expected a list of {N} arguments, found {other}"
        ))),
    }
}

/// Scalars compare as text (`"true"` equals `true`), as CloudFormation compares them.
fn comparable(value: &Json) -> Json {
    match value {
        Json::Array(_) | Json::Object(_) => value.clone(),
        scalar => Json::String(scalar_text(scalar)),
    }
}

fn as_bool(value: Option<&Json>) -> Result<bool, TemplateError> {
    match value {
        Some(Json::Bool(b)) => Ok(*b),
        Some(Json::String(s)) if s == "true" => Ok(true),
        Some(Json::String(s)) if s == "false" => Ok(false),
        other => Err(TemplateError::invalid(format!(
            "expected a condition, found {}",
            other.cloned().unwrap_or(Json::Null)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEMPLATE: &str = r#"
Parameters:
  Stage: {Type: String, Default: prod}
  Flag: {Type: String, Default: "false", AllowedValues: ["true", "false"]}
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
Conditions:
  FlagOn: !Equals [!Ref Flag, "true"]
  FlagOff: !Not [!Condition FlagOn]
  Both: !And [!Condition FlagOn, Fn::Equals: [!Ref Stage, prod]]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Extra:
    Type: AWS::SNS::Topic
    Condition: FlagOn
"#;

    fn deployment(overrides: &[(&str, &str)]) -> Deployment {
        Deployment {
            region: "eu-west-1".into(),
            account_id: "000000000000".into(),
            stack_name: "stack".into(),
            partition: "aws".into(),
            parameter_overrides: overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn resolver<'t>(template: &'t Template, overrides: &[(&str, &str)]) -> Resolver<'t> {
        let mut resolver = Resolver::new(template, deployment(overrides)).unwrap();
        resolver.record(
            "Table",
            Physical::new("stack-Table")
                .with("Arn", "arn:aws:dynamodb:eu-west-1:0:table/stack-Table"),
        );
        resolver
    }

    #[test]
    fn conditions_follow_parameters_and_overrides() {
        let template = Template::parse(TEMPLATE).unwrap();
        let defaults = resolver(&template, &[]);
        assert!(!defaults.condition("FlagOn").unwrap());
        assert!(defaults.condition("FlagOff").unwrap());
        assert!(!defaults.condition("Both").unwrap());
        assert!(!defaults
            .exists(template.resource("Extra").unwrap())
            .unwrap());

        let overridden = resolver(&template, &[("Flag", "true")]);
        assert!(overridden.condition("Both").unwrap());
        assert!(overridden
            .exists(template.resource("Extra").unwrap())
            .unwrap());
    }

    #[test]
    fn overrides_are_checked() {
        let template = Template::parse(TEMPLATE).unwrap();
        let not_allowed = Resolver::new(&template, deployment(&[("Flag", "maybe")])).unwrap_err();
        assert!(not_allowed.to_string().contains("Flag"), "{not_allowed}");
        let undeclared = Resolver::new(&template, deployment(&[("Nope", "1")])).unwrap_err();
        assert!(undeclared.to_string().contains("Nope"), "{undeclared}");
    }

    #[test]
    fn intrinsics_resolve_in_short_and_long_form() {
        let template = Template::parse(TEMPLATE).unwrap();
        let resolver = resolver(&template, &[]);
        let value = json!({
            "ref": {"Ref": "Table"},
            "sub": {"Fn::Sub": "${AWS::Region}/${Table}/${Table.Arn}/${Stage}/${!Kept}"},
            "subMap": {"Fn::Sub": ["${x}-${AWS::AccountId}", {"x": {"Ref": "Stage"}}]},
            "getAttList": {"Fn::GetAtt": ["Table", "Arn"]},
            "getAttDotted": {"Fn::GetAtt": "Table.Arn"},
            "join": {"Fn::Join": [":", [{"Ref": "AWS::Partition"}, "x", {"Ref": "AWS::StackName"}]]},
            "select": {"Fn::Select": ["1", {"Ref": "Names"}]},
            "if": {"Fn::If": ["FlagOn", "on", "off"]},
            "list": ["keep", {"Fn::If": ["FlagOn", "dropped", {"Ref": "AWS::NoValue"}]}],
            "gone": {"Fn::If": ["FlagOn", "x", {"Ref": "AWS::NoValue"}]},
            "number": 10,
        });
        assert_eq!(
            resolver.resolve(&value).unwrap().unwrap(),
            json!({
                "ref": "stack-Table",
                "sub": "eu-west-1/stack-Table/arn:aws:dynamodb:eu-west-1:0:table/stack-Table/prod/${Kept}",
                "subMap": "prod-000000000000",
                "getAttList": "arn:aws:dynamodb:eu-west-1:0:table/stack-Table",
                "getAttDotted": "arn:aws:dynamodb:eu-west-1:0:table/stack-Table",
                "join": "aws:x:stack",
                "select": "b",
                "if": "off",
                "list": ["keep"],
                "number": 10,
            })
        );
    }

    #[test]
    fn unknown_names_are_errors_that_say_which() {
        let template = Template::parse(TEMPLATE).unwrap();
        let resolver = resolver(&template, &[]);
        for (value, expected) in [
            (json!({"Ref": "Missing"}), "Missing"),
            (json!({"Fn::Sub": "${Missing.Arn}"}), "Missing"),
            (json!({"Fn::GetAtt": "Table.StreamArn"}), "StreamArn"),
            (
                json!({"Fn::If": ["NoSuchCondition", 1, 2]}),
                "NoSuchCondition",
            ),
            (json!({"Fn::Base64": "x"}), "Fn::Base64"),
        ] {
            let error = resolver.resolve(&value).unwrap_err().to_string();
            assert!(error.contains(expected), "{value}: {error}");
        }
    }

    #[test]
    fn a_resource_that_does_not_exist_yet_is_reported() {
        let template = Template::parse(TEMPLATE).unwrap();
        let resolver = Resolver::new(&template, deployment(&[])).unwrap();
        let error = resolver.resolve(&json!({"Ref": "Table"})).unwrap_err();
        assert!(
            error.to_string().contains("Table does not exist yet"),
            "{error}"
        );
    }

    #[test]
    fn cyclic_conditions_are_an_error() {
        let template = Template::parse(
            "Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources: {}\n",
        )
        .unwrap();
        let error = Resolver::new(&template, deployment(&[])).unwrap_err();
        assert!(error.to_string().contains("depends on itself"), "{error}");
    }
}
