//! Reading `infra/template.yaml` and resolving it into the [`StackSpec`] the local stack
//! serves. The flow:
//!
//! 1. [`Template::load`] parses the SAM template (short-form tags become long-form intrinsics);
//! 2. [`Resolver::new`] with [`Deployment::local`] fixes parameters, conditions and
//!    pseudo-parameters;
//! 3. [`record_placeholders`] gives the resources the local stack plays itself a physical id,
//!    and `aws::provision` records the ids of what it creates in moto;
//! 4. [`stack_spec`] resolves the functions and the WebSocket API against all of that, with
//!    the local overrides of [`local`] applied.

mod deployment;
mod document;
mod error;
mod functions;
pub mod headers;
pub mod local;
mod order;
mod physical;
pub mod policy_checks;
mod resolve;
mod websocket;

#[cfg(test)]
mod tests;

pub use deployment::Deployment;
pub use document::{references, Parameter, Resource, Template};
pub use error::TemplateError;
pub use functions::FUNCTION_KIND;
pub use local::{LocalStack, LOCAL_WEB_ORIGINS};
pub use order::dependency_order;
pub use physical::{placeholder, Physical, PhysicalIds};
pub use resolve::Resolver;

use crate::stack_spec::StackSpec;

/// Records a [`placeholder`] physical id for every existing resource `is_emulated` rejects,
/// so that references to functions, the API and its parts resolve.
pub fn record_placeholders(
    resolver: &mut Resolver,
    is_emulated: impl Fn(&Resource) -> bool,
) -> Result<(), TemplateError> {
    let template = resolver.template();
    for resource in template.resources() {
        if !is_emulated(resource) && resolver.exists(resource)? {
            let physical = placeholder(resource, resolver.deployment());
            resolver.record(&resource.logical_id, physical);
        }
    }
    Ok(())
}

/// The functions and the WebSocket API, resolved to local values. Every resource they refer
/// to must have a physical id in `resolver` by now.
pub fn stack_spec(resolver: &Resolver, local: &LocalStack) -> Result<StackSpec, TemplateError> {
    let websocket = websocket::websocket_api(resolver)?;
    let functions = functions::function_specs(resolver, local, &websocket.stage)?;
    for route in &websocket.routes {
        let named =
            std::iter::once(&route.function).chain(route.authorizer.as_ref().map(|a| &a.function));
        for function in named {
            if !functions.iter().any(|f| &f.name == function) {
                return Err(TemplateError::invalid(format!(
                    "route {}: function {function} does not exist in this deployment",
                    route.key
                )));
            }
        }
    }
    Ok(StackSpec {
        functions,
        websocket,
    })
}
