//! `@connections` requests (`POST|GET|DELETE /{stage}/@connections/{id}`) →
//! `execute-api:ManageConnections` on
//! `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/@connections/ID`, as API Gateway
//! authorizes the management API: the method is part of the resource, so a policy that
//! names `…/POST/@connections/*` does not allow a `DELETE`.

use super::{decoded, Access, Request, Scope};

pub fn accesses(request: &Request<'_>, scope: &Scope) -> Result<Vec<Access>, String> {
    let path = decoded(request.path);
    let (stage, id) = path
        .trim_start_matches('/')
        .split_once("/@connections/")
        .ok_or_else(|| format!("{path} is not an @connections path"))?;
    let Scope {
        partition,
        region,
        account,
        api_id,
    } = scope;
    let method = request.method.as_str();
    Ok(vec![Access::new(
        "execute-api:ManageConnections",
        format!("arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/{method}/@connections/{id}"),
    )])
}

#[cfg(test)]
mod tests {
    use super::super::scope;
    use super::*;
    use axum::http::{HeaderMap, Method};

    #[test]
    fn the_method_stage_and_id_make_the_resource() {
        for (method, path) in [
            (Method::POST, "/prod/@connections/abc="),
            (Method::DELETE, "/prod/%40connections/abc%3D"),
        ] {
            let request = Request {
                method: &method,
                path,
                query: None,
                headers: &HeaderMap::new(),
                body: b"",
            };
            assert_eq!(
                accesses(&request, &scope()).unwrap(),
                [Access::new(
                    "execute-api:ManageConnections",
                    format!("arn:aws:execute-api:us-east-1:000000000000:websocketapi/prod/{method}/@connections/abc=")
                )]
            );
        }
    }
}
