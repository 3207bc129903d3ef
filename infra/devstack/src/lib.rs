//! The local stack behind `make dev`: the real Lambda binaries driven through an emulated
//! Lambda Runtime API, behind an emulated API Gateway WebSocket API, on moto as the AWS
//! emulator. Everything it serves is read from `infra/template.yaml`, so what deploys is what
//! is tested.
//!
//! - [`lifecycle`] starts everything below in order and stops it in reverse.
//! - [`template`] reads the SAM template and resolves it into a [`stack_spec::StackSpec`]:
//!   what the stack serves, as local values.
//! - [`aws`] runs moto and creates the template's resources in it.
//! - [`aws_proxy`] stands between the functions and the emulators and counts requests
//!   ([`aws_proxy::metrics`]); [`control`] serves the counters.
//! - [`iam`] checks each function's requests against its role in the template, for the
//!   proxy.
//! - [`lambda`] runs function processes and hands them events, as Lambda does.
//! - [`gateway`] accepts WebSocket clients and routes their frames, as API Gateway does.
//! - [`streams`] polls DynamoDB streams into functions, as Lambda's event source mappings do.
//! - [`cognito`] does what moto's Cognito does not: verification codes in a local outbox,
//!   checked on confirmation, and the PostConfirmation trigger.
//! - [`faults`] injects AWS's failures at chosen rates, off by default.
//! - [`stack_json`] writes `.devstack/stack.json` for clients and tests.
//! - [`web`] serves the built web app and, as `/config.json`, the stack's description.

pub mod aws;
pub mod aws_proxy;
pub mod cognito;
pub mod config;
pub mod control;
pub mod faults;
pub mod gateway;
pub mod iam;
pub mod lambda;
pub mod lifecycle;
mod serving;
pub mod stack_json;
pub mod stack_spec;
pub mod streams;
pub mod template;
pub mod web;
