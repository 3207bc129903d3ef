//! Presigned S3 requests, signed with this function's own credentials (its role may put and
//! get objects under `c/` only).
//!
//! Uploads are presigned PUTs that sign the exact `content-length` and `content-type`: S3
//! refuses the upload if the client sends another length or type, so a reservation of 1 KiB
//! cannot carry 1 GiB. (A presigned POST with a `content-length-range` policy would allow a
//! range; aws-sdk-s3 has no POST presigner, and the Rust crates that sign POST policies bring
//! a second S3 client or are unmaintained, while the exact length here is stricter anyway.)
//! Downloads are presigned GETs that make S3 answer `Content-Disposition: attachment`, so a
//! browser saves the file rather than rendering it.

use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use parley_core::Error;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// How long a presigned request stays valid.
pub const EXPIRES_IN: Duration = Duration::from_secs(300);

/// An S3 client for presigning. Against a custom endpoint (the local stack's emulator on
/// 127.0.0.1) objects are addressed by path, since no bucket subdomain resolves there.
pub fn s3_client(aws: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let mut config = aws_sdk_s3::config::Builder::from(aws);
    if aws.endpoint_url().is_some() {
        config = config.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(config.build())
}

/// A request the client makes itself, exactly as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub url: String,
    pub method: String,
    /// Headers the client must send with it (signed).
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Presigner {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl Presigner {
    pub fn new(s3: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { s3, bucket }
    }

    /// A PUT of exactly `size` bytes of `content_type` to `key`, valid from `now`. With
    /// `expire_days` (a conversation under a disappearing-messages timer), the object is
    /// tagged `parley-ttl=<days>` by a signed `x-amz-tagging` header, which the bucket's
    /// lifecycle rule of that tag expires ([`expiry_tag`]).
    pub async fn upload(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expire_days: Option<u32>,
        now: SystemTime,
    ) -> Result<Presigned, Error> {
        let size = i64::try_from(size).map_err(Error::internal)?;
        let request = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(size)
            .set_tagging(expire_days.map(expiry_tag))
            .presigned(config(now)?)
            .await
            .map_err(Error::aws)?;
        Ok(presigned(request))
    }

    /// A GET of `key` that S3 answers as an attachment named `file_name`, valid from `now`.
    pub async fn download(
        &self,
        key: &str,
        file_name: &str,
        now: SystemTime,
    ) -> Result<Presigned, Error> {
        let request = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            // `file_name` is key-safe ([A-Za-z0-9._-]): nothing to quote or escape.
            .response_content_disposition(format!("attachment; filename=\"{file_name}\""))
            .presigned(config(now)?)
            .await
            .map_err(Error::aws)?;
        Ok(presigned(request))
    }
}

/// The tag an object expiring after `days` is stored with: the template's lifecycle rules
/// `expire-ttl-1` and `expire-ttl-7` expire objects tagged so (the 30-day rule covers the
/// rest).
pub fn expiry_tag(days: u32) -> String {
    format!("parley-ttl={days}")
}

/// The days after which an attachment sent under a disappearing-messages timer of
/// `seconds` is to expire: the shortest lifecycle rule at least as long as the timer (1 or
/// 7 days); none when the 30-day retention comes first anyway.
pub fn expire_days(seconds: u64) -> Option<u32> {
    const DAY: u64 = 24 * 60 * 60;
    match seconds {
        0 => None,
        s if s <= DAY => Some(1),
        s if s <= 7 * DAY => Some(7),
        _ => None,
    }
}

fn config(now: SystemTime) -> Result<PresigningConfig, Error> {
    PresigningConfig::builder()
        .start_time(now)
        .expires_in(EXPIRES_IN)
        .build()
        .map_err(Error::internal)
}

fn presigned(request: PresignedRequest) -> Presigned {
    Presigned {
        url: request.uri().to_owned(),
        method: request.method().to_owned(),
        headers: signed_only(request.uri(), request.headers()),
    }
}

/// The headers the URL's signature covers (`X-Amz-SignedHeaders`), but `host`, which every
/// client sends by itself. Inside Lambda the SDK also adds `x-amzn-trace-id` to the request
/// without signing it: handed to a browser, that header is one the bucket's CORS rule does
/// not allow, and the upload is refused before it starts.
fn signed_only<'a>(
    uri: &str,
    headers: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, String> {
    let signed: Vec<String> = uri
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("X-Amz-SignedHeaders="))
        .map(|names| {
            names
                .replace("%3B", ";")
                .replace("%3b", ";")
                .split(';')
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    headers
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            name != "host" && signed.contains(&name)
        })
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

#[cfg(test)]
mod signed_headers_tests {
    use super::signed_only;

    #[test]
    fn only_signed_headers_are_handed_to_the_client() {
        let uri = "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                   &X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&X-Amz-Signature=ab";
        let headers = [
            ("content-length", "12"),
            ("content-type", "image/png"),
            ("x-amzn-trace-id", "Root=1-abc"),
        ];
        let kept = signed_only(uri, headers.into_iter());
        assert_eq!(
            kept.keys().collect::<Vec<_>>(),
            ["content-length", "content-type"]
        );
        assert!(signed_only("https://b/k", headers.into_iter()).is_empty());
    }
}

#[cfg(test)]
mod tests {
    //! Decoded offline, with fixed credentials and time, in the manner of aws-sdk-rust's
    //! `sdk/s3/tests/presigning.rs`: the emulator checks no signatures, so what the signed
    //! request says is checked here.

    use super::*;
    use aws_sdk_s3::config::{Credentials, Region};
    use std::collections::HashMap;

    const KEY: &str = "c/g:0123456789abcdef0123456789abcdef/00112233445566778899aabbccddeeff/a.png";
    /// 2009-02-13T23:31:31Z
    const START: u64 = 1_234_567_891;

    fn presigner() -> Presigner {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .credentials_provider(Credentials::new(
                "ANOTREAL",
                "notrealsecret",
                None,
                None,
                "test",
            ))
            .region(Region::new("us-east-1"))
            .build();
        Presigner::new(aws_sdk_s3::Client::from_conf(config), "files-bucket".into())
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(START)
    }

    /// The URL's host, path and query parameters (decoded).
    fn decode(url: &str) -> (String, String, HashMap<String, String>) {
        let rest = url.strip_prefix("https://").expect("https");
        let (host, rest) = rest.split_once('/').unwrap();
        let (path, query) = rest.split_once('?').unwrap();
        let params = query
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        (
            host.to_owned(),
            format!("/{}", percent_decode(path)),
            params,
        )
    }

    fn percent_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn uploads_sign_the_exact_length_and_type_for_300_seconds() {
        let upload = presigner()
            .upload(KEY, "image/png", 12_345, None, now())
            .await
            .unwrap();
        assert_eq!(upload.method, "PUT");
        let (host, path, params) = decode(&upload.url);
        assert_eq!(host, "files-bucket.s3.us-east-1.amazonaws.com");
        assert_eq!(path, format!("/{KEY}"));
        assert_eq!(params["X-Amz-Expires"], "300");
        assert_eq!(params["X-Amz-Date"], "20090213T233131Z");
        assert_eq!(
            params["X-Amz-Credential"],
            "ANOTREAL/20090213/us-east-1/s3/aws4_request"
        );
        assert_eq!(
            params["X-Amz-SignedHeaders"],
            "content-length;content-type;host"
        );
        assert_eq!(upload.headers["content-length"], "12345");
        assert_eq!(upload.headers["content-type"], "image/png");
        assert_eq!(upload.headers.len(), 2, "{:?}", upload.headers);
    }

    #[tokio::test]
    async fn an_upload_under_a_timer_signs_the_expiry_tag() {
        let upload = presigner()
            .upload(KEY, "image/png", 12_345, Some(1), now())
            .await
            .unwrap();
        let (_, _, params) = decode(&upload.url);
        assert_eq!(
            params["X-Amz-SignedHeaders"],
            "content-length;content-type;host;x-amz-tagging"
        );
        assert_eq!(upload.headers["x-amz-tagging"], "parley-ttl=1");
        assert_eq!(upload.headers.len(), 3, "{:?}", upload.headers);
    }

    #[test]
    fn timers_map_to_the_shortest_lifecycle_rule_that_covers_them() {
        assert_eq!(expire_days(0), None);
        assert_eq!(expire_days(86_400), Some(1));
        assert_eq!(expire_days(604_800), Some(7));
        assert_eq!(expire_days(7_776_000), None, "the 30-day rule comes first");
    }

    #[tokio::test]
    async fn downloads_are_attachments_for_300_seconds() {
        let download = presigner().download(KEY, "a.png", now()).await.unwrap();
        assert_eq!(download.method, "GET");
        let (_, path, params) = decode(&download.url);
        assert_eq!(path, format!("/{KEY}"));
        assert_eq!(params["X-Amz-Expires"], "300");
        assert_eq!(
            params["response-content-disposition"],
            "attachment; filename=\"a.png\""
        );
        assert_eq!(params["X-Amz-SignedHeaders"], "host");
        assert!(download.headers.is_empty());
    }
}
