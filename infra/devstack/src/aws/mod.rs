//! The AWS side of the local stack: moto, the AWS emulator, run from the project's venv
//! ([`Moto`]), SDK clients pointed at it ([`AwsClients`]), and the template's resources
//! created in it ([`provision`]), SNS platform applications included
//! ([`create_platform_applications`]).

mod clients;
mod cognito;
mod dynamodb;
mod moto;
mod props;
mod provision;
mod s3;
mod sns;
mod sns_platforms;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use clients::{sdk_config, AwsClients};
pub use moto::{workspace_venv, Moto, MotoOptions};
pub use provision::{is_emulated, provision, EMULATED_KINDS};
pub use sns_platforms::create_platform_applications;

use crate::template::TemplateError;

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("{} not found: run `make dev` or `make venv` to create .venv with moto[server]", path.display())]
    MotoMissing { path: PathBuf },
    #[error("moto: {0}")]
    Moto(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("creating {kind} {resource} in moto: {message}")]
    Resource {
        resource: String,
        kind: String,
        message: String,
    },
}
