//! Forwarding one request as it came and recording what it was.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};

use super::capacity;
use super::classify::{classify, is_management};
use super::metrics::{Call, Metrics, CLIENT};
use super::Upstreams;
use crate::cognito::LocalCognito;
use crate::faults::{self, aws_fault_response, lost_answer_response, AwsFault, LostAnswer};
use crate::iam::{self, Authorizer, Verdict};

/// S3 uploads pass through too; larger bodies than this are refused.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

pub(crate) struct Proxy {
    upstreams: Upstreams,
    metrics: Arc<Metrics>,
    iam: Arc<Authorizer>,
    http: reqwest::Client,
    /// What Cognito does around the requests moto answers ([`LocalCognito`]).
    cognito: Option<Arc<LocalCognito>>,
}

impl Proxy {
    pub(crate) fn new(
        upstreams: Upstreams,
        metrics: Arc<Metrics>,
        iam: Arc<Authorizer>,
        cognito: Option<Arc<LocalCognito>>,
    ) -> Self {
        let http = reqwest::Client::builder()
            // Redirects are the caller's to follow, as they would be against AWS.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a plain HTTP client builds");
        Self {
            upstreams,
            metrics,
            iam,
            http,
            cognito,
        }
    }
}

pub(crate) async fn handle(proxy: Arc<Proxy>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let operation = classify(&parts.method, &path_and_query, &parts.headers, &body);
    let management = is_management(&path_and_query);
    if let Some(refused) = check_iam(&proxy, &parts, &path_and_query, &body, &operation) {
        return refused;
    }
    let upstream = if management {
        &proxy.upstreams.management
    } else {
        &proxy.upstreams.aws
    };
    // Injected faults: for the functions' requests only (the tests' own setup and checks
    // stay reliable), and not `@connections`, whose faults the gateway injects itself.
    if !management && operation.caller != CLIENT {
        let (latency, fault) =
            faults::global().aws_request(&operation.service, &operation.operation);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(fault) = fault {
            proxy.metrics.record(Call {
                caller: operation.caller,
                service: operation.service.clone(),
                operation: operation.operation,
                status: Some(if fault == AwsFault::ServerError {
                    500
                } else {
                    400
                }),
                capacity: None,
                upstream: std::time::Duration::ZERO,
            });
            return aws_fault_response(fault, &operation.service);
        }
    }

    let cognito = proxy
        .cognito
        .as_ref()
        .zip(LocalCognito::operation(&parts.headers));
    let mut body = body;
    if let Some((cognito, operation)) = &cognito {
        if let Some(answer) = cognito.before(operation, &body).await {
            return crate::cognito::with_cors(answer, parts.headers.get("origin"));
        }
        if let Some(rewritten) = cognito.rewrite(operation, &body) {
            body = rewritten.into();
        }
    }

    let started = Instant::now();
    let forwarded = proxy
        .http
        .request(parts.method.clone(), format!("{upstream}{path_and_query}"))
        .headers(end_to_end(&parts.headers))
        .body(body.clone())
        .send()
        .await;
    let answer = match forwarded {
        Ok(response) => {
            let status = response.status();
            let headers = end_to_end(response.headers());
            response.bytes().await.map(|bytes| (status, headers, bytes))
        }
        Err(error) => Err(error),
    };
    let upstream_time = started.elapsed();

    let (status, headers, response_body) = match answer {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%error, service = %operation.service, operation = %operation.operation, "AWS proxy: upstream failed");
            proxy.metrics.record(Call {
                caller: operation.caller,
                service: operation.service,
                operation: operation.operation,
                status: None,
                capacity: None,
                upstream: upstream_time,
            });
            return (StatusCode::BAD_GATEWAY, error.to_string()).into_response();
        }
    };
    let consumed = (operation.service == "dynamodb")
        .then(|| capacity::consumed(&operation.operation, &body, &response_body))
        .flatten();
    // The indeterminate failure: the request took effect, and its answer is lost.
    let lost = (!management && operation.caller != CLIENT && status.is_success())
        .then(|| faults::global().aws_answer_lost(&operation.service, &operation.operation))
        .flatten();
    if let Some(lost) = lost {
        proxy.metrics.record(Call {
            caller: operation.caller,
            service: operation.service.clone(),
            operation: operation.operation,
            status: Some(match lost {
                LostAnswer::ServerError => 500,
                LostAnswer::Reset => 200,
            }),
            capacity: consumed,
            upstream: upstream_time,
        });
        return lost_answer_response(lost, &operation.service);
    }
    proxy.metrics.record(Call {
        caller: operation.caller,
        service: operation.service,
        operation: operation.operation,
        status: Some(status.as_u16()),
        capacity: consumed,
        upstream: upstream_time,
    });
    let response_body = match &cognito {
        Some((cognito, operation)) if status.is_success() => {
            match cognito.after(operation, &body, &response_body).await {
                Some(Ok(replaced)) => replaced.into(),
                Some(Err(refusal)) => {
                    return crate::cognito::with_cors(refusal, parts.headers.get("origin"))
                }
                None => response_body,
            }
        }
        _ => response_body,
    };
    let mut response = Response::new(Body::from(response_body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Checks the request against its function's role: `Some` answer when it is refused (after
/// logging it and counting it), `None` to carry on.
fn check_iam(
    proxy: &Proxy,
    parts: &axum::http::request::Parts,
    path_and_query: &str,
    body: &[u8],
    operation: &super::Operation,
) -> Option<Response> {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let request = iam::Request {
        method: &parts.method,
        path,
        query,
        headers: &parts.headers,
        body,
    };
    match proxy.iam.check(&request) {
        Verdict::Denied(denial) => {
            tracing::warn!(
                function = %denial.function,
                action = %denial.access.action,
                resource = %denial.access.resource,
                "IAM: access denied: {}",
                denial.message()
            );
            let response = denial.response();
            proxy.metrics.record(Call {
                caller: operation.caller.clone(),
                service: operation.service.clone(),
                operation: operation.operation.clone(),
                status: Some(response.status().as_u16()),
                capacity: None,
                upstream: std::time::Duration::ZERO,
            });
            Some(response)
        }
        Verdict::NotMapped { function, reason } => {
            tracing::warn!(
                %function,
                service = %operation.service,
                operation = %operation.operation,
                %reason,
                "IAM: request not checked (the local stack does not map it to IAM actions)"
            );
            None
        }
        Verdict::Allowed { .. } | Verdict::NotAFunction => None,
    }
}

/// The headers without the hop-by-hop ones (and the length, which the body sets).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    const HOP_BY_HOP: [&str; 8] = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
    ];
    headers
        .iter()
        .filter(|(name, _)| !HOP_BY_HOP.contains(&name.as_str()))
        .map(|(name, value)| (HeaderName::clone(name), value.clone()))
        .collect()
}
