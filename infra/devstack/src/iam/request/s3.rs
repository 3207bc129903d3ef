//! S3 requests (path-style, `/bucket/key`, as the SDK addresses a custom endpoint) → IAM:
//! object operations on `arn:aws:s3:::bucket/key`, bucket operations on
//! `arn:aws:s3:::bucket`, named by method and subresource (`?acl`, `?tagging`, `?uploadId`,
//! …) as S3's service authorization reference names them. Presigned URLs map the same way
//! (their `X-Amz-*` parameters are not subresources). A copy also reads its source
//! (`x-amz-copy-source`); a multi-object delete (`POST ?delete`) deletes each key it lists.
//! Browser form uploads (`POST` to the bucket) are not mapped.

use axum::http::{HeaderMap, Method};

use super::{decoded, Access, Request, Scope};

pub fn accesses(request: &Request<'_>, scope: &Scope) -> Result<Vec<Access>, String> {
    let path = request.path.trim_start_matches('/');
    let (bucket, key) = match path.split_once('/') {
        Some((bucket, key)) if !key.is_empty() => (decoded(bucket), Some(decoded(key))),
        _ => (decoded(path.trim_end_matches('/')), None),
    };
    let partition = &scope.partition;
    let subresources: Vec<String> = request
        .query
        .map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .map(|(name, _)| name.into_owned())
                .collect()
        })
        .unwrap_or_default();
    let has = |name: &str| subresources.iter().any(|given| given == name);
    let method = request.method;

    if bucket.is_empty() {
        return match *method {
            Method::GET => Ok(vec![Access::new("s3:ListAllMyBuckets", "*")]),
            _ => Err(format!("{method} / is not an S3 operation")),
        };
    }
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    let Some(key) = key else {
        if *method == Method::POST && has("delete") {
            return Ok(deleted_keys(request.body)
                .into_iter()
                .map(|key| Access::new("s3:DeleteObject", format!("{bucket_arn}/{key}")))
                .collect());
        }
        let action = bucket_action(method, &has)
            .ok_or_else(|| format!("{method} on bucket {bucket} is not mapped"))?;
        return Ok(vec![Access::new(action, bucket_arn)]);
    };
    let object_arn = format!("{bucket_arn}/{key}");
    let action = object_action(method, &has)
        .ok_or_else(|| format!("{method} on object {bucket}/{key} is not mapped"))?;
    let mut accesses = vec![Access::new(action, object_arn)];
    if *method == Method::PUT {
        if let Some(source) = copy_source(request.headers, partition) {
            accesses.push(source);
        }
    }
    Ok(accesses)
}

fn object_action(method: &Method, has: &dyn Fn(&str) -> bool) -> Option<&'static str> {
    Some(match *method {
        Method::GET | Method::HEAD => match () {
            _ if has("acl") => "s3:GetObjectAcl",
            _ if has("tagging") => "s3:GetObjectTagging",
            _ if has("uploadId") => "s3:ListMultipartUploadParts",
            _ if has("versionId") => "s3:GetObjectVersion",
            _ => "s3:GetObject",
        },
        Method::PUT => match () {
            _ if has("acl") => "s3:PutObjectAcl",
            _ if has("tagging") => "s3:PutObjectTagging",
            // Parts of a multipart upload are s3:PutObject too.
            _ => "s3:PutObject",
        },
        Method::DELETE => match () {
            _ if has("uploadId") => "s3:AbortMultipartUpload",
            _ if has("tagging") => "s3:DeleteObjectTagging",
            _ if has("versionId") => "s3:DeleteObjectVersion",
            _ => "s3:DeleteObject",
        },
        Method::POST => match () {
            // Starting or completing a multipart upload.
            _ if has("uploads") || has("uploadId") => "s3:PutObject",
            _ if has("restore") => "s3:RestoreObject",
            _ => return None,
        },
        _ => return None,
    })
}

fn bucket_action(method: &Method, has: &dyn Fn(&str) -> bool) -> Option<&'static str> {
    // (subresource, GET action, PUT action, DELETE action)
    const SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
        ("acl", "s3:GetBucketAcl", "s3:PutBucketAcl", ""),
        (
            "cors",
            "s3:GetBucketCORS",
            "s3:PutBucketCORS",
            "s3:PutBucketCORS",
        ),
        (
            "lifecycle",
            "s3:GetLifecycleConfiguration",
            "s3:PutLifecycleConfiguration",
            "s3:PutLifecycleConfiguration",
        ),
        (
            "policy",
            "s3:GetBucketPolicy",
            "s3:PutBucketPolicy",
            "s3:DeleteBucketPolicy",
        ),
        (
            "tagging",
            "s3:GetBucketTagging",
            "s3:PutBucketTagging",
            "s3:PutBucketTagging",
        ),
        (
            "versioning",
            "s3:GetBucketVersioning",
            "s3:PutBucketVersioning",
            "",
        ),
        (
            "encryption",
            "s3:GetEncryptionConfiguration",
            "s3:PutEncryptionConfiguration",
            "s3:PutEncryptionConfiguration",
        ),
        (
            "notification",
            "s3:GetBucketNotification",
            "s3:PutBucketNotification",
            "",
        ),
        (
            "publicAccessBlock",
            "s3:GetBucketPublicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
        ),
        (
            "ownershipControls",
            "s3:GetBucketOwnershipControls",
            "s3:PutBucketOwnershipControls",
            "s3:PutBucketOwnershipControls",
        ),
        ("location", "s3:GetBucketLocation", "", ""),
        ("versions", "s3:ListBucketVersions", "", ""),
        ("uploads", "s3:ListBucketMultipartUploads", "", ""),
    ];
    if let Some((_, get, put, delete)) = SUBRESOURCES.iter().find(|(name, ..)| has(name)) {
        let action = match *method {
            Method::GET | Method::HEAD => *get,
            Method::PUT => *put,
            Method::DELETE => *delete,
            _ => "",
        };
        return (!action.is_empty()).then_some(action);
    }
    match *method {
        Method::GET | Method::HEAD => Some("s3:ListBucket"),
        Method::PUT => Some("s3:CreateBucket"),
        Method::DELETE => Some("s3:DeleteBucket"),
        _ => None,
    }
}

