//! Reading infra/template.yaml.
