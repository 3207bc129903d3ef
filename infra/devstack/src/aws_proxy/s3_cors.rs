//! S3's CORS evaluation for browsers' requests to buckets, which moto does not do: moto
//! answers every cross-origin request with `Access-Control-Allow-Origin` set to whatever
//! origin asked, whatever the bucket's CORS configuration says (or when it has none). A web
//! client that works locally would then fail deployed; this module makes the local stack
//! answer as S3 does, from the bucket's CORS configuration as provisioned (read back from
//! moto with GetBucketCors for each cross-origin request, so a configuration changed at run
//! time counts at once).
//!
//! Only requests with an `Origin` header to a path-style bucket address are evaluated (the
//! functions' SDK requests carry no `Origin`, so they pass untouched, as do Cognito's and
//! moto's own paths):
//!
//! - a preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here, never
//!   forwarded: 200 with the first matching rule's headers, or 403 `CORSResponse: …`;
//! - any other request is forwarded; moto's `Access-Control-*` headers are removed from the
//!   answer and the matching rule's put in, when one matches (S3 still serves the request
//!   when none does: the browser is what withholds the answer from the page).
//!
//! A rule matches when one of its `AllowedOrigin`s matches the origin (exactly, or with its
//! one `*` standing for any text), the method (the preflight's requested one) is one of its
//! `AllowedMethod`s, and, for a preflight, every requested header matches one of its
//! `AllowedHeader`s (case-insensitively, `*` as for origins). The first matching rule wins.

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;

/// One rule of a bucket's CORS configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsRule {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<u32>,
}

/// A browser's request as CORS sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRequest<'a> {
    pub origin: &'a str,
    /// The request's method, or for a preflight the one it asks about.
    pub method: &'a str,
    /// A preflight's `Access-Control-Request-Headers` (empty for other requests).
    pub headers: Vec<String>,
}

/// What S3 says to an origin on a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'r> {
    Allowed(&'r CorsRule),
    /// The bucket has rules, none matches.
    NotAllowed,
    /// The bucket has no CORS configuration.
    NotEnabled,
}

/// The first rule of `rules` (`None`: no configuration) that allows `request`.
pub fn evaluate<'r>(rules: Option<&'r [CorsRule]>, request: &CorsRequest) -> Verdict<'r> {
    let Some(rules) = rules else {
        return Verdict::NotEnabled;
    };
    rules
        .iter()
        .find(|rule| rule_allows(rule, request))
        .map_or(Verdict::NotAllowed, Verdict::Allowed)
}

fn rule_allows(rule: &CorsRule, request: &CorsRequest) -> bool {
    rule.allowed_origins
        .iter()
        .any(|allowed| wildcard_match(allowed, request.origin))
        && rule.allowed_methods.iter().any(|m| m == request.method)
        && request.headers.iter().all(|header| {
            rule.allowed_headers.iter().any(|allowed| {
                wildcard_match(&allowed.to_ascii_lowercase(), &header.to_ascii_lowercase())
            })
        })
}

/// `pattern` with at most one `*`, which stands for any text (S3 allows one per value).
fn wildcard_match(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len()
                && value.starts_with(prefix)
                && value.ends_with(suffix)
        }
    }
}

/// The bucket a request addresses, path-style (`/<bucket>/<key>`), if its first segment is
/// a valid bucket name; moto's own API (`/moto-api/…`) is not a bucket.
fn addressed_bucket(path: &str) -> Option<&str> {
    let first = path.trim_start_matches('/').split(['/', '?']).next()?;
    let valid = (3..=63).contains(&first.len())
        && first
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && first.starts_with(|c: char| c.is_ascii_alphanumeric())
        && first.ends_with(|c: char| c.is_ascii_alphanumeric());
    (valid && first != "moto-api").then_some(first)
}

/// Reads buckets' CORS configurations from moto.
pub(crate) struct BucketCors {
    moto: String,
    http: reqwest::Client,
}

/// A bucket's CORS configuration as moto holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Configuration {
    NoSuchBucket,
    Rules(Option<Vec<CorsRule>>),
}

impl BucketCors {
    /// `moto` is moto's origin, e.g. `http://127.0.0.1:40123`.
    pub(crate) fn new(moto: String) -> Self {
        Self {
            moto,
            http: reqwest::Client::new(),
        }
    }

    /// GetBucketCors, straight to moto (not counted as a function's call).
    async fn configuration(&self, bucket: &str) -> Result<Configuration, String> {
        let response = self
            .http
            .get(format!("{}/{bucket}?cors", self.moto))
            // moto routes an unsigned request by its credential scope: name S3. It checks
            // no signature.
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=devstack/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            )
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.map_err(|e| e.to_string())?;
        match status {
            StatusCode::OK => Ok(Configuration::Rules(Some(parse_cors_configuration(&body)))),
            StatusCode::NOT_FOUND if body.contains("NoSuchCORSConfiguration") => {
                Ok(Configuration::Rules(None))
            }
            StatusCode::NOT_FOUND => Ok(Configuration::NoSuchBucket),
            other => Err(format!("GetBucketCors answered {other}: {body}")),
        }
    }
}

