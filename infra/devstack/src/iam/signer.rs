//! Who signed a request, for which region and service: the SigV4 credential scope
//! `AKID/DATE/REGION/SERVICE/aws4_request`, read from the `Authorization` header or, for a
//! presigned URL, from its `X-Amz-Credential` query parameter. Signatures are not verified
//! (moto verifies none either): locally the key id is enough to tell functions apart.

use axum::http::HeaderMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub region: String,
    pub service: String,
}

/// The credential a request is signed with, if it is signed.
pub fn credential(headers: &HeaderMap, query: Option<&str>) -> Option<Credential> {
    let from_header = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|authorization| authorization.split("Credential=").nth(1))
        .and_then(|rest| rest.split([',', ' ']).next())
        .map(str::to_owned);
    let from_query = || {
        form_urlencoded::parse(query?.as_bytes())
            .find(|(name, _)| name == "X-Amz-Credential")
            .map(|(_, value)| value.into_owned())
    };
    let scope = from_header.or_else(from_query)?;
    let mut parts = scope.split('/');
    let access_key_id = parts.next().filter(|id| !id.is_empty())?.to_owned();
    let _date = parts.next()?;
    let region = parts.next()?.to_owned();
    let service = parts.next()?.to_owned();
    Some(Credential {
        access_key_id,
        region,
        service,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_the_scope_from_the_header_or_a_presigned_query() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=devstack-MessagesFunction/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        assert_eq!(
            credential(&headers, None),
            Some(Credential {
                access_key_id: "devstack-MessagesFunction".into(),
                region: "us-east-1".into(),
                service: "dynamodb".into(),
            })
        );
        let presigned = "x-id=PutObject&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=devstack-FilesFunction%2F20260101%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=00";
        let signed = credential(&HeaderMap::new(), Some(presigned)).unwrap();
        assert_eq!(
            (
                signed.access_key_id.as_str(),
                signed.region.as_str(),
                signed.service.as_str()
            ),
            ("devstack-FilesFunction", "eu-west-1", "s3")
        );
        assert_eq!(credential(&HeaderMap::new(), Some("list-type=2")), None);
        assert_eq!(credential(&HeaderMap::new(), None), None);
    }
}
