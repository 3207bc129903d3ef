//! Why a template could not be read or resolved. Every message names the resource, parameter
//! or condition at fault, because the template is the thing a developer has to go and fix.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    /// The template is readable but says something the local stack cannot serve.
    #[error("{0}")]
    Invalid(String),
}

impl TemplateError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// Prefixes the message with where it happened (e.g. `resource ConnectRoute`), keeping
    /// I/O and YAML errors as they are.
    pub(crate) fn context(self, context: impl std::fmt::Display) -> Self {
        match self {
            Self::Invalid(message) => Self::Invalid(format!("{context}: {message}")),
            other => other,
        }
    }
}
