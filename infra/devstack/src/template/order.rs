//! Creation order: a resource after every resource it refers to (`Ref`, `Fn::GetAtt`,
//! `Fn::Sub`, `DependsOn`), otherwise in declaration order.

use std::collections::BTreeSet;

use super::document::Resource;
use super::error::TemplateError;

/// Orders `resources` so each comes after those of them it refers to. References to
/// resources outside the slice are ignored: they are the caller's to create first.
pub fn dependency_order<'a>(
    resources: &[&'a Resource],
) -> Result<Vec<&'a Resource>, TemplateError> {
    let mut ordered = Vec::with_capacity(resources.len());
    let mut done = BTreeSet::new();
    let mut visiting = BTreeSet::new();
    for resource in resources {
        visit(resource, resources, &mut done, &mut visiting, &mut ordered)?;
    }
    Ok(ordered)
}

fn visit<'a>(
    resource: &'a Resource,
    all: &[&'a Resource],
    done: &mut BTreeSet<&'a str>,
    visiting: &mut BTreeSet<&'a str>,
    ordered: &mut Vec<&'a Resource>,
) -> Result<(), TemplateError> {
    let id = resource.logical_id.as_str();
    if done.contains(id) {
        return Ok(());
    }
    if !visiting.insert(id) {
        return Err(TemplateError::invalid(format!(
            "resource {id} depends on itself through its references"
        )));
    }
    for name in resource.references() {
        if let Some(dependency) = all.iter().find(|r| r.logical_id == name) {
            visit(dependency, all, done, visiting, ordered)?;
        }
    }
    visiting.remove(id);
    done.insert(id);
    ordered.push(resource);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Template;

    #[test]
    fn referenced_resources_come_first_and_cycles_are_errors() {
        let template = Template::parse(
            r#"
Resources:
  Client: {Type: AWS::Cognito::UserPoolClient, Properties: {UserPoolId: !Ref Pool}}
  Table: {Type: AWS::DynamoDB::Table}
  Pool: {Type: AWS::Cognito::UserPool, DependsOn: Table}
"#,
        )
        .unwrap();
        let all: Vec<_> = template.resources().iter().collect();
        let ids: Vec<_> = dependency_order(&all)
            .unwrap()
            .iter()
            .map(|r| r.logical_id.as_str())
            .collect();
        assert_eq!(ids, ["Table", "Pool", "Client"]);

        let cyclic = Template::parse(
            "Resources:\n  A: {Type: X, DependsOn: B}\n  B: {Type: X, DependsOn: A}\n",
        )
        .unwrap();
        let all: Vec<_> = cyclic.resources().iter().collect();
        assert!(dependency_order(&all).is_err());
    }
}