/// Runs `forward` for `request`, with S3's CORS evaluation around it when the request is a
/// browser's request to a bucket (see the module documentation).
pub(crate) async fn around<F, Fut>(cors: Arc<BucketCors>, request: Request, forward: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let origin = header_text(request.headers(), "origin");
    let bucket = addressed_bucket(request.uri().path()).map(str::to_owned);
    let (Some(origin), Some(bucket)) = (origin, bucket) else {
        return forward(request).await;
    };
    let configuration = match cors.configuration(&bucket).await {
        Ok(Configuration::Rules(rules)) => rules,
        // Not a bucket: whatever moto says.
        Ok(Configuration::NoSuchBucket) => return forward(request).await,
        Err(error) => {
            tracing::warn!(%bucket, %error, "S3 CORS: cannot read the bucket's CORS configuration");
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "the local stack could not read the bucket's CORS configuration",
            );
        }
    };
    if request.method() == Method::OPTIONS {
        let headers = request.headers();
        let Some(method) = header_text(headers, "access-control-request-method") else {
            return s3_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Invalid Access-Control-Request-Method: null",
            );
        };
        let requested_headers: Vec<String> = header_text(headers, "access-control-request-headers")
            .map(|list| {
                list.split(',')
                    .map(|h| h.trim().to_owned())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let cors_request = CorsRequest {
            origin: &origin,
            method: &method,
            headers: requested_headers.clone(),
        };
        return match evaluate(configuration.as_deref(), &cors_request) {
            Verdict::Allowed(rule) => {
                let mut response = Response::new(Body::empty());
                add_rule_headers(response.headers_mut(), rule, &origin);
                if !requested_headers.is_empty() {
                    insert(
                        response.headers_mut(),
                        "access-control-allow-headers",
                        &requested_headers.join(", "),
                    );
                }
                response
            }
            Verdict::NotAllowed => s3_error(
                StatusCode::FORBIDDEN,
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
            ),
            Verdict::NotEnabled => s3_error(
                StatusCode::FORBIDDEN,
                "AccessForbidden",
                "CORSResponse: CORS is not enabled for this bucket.",
            ),
        };
    }

    let method = request.method().as_str().to_owned();
    let mut response = forward(request).await;
    let headers = response.headers_mut();
    let moto_cors: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in moto_cors {
        headers.remove(name);
    }
    let cors_request = CorsRequest {
        origin: &origin,
        method: &method,
        headers: Vec::new(),
    };
    if let Verdict::Allowed(rule) = evaluate(configuration.as_deref(), &cors_request) {
        add_rule_headers(headers, rule, &origin);
    }
    response
}

/// The headers S3 puts on an allowed cross-origin answer.
fn add_rule_headers(headers: &mut HeaderMap, rule: &CorsRule, origin: &str) {
    let any_origin = rule.allowed_origins.iter().any(|o| o == "*");
    insert(
        headers,
        "access-control-allow-origin",
        if any_origin { "*" } else { origin },
    );
    insert(
        headers,
        "access-control-allow-methods",
        &rule.allowed_methods.join(", "),
    );
    if !rule.expose_headers.is_empty() {
        insert(
            headers,
            "access-control-expose-headers",
            &rule.expose_headers.join(", "),
        );
    }
    if let Some(seconds) = rule.max_age_seconds {
        insert(headers, "access-control-max-age", &seconds.to_string());
    }
    if !any_origin {
        insert(headers, "access-control-allow-credentials", "true");
    }
    insert(
        headers,
        "vary",
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    );
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// S3's XML error document.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message></Error>",
        xml_escape(message)
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    insert(response.headers_mut(), "content-type", "application/xml");
    response
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}

/// GetBucketCors's `<CORSConfiguration>` document → its rules.
fn parse_cors_configuration(xml: &str) -> Vec<CorsRule> {
    elements(xml, "CORSRule")
        .into_iter()
        .map(|rule| CorsRule {
            allowed_origins: texts(rule, "AllowedOrigin"),
            allowed_methods: texts(rule, "AllowedMethod"),
            allowed_headers: texts(rule, "AllowedHeader"),
            expose_headers: texts(rule, "ExposeHeader"),
            max_age_seconds: texts(rule, "MaxAgeSeconds")
                .first()
                .and_then(|s| s.parse().ok()),
        })
        .collect()
}

/// The contents of every `<tag>…</tag>` (or `<tag attr…>…</tag>`) in `xml`, in order.
fn elements<'x>(xml: &'x str, tag: &str) -> Vec<&'x str> {
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&format!("<{tag}")) {
        let after_name = &rest[start + tag.len() + 1..];
        // `<CORSRules>` is not `<CORSRule>`.
        if !after_name.starts_with(['>', ' ']) {
            rest = after_name;
            continue;
        }
        let Some(open_end) = after_name.find('>') else {
            break;
        };
        let content = &after_name[open_end + 1..];
        let Some(end) = content.find(&close) else {
            break;
        };
        found.push(&content[..end]);
        rest = &content[end + close.len()..];
    }
    found
}

