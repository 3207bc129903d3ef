//! The security headers of Parley Web, as the template's response headers policy
//! (`AWS::CloudFront::ResponseHeadersPolicy`, `WebHeadersPolicy`) gives them to the hosted
//! app, for the local stack's web server (`crate::web`): the app then runs locally, and in
//! the browser scenarios, under the Content-Security-Policy it gets when deployed, and a page
//! that the policy would break fails here first.
//!
//! The policy is read whatever `WebHosting` says (locally it is off: nothing is hosted), with
//! these departures:
//!
//! - every source of the Content-Security-Policy on an `amazonaws.com` host is replaced by the
//!   local endpoint that plays that service: a `wss:` source (the WebSocket API) by the
//!   gateway's origin (`ws://127.0.0.1:{port}`), any other (Cognito, the files bucket) by the
//!   AWS proxy, which serves all of moto; a source that two replacements make equal is kept
//!   once;
//! - `Strict-Transport-Security` is not sent: browsers ignore it over plain HTTP (RFC 6797,
//!   8.1), and if a TLS proxy were ever put in front of the local stack it would pin
//!   `localhost` to HTTPS for every other local project;
//! - a security header the local stack does not know is an error, not a silent omission: the
//!   local page would otherwise run under a weaker policy than the deployed one.

use serde_json::Value as Json;

use super::error::TemplateError;
use super::resolve::Resolver;

const POLICY: &str = "AWS::CloudFront::ResponseHeadersPolicy";

/// Where the local stack plays the AWS endpoints the policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEndpoints {
    /// The gateway's origin, e.g. `ws://127.0.0.1:8790`.
    pub websocket: String,
    /// The AWS proxy, e.g. `http://127.0.0.1:8791`.
    pub aws: String,
}

/// The headers (name, value) of the template's first response headers policy, made local;
/// none when the template has no such policy.
pub fn security_headers(
    resolver: &Resolver,
    local: &LocalEndpoints,
) -> Result<Vec<(String, String)>, TemplateError> {
    let Some(policy) = resolver.template().resources_of_kind(POLICY).next() else {
        return Ok(Vec::new());
    };
    let context = |e: TemplateError| e.context(format!("resource {}", policy.logical_id));
    let properties = resolver.properties(policy).map_err(context)?;
    let config = &properties["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    let Some(config) = config.as_object() else {
        return Ok(Vec::new());
    };
    let text = |value: &Json, path: &str| -> Result<String, TemplateError> {
        value
            .pointer(path)
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| context(TemplateError::invalid(format!("no string at {path}"))))
    };
    let mut headers = Vec::new();
    for (key, value) in config {
        match key.as_str() {
            "ContentSecurityPolicy" => headers.push((
                "content-security-policy".to_owned(),
                localize(&text(value, "/ContentSecurityPolicy")?, local),
            )),
            "ContentTypeOptions" => {
                headers.push(("x-content-type-options".to_owned(), "nosniff".to_owned()))
            }
            "FrameOptions" => {
                headers.push(("x-frame-options".to_owned(), text(value, "/FrameOption")?))
            }
            "ReferrerPolicy" => headers.push((
                "referrer-policy".to_owned(),
                text(value, "/ReferrerPolicy")?,
            )),
            "StrictTransportSecurity" => {}
            other => {
                return Err(context(TemplateError::invalid(format!(
                    "the local stack cannot send the security header {other}"
                ))))
            }
        }
    }
    Ok(headers)
}

/// `policy` with its AWS sources replaced by `local`'s, as the module documentation says.
pub fn localize(policy: &str, local: &LocalEndpoints) -> String {
    policy
        .split(';')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .map(|directive| {
            let mut sources: Vec<&str> = Vec::new();
            for source in directive.split_whitespace() {
                let source = match aws_scheme(source) {
                    Some("wss") => local.websocket.as_str(),
                    Some(_) => local.aws.as_str(),
                    None => source,
                };
                if !sources.contains(&source) {
                    sources.push(source);
                }
            }
            sources.join(" ")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The scheme of a source on an `amazonaws.com` host (`wss://x.execute-api.….amazonaws.com`).
fn aws_scheme(source: &str) -> Option<&str> {
    let (scheme, rest) = source.split_once("://")?;
    let host = rest.split(['/', ':']).next()?;
    host.ends_with(".amazonaws.com").then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{record_placeholders, Deployment, Template};
    use std::collections::BTreeMap;

    fn local() -> LocalEndpoints {
        LocalEndpoints {
            websocket: "ws://127.0.0.1:8790".into(),
            aws: "http://127.0.0.1:8791".into(),
        }
    }

    fn headers_of(template: &Template) -> Result<Vec<(String, String)>, TemplateError> {
        let mut resolver = Resolver::new(
            template,
            Deployment::local(template, "eu-west-1", &BTreeMap::new()),
        )?;
        record_placeholders(&mut resolver, |_| false)?;
        security_headers(&resolver, &local())
    }

    #[test]
    fn aws_sources_become_the_local_endpoints_and_the_rest_stays() {
        let deployed =
            "default-src 'self'; img-src 'self' data: https://b.s3.eu-west-1.amazonaws.com; \
             connect-src 'self' wss://abc.execute-api.eu-west-1.amazonaws.com \
             https://cognito-idp.eu-west-1.amazonaws.com https://b.s3.eu-west-1.amazonaws.com/c/; \
             frame-ancestors 'none';";
        assert_eq!(
            localize(deployed, &local()),
            "default-src 'self'; img-src 'self' data: http://127.0.0.1:8791; \
             connect-src 'self' ws://127.0.0.1:8790 http://127.0.0.1:8791; frame-ancestors 'none'"
        );
        // Hosts that only look like AWS's stay as written.
        assert_eq!(
            localize(
                "connect-src https://amazonaws.com.example https://example.com",
                &local()
            ),
            "connect-src https://amazonaws.com.example https://example.com"
        );
    }

    #[test]
    fn the_real_templates_policy_is_served_locally_without_hsts() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let headers: BTreeMap<String, String> = headers_of(&Template::load(&path).unwrap())
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(
            headers.keys().collect::<Vec<_>>(),
            [
                "content-security-policy",
                "referrer-policy",
                "x-content-type-options",
                "x-frame-options"
            ]
        );
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        let csp = &headers["content-security-policy"];
        assert!(!csp.contains("amazonaws.com"), "{csp}");
        let directive = |name: &str| {
            csp.split("; ")
                .find(|d| d.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} in {csp}"))
                .to_owned()
        };
        assert_eq!(
            directive("connect-src"),
            "connect-src 'self' ws://127.0.0.1:8790 http://127.0.0.1:8791"
        );
        assert_eq!(
            directive("script-src"),
            "script-src 'self' 'wasm-unsafe-eval'"
        );
        assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'");
        assert_eq!(directive("object-src"), "object-src 'none'");
    }

    #[test]
    fn a_header_the_local_stack_cannot_send_is_an_error_and_no_policy_means_no_headers() {
        let yaml = "Resources:\n  Headers:\n    Type: AWS::CloudFront::ResponseHeadersPolicy\n    \
             Properties:\n      ResponseHeadersPolicyConfig:\n        Name: h\n        \
             SecurityHeadersConfig:\n          XSSProtection: {Protection: true, Override: true}\n";
        let error = headers_of(&Template::parse(yaml).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("Headers") && error.contains("XSSProtection"),
            "{error}"
        );
        let none = "Resources:\n  Topic: {Type: AWS::SNS::Topic}\n";
        assert_eq!(headers_of(&Template::parse(none).unwrap()).unwrap(), []);
    }
}