/// `x-amz-copy-source: /bucket/key[?versionId=…]` → reading the source object.
fn copy_source(headers: &HeaderMap, partition: &str) -> Option<Access> {
    let source = headers.get("x-amz-copy-source")?.to_str().ok()?;
    let (path, version) = match source.split_once('?') {
        Some((path, query)) => (path, query.contains("versionId=")),
        None => (source, false),
    };
    let path = decoded(path.trim_start_matches('/'));
    let action = if version {
        "s3:GetObjectVersion"
    } else {
        "s3:GetObject"
    };
    Some(Access::new(action, format!("arn:{partition}:s3:::{path}")))
}

/// The `<Key>` elements of a multi-object delete's XML body.
fn deleted_keys(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    text.split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key))
        .map(|key| {
            key.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::scope;
    use super::*;
    use axum::http::HeaderValue;

    fn map(
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Vec<(String, String)> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let request = Request {
            method: &method,
            path,
            query,
            headers,
            body,
        };
        accesses(&request, &scope())
            .unwrap_or_else(|e| panic!("{method} {path_and_query}: {e}"))
            .into_iter()
            .map(|a| (a.action, a.resource))
            .collect()
    }

    fn one(method: Method, path_and_query: &str) -> (String, String) {
        let mut got = map(method, path_and_query, &HeaderMap::new(), b"");
        assert_eq!(got.len(), 1, "{got:?}");
        got.remove(0)
    }

    fn pair(action: &str, resource: &str) -> (String, String) {
        (action.to_owned(), resource.to_owned())
    }

    #[test]
    fn object_operations_name_the_decoded_key() {
        assert_eq!(
            one(Method::PUT, "/files/c/d%3Aa%3Ab/x%20y.png?x-id=PutObject"),
            pair("s3:PutObject", "arn:aws:s3:::files/c/d:a:b/x y.png")
        );
        let presigned = "/files/c/k?x-id=GetObject&response-content-disposition=attachment&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=devstack-FilesFunction%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00";
        assert_eq!(
            one(Method::GET, presigned),
            pair("s3:GetObject", "arn:aws:s3:::files/c/k")
        );
        assert_eq!(one(Method::HEAD, "/files/k").0, "s3:GetObject");
        assert_eq!(one(Method::DELETE, "/files/k").0, "s3:DeleteObject");
        assert_eq!(
            one(Method::GET, "/files/k?versionId=3").0,
            "s3:GetObjectVersion"
        );
        assert_eq!(
            one(Method::PUT, "/files/k?tagging").0,
            "s3:PutObjectTagging"
        );
        assert_eq!(
            one(Method::PUT, "/files/k?partNumber=2&uploadId=u").0,
            "s3:PutObject"
        );
        assert_eq!(
            one(Method::DELETE, "/files/k?uploadId=u").0,
            "s3:AbortMultipartUpload"
        );
        assert_eq!(one(Method::POST, "/files/k?uploads").0, "s3:PutObject");
    }

    #[test]
    fn bucket_operations_name_the_bucket() {
        assert_eq!(
            one(Method::GET, "/files?list-type=2&prefix=c%2F"),
            pair("s3:ListBucket", "arn:aws:s3:::files")
        );
        assert_eq!(one(Method::HEAD, "/files").0, "s3:ListBucket");
        assert_eq!(
            one(Method::GET, "/files/?location").0,
            "s3:GetBucketLocation"
        );
        assert_eq!(one(Method::PUT, "/files?cors").0, "s3:PutBucketCORS");
        assert_eq!(one(Method::DELETE, "/files?cors").0, "s3:PutBucketCORS");
        assert_eq!(one(Method::PUT, "/files").0, "s3:CreateBucket");
        assert_eq!(one(Method::GET, "/"), pair("s3:ListAllMyBuckets", "*"));
    }

    #[test]
    fn copies_read_their_source_and_batch_deletes_delete_each_key() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-copy-source",
            HeaderValue::from_static("/other/a%20b"),
        );
        assert_eq!(
            map(Method::PUT, "/files/k", &headers, b""),
            [
                pair("s3:PutObject", "arn:aws:s3:::files/k"),
                pair("s3:GetObject", "arn:aws:s3:::other/a b")
            ]
        );
        let body =
            b"<Delete><Object><Key>c/a&amp;b</Key></Object><Object><Key>d</Key></Object></Delete>";
        assert_eq!(
            map(Method::POST, "/files?delete", &HeaderMap::new(), body),
            [
                pair("s3:DeleteObject", "arn:aws:s3:::files/c/a&b"),
                pair("s3:DeleteObject", "arn:aws:s3:::files/d")
            ]
        );
    }

    #[test]
    fn what_is_not_mapped_says_so() {
        let request = Request {
            method: &Method::POST,
            path: "/files",
            query: None,
            headers: &HeaderMap::new(),
            body: b"",
        };
        let error = accesses(&request, &scope()).unwrap_err();
        assert!(error.contains("POST on bucket files"), "{error}");
    }
}
