//! The local stack's IAM check: every AWS request a function makes (DynamoDB and its
//! streams, S3, presigned S3 URLs the function signed, SNS, Cognito, `@connections`) is
//! checked against that function's own role as the template declares it, so that a call
//! the deployed role would refuse fails locally too, with the error AWS gives.
//!
//! - [`roles`] reads each function's role from the template (with [`sam_templates`] and
//!   [`managed`] for what SAM expands and adds), resolved as deployed;
//! - [`signer`] finds the function that signed a request by its access key id;
//! - [`request`] maps the request to IAM actions and resource ARNs;
//! - [`policy`] and [`pattern`] decide as IAM does (explicit deny, allow, implicit deny;
//!   `*`/`?` wildcards);
//! - [`denial`] answers a refusal in the service's protocol;
//! - [`authorizer`] ties them together for the AWS proxy.
//!
//! Not evaluated: conditions, permission boundaries, SCPs, session policies, resource-based
//! policies (bucket policies, KMS key policies), and policy variables.

mod authorizer;
mod denial;
mod managed;
mod pattern;
mod policy;
mod request;
mod roles;
mod sam_templates;
mod signer;

#[cfg(test)]
mod tests;

pub use authorizer::{Authorizer, Verdict};
pub use denial::Denial;
pub use policy::{Decision, Policy};
pub use request::{Access, Request, Scope};
pub use roles::{function_roles, Role};
