//! Physical ids: what `Ref` and `Fn::GetAtt` of a resource resolve to once it exists.
//! Resources the emulator holds get theirs from provisioning (`aws::provision`); the ones
//! the local stack plays itself (functions, the WebSocket API and its parts, permissions,
//! roles) get stable local placeholders from [`placeholder`].

use std::collections::BTreeMap;

use super::deployment::Deployment;
use super::document::Resource;

/// `Ref` of a resource is `id`; `Fn::GetAtt Resource.Name` is `attributes[Name]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Physical {
    pub id: String,
    pub attributes: BTreeMap<String, String>,
}

/// Logical id → physical id, for every resource that exists.
pub type PhysicalIds = BTreeMap<String, Physical>;

impl Physical {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            attributes: BTreeMap::new(),
        }
    }

    pub fn with(mut self, attribute: &str, value: impl Into<String>) -> Self {
        self.attributes.insert(attribute.to_owned(), value.into());
        self
    }
}

/// The physical id of a resource the emulator does not hold, shaped like the real one so
/// that anything built from it (ARNs in environment variables, issuer URLs) looks right.
pub fn placeholder(resource: &Resource, deployment: &Deployment) -> Physical {
    let Deployment {
        region,
        account_id,
        partition,
        ..
    } = deployment;
    let logical_id = &resource.logical_id;
    match resource.kind.as_str() {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
            let name = deployment.physical_name(logical_id);
            let arn = format!("arn:{partition}:lambda:{region}:{account_id}:function:{name}");
            Physical::new(name).with("Arn", arn)
        }
        "AWS::ApiGatewayV2::Api" => {
            let api_id = local_api_id(logical_id);
            let endpoint = format!("wss://{api_id}.execute-api.{region}.amazonaws.com");
            Physical::new(api_id.clone())
                .with("ApiId", api_id)
                .with("ApiEndpoint", endpoint)
        }
        "AWS::CloudFront::Distribution" => {
            // With WebHosting on, the files bucket's CORS rule names the distribution's origin.
            let id = local_api_id(logical_id);
            let domain = format!("{id}.cloudfront.net");
            Physical::new(id.clone())
                .with("Id", id)
                .with("DomainName", domain)
        }
        "AWS::IAM::Role" => {
            let name = deployment.physical_name(logical_id);
            let arn = format!("arn:{partition}:iam::{account_id}:role/{name}");
            Physical::new(name.clone())
                .with("Arn", arn)
                .with("RoleId", name)
        }
        kind => {
            // AWS::Service::Type → arn:aws:service:region:account:type/id: not any real
            // service's format, but unique and recognisably an ARN.
            let mut parts = kind.split("::").skip(1);
            let service = parts.next().unwrap_or("local").to_lowercase();
            let kind_name = parts.next().unwrap_or("resource").to_lowercase();
            let id = logical_id.to_lowercase();
            let arn = format!("arn:{partition}:{service}:{region}:{account_id}:{kind_name}/{id}");
            Physical::new(id).with("Arn", arn)
        }
    }
}

/// API Gateway (and CloudFront) ids are short alphanumerics; locally the logical id,
/// lowercased, stands in (e.g. `websocketapi`), which keeps logs readable.
fn local_api_id(logical_id: &str) -> String {
    logical_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
