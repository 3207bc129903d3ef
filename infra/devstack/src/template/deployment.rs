//! Where a template is deployed: the pseudo-parameters' values and the parameter overrides.
//! Resolving and the physical-id placeholders both need it, so it has a home of its own.

use std::collections::BTreeMap;

/// Where the template is deployed: the values of the pseudo-parameters, and parameter
/// values that replace the template's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub region: String,
    pub account_id: String,
    pub stack_name: String,
    pub partition: String,
    pub parameter_overrides: BTreeMap<String, String>,
}

impl Deployment {
    /// The name the stack gives a resource whose template does not name it, e.g.
    /// `parley-local-ConnectionsTable`.
    pub fn physical_name(&self, logical_id: &str) -> String {
        format!("{}-{logical_id}", self.stack_name)
    }
}
