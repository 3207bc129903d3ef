//! The local stack behind `make dev`: the real Lambda binaries driven through an emulated
//! Lambda Runtime API, behind an emulated API Gateway WebSocket API, on moto as the AWS
//! emulator. Everything it serves is read from `infra/template.yaml`, so what deploys is what
//! is tested.
//!
//! - [`template`] reads the SAM template and resolves it into a [`stack::StackSpec`].
//! - [`aws`] runs moto and creates the template's resources in it.
//! - [`lambda`] runs function processes and hands them events, as Lambda does.
//! - [`gateway`] accepts WebSocket clients and routes their frames, as API Gateway does.
//! - [`stackfile`] writes `.devstack/stack.json` for clients and tests.

pub mod aws;
pub mod config;
pub mod gateway;
pub mod lambda;
pub mod run;
pub mod stack;
pub mod stackfile;
pub mod template;