fn texts(xml: &str, tag: &str) -> Vec<String> {
    elements(xml, tag)
        .into_iter()
        .map(|text| {
            text.trim()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template's rule with the local origins.
    fn files_rule() -> CorsRule {
        CorsRule {
            allowed_origins: vec![
                "http://localhost:5173".into(),
                "http://127.0.0.1:5173".into(),
            ],
            allowed_methods: vec!["PUT".into(), "GET".into(), "HEAD".into()],
            allowed_headers: vec!["content-type".into()],
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(600),
        }
    }

    fn request<'a>(origin: &'a str, method: &'a str, headers: &[&str]) -> CorsRequest<'a> {
        CorsRequest {
            origin,
            method,
            headers: headers.iter().map(|h| h.to_string()).collect(),
        }
    }

    #[test]
    fn an_allowed_origin_method_and_header_match_the_rule() {
        let rules = [files_rule()];
        for origin in ["http://localhost:5173", "http://127.0.0.1:5173"] {
            assert_eq!(
                evaluate(Some(&rules), &request(origin, "PUT", &["Content-Type"])),
                Verdict::Allowed(&rules[0])
            );
        }
        assert_eq!(
            evaluate(Some(&rules), &request("http://localhost:5173", "GET", &[])),
            Verdict::Allowed(&rules[0])
        );
    }

    #[test]
    fn another_origin_method_or_header_is_not_allowed() {
        let rules = [files_rule()];
        for refused in [
            request("http://evil.example", "PUT", &["content-type"]),
            // Same host, other port or scheme: another origin.
            request("http://localhost:5174", "PUT", &[]),
            request("https://localhost:5173", "PUT", &[]),
            request("http://localhost:5173", "DELETE", &[]),
            request("http://localhost:5173", "POST", &[]),
            request(
                "http://localhost:5173",
                "PUT",
                &["content-type", "x-amz-acl"],
            ),
        ] {
            assert_eq!(
                evaluate(Some(&rules), &refused),
                Verdict::NotAllowed,
                "{refused:?}"
            );
        }
    }

    #[test]
    fn a_bucket_without_configuration_allows_nothing() {
        assert_eq!(
            evaluate(None, &request("http://localhost:5173", "GET", &[])),
            Verdict::NotEnabled
        );
        assert_eq!(
            evaluate(Some(&[]), &request("http://localhost:5173", "GET", &[])),
            Verdict::NotAllowed
        );
    }

    #[test]
    fn one_wildcard_stands_for_any_text_and_the_first_matching_rule_wins() {
        let subdomains = CorsRule {
            allowed_origins: vec!["https://*.example.com".into()],
            allowed_methods: vec!["GET".into()],
            allowed_headers: vec!["x-amz-*".into()],
            ..CorsRule::default()
        };
        let anyone = CorsRule {
            allowed_origins: vec!["*".into()],
            allowed_methods: vec!["GET".into()],
            allowed_headers: vec!["*".into()],
            ..CorsRule::default()
        };
        let rules = [subdomains, anyone];
        assert_eq!(
            evaluate(
                Some(&rules),
                &request("https://app.example.com", "GET", &["X-Amz-Date"])
            ),
            Verdict::Allowed(&rules[0])
        );
        assert_eq!(
            evaluate(
                Some(&rules),
                &request("https://example.com", "GET", &["x-amz-date"])
            ),
            Verdict::Allowed(&rules[1]),
            "the first rule needs a subdomain"
        );
        assert!(wildcard_match("a*c", "abbc") && wildcard_match("a*c", "ac"));
        assert!(!wildcard_match("ab*bc", "abc"));
    }

    #[test]
    fn only_path_style_bucket_addresses_are_buckets() {
        assert_eq!(
            addressed_bucket("/parley-local-filesbucket/c/x/a.png"),
            Some("parley-local-filesbucket")
        );
        assert_eq!(addressed_bucket("/my.bucket?cors"), Some("my.bucket"));
        assert_eq!(addressed_bucket("/"), None);
        assert_eq!(
            addressed_bucket("/us-east-1_Abc/.well-known/jwks.json"),
            None
        );
        assert_eq!(addressed_bucket("/moto-api/data.json"), None);
        assert_eq!(addressed_bucket("/-bad/x"), None);
    }

    #[test]
    fn get_bucket_cors_documents_are_read_rule_by_rule() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule><ID>presigned</ID>
    <AllowedOrigin>http://localhost:5173</AllowedOrigin><AllowedOrigin>http://127.0.0.1:5173</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
  <CORSRule><AllowedOrigin>https://a.example?x=1&amp;y=2</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
</CORSConfiguration>"#;
        let rules = parse_cors_configuration(xml);
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0], files_rule());
        assert_eq!(rules[1].allowed_origins, ["https://a.example?x=1&y=2"]);
        assert_eq!(rules[1].max_age_seconds, None);
        assert!(rules[1].allowed_headers.is_empty());
    }
}
