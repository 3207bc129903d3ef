//! File sharing (issue 4), end to end through the local stack, from shared/protocol-v1.md:
//! `uploadUrl` for members only with a server-made key, the bytes uploaded with the presigned
//! request and downloaded again through `downloadUrl` (moto's S3 checks no signatures, so the
//! unit tests of functions/files decode what the requests sign), attachments on `send` only
//! as their sender reserved them, and outsiders and removed members refused.

use parley_protocol::{Attachment, ClientFrame};
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack;
use parley_tests::users::sign_up;

fn upload_frame(conversation: &str, name: &str, content_type: &str, size: usize) -> ClientFrame {
    upload_url(
        &fresh_id("up"),
        To::Conversation(conversation),
        name,
        content_type,
        size as u64,
    )
}

fn download_frame(key: &str) -> ClientFrame {
    download(&fresh_id("down"), key)
}

async fn create_group(client: &mut Client, members: &[&str]) -> String {
    let id = fresh_id("files-group");
    client
        .send(&parley_tests::chat::create_group(&id, "files", members))
        .await;
    let reply = client
        .frame_where("the group", |f| f["id"] == id.as_str())
        .await;
    assert_eq!(reply["type"], "group", "{reply}");
    reply["conversation"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_file_goes_up_and_comes_down_for_members_only() {
    let stack = stack::shared();
    let alice = sign_up(stack, "file-alice").await;
    let bob = sign_up(stack, "file-bob").await;
    let eve = sign_up(stack, "file-eve").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut e = device(stack, &eve).await;
    let group = create_group(&mut a, &[&bob.user_id]).await;
    let http = reqwest::Client::new();

    let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let upload = request(
        &mut a,
        upload_frame(
            &group,
            "../../etc/passwd",
            "application/octet-stream",
            bytes.len(),
        ),
        "uploadUrl",
    )
    .await;
    assert_eq!(upload["type"], "uploadUrl", "{upload}");
    let key = upload["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("c/{group}/")), "{key}");
    assert!(
        !key.contains("../"),
        "the client's name moved the key: {key}"
    );
    assert!(upload["expiresIn"].as_u64().unwrap() <= 300);
    assert_eq!(upload["method"], "PUT");
    let mut put = http.put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    let put = put.body(bytes.clone()).send().await.expect("PUT the file");
    assert!(put.status().is_success(), "upload: {}", put.status());

    // The attachment as reserved is accepted and reaches the other member.
    let attachment = Attachment {
        key: key.clone(),
        name: "../../etc/passwd".into(),
        content_type: "application/octet-stream".into(),
        size: bytes.len() as u64,
    };
    let id = fresh_id("with-file");
    let sent = send_and_wait(
        &mut a,
        &send_attachment(&id, To::Conversation(&group), attachment.clone()),
    )
    .await;
    assert_eq!(sent["type"], "sent");
    let got = message_with_id(&mut b, &id).await;
    assert_eq!(got["attachment"]["key"], key.as_str());

    // A member downloads the same bytes, as an attachment.
    let download = request(&mut b, download_frame(&key), "downloadUrl").await;
    assert_eq!(download["type"], "downloadUrl", "{download}");
    assert!(download["expiresIn"].as_u64().unwrap() <= 300);
    let url = download["url"].as_str().unwrap();
    assert!(
        url.contains("response-content-disposition=attachment"),
        "{url}"
    );
    let fetched = http.get(url).send().await.expect("GET the file");
    assert!(
        fetched.status().is_success(),
        "download: {}",
        fetched.status()
    );
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), bytes);

    // Someone else's reservation, or a changed description, is refused.
    let stolen = fresh_id("stolen");
    b.send(&send_attachment(
        &stolen,
        To::Conversation(&group),
        attachment.clone(),
    ))
    .await;
    assert_eq!(error_for(&mut b, &stolen).await["code"], "forbidden");
    let mut bigger = attachment.clone();
    bigger.size = 1;
    let changed = fresh_id("changed");
    a.send(&send_attachment(&changed, To::Conversation(&group), bigger))
        .await;
    assert_eq!(error_for(&mut a, &changed).await["code"], "bad_request");
    let elsewhere = fresh_id("elsewhere");
    a.send(&send_attachment(
        &elsewhere,
        To::User(&bob.user_id),
        attachment,
    ))
    .await;
    assert_eq!(error_for(&mut a, &elsewhere).await["code"], "forbidden");

    // Too large, and outsiders.
    let huge = request(
        &mut a,
        upload_frame(
            &group,
            "big.bin",
            "application/octet-stream",
            100 * 1024 * 1024 + 1,
        ),
        "uploadUrl",
    )
    .await;
    assert_eq!(huge["code"], "too_large", "{huge}");
    for frame in [
        upload_frame(&group, "x.txt", "text/plain", 10),
        download_frame(&key),
    ] {
        let refused = request(&mut e, frame, "never").await;
        assert_eq!(refused["code"], "forbidden", "{refused}");
        assert_clean_error(&refused);
    }

    // A removed member can fetch nothing more.
    let remove = fresh_id("remove");
    a.send(&remove_members(&remove, &group, &[&bob.user_id]))
        .await;
    let removed = a
        .frame_where("removal", |f| f["id"] == remove.as_str())
        .await;
    assert_eq!(removed["type"], "group", "{removed}");
    for frame in [
        upload_frame(&group, "x.txt", "text/plain", 10),
        download_frame(&key),
    ] {
        let refused = request(&mut b, frame, "never").await;
        assert_eq!(refused["code"], "forbidden", "{refused}");
    }
}

/// A browser's preflight for `method` on `url` from `origin`.
async fn preflight(
    http: &reqwest::Client,
    url: &str,
    origin: &str,
    method: &str,
) -> reqwest::Response {
    http.request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight")
}

fn allowed_origin(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
}

/// Browsers' cross-origin requests get S3's answers under the bucket's CORS rule (the
/// template's, with the local stack's web origins), not moto's "any origin".
#[tokio::test]
async fn presigned_requests_answer_cors_as_the_bucket_s_rule_says() {
    const ALLOWED: &str = "http://localhost:5173";
    const EVIL: &str = "http://evil.example";
    let stack = stack::shared();
    let alice = sign_up(stack, "cors-alice").await;
    let bob = sign_up(stack, "cors-bob").await;
    let mut a = device(stack, &alice).await;
    let group = create_group(&mut a, &[&bob.user_id]).await;
    let bytes = b"cross-origin bytes".to_vec();
    let upload = request(
        &mut a,
        upload_frame(&group, "page.txt", "text/plain", bytes.len()),
        "uploadUrl",
    )
    .await;
    assert_eq!(upload["type"], "uploadUrl", "{upload}");
    let url = upload["url"].as_str().unwrap();
    let http = reqwest::Client::new();

    // The preflight a page on the local dev server sends before its PUT.
    let allowed = preflight(&http, url, ALLOWED, "PUT").await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed_origin(&allowed), Some(ALLOWED));
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("PUT"), "{methods}");
    assert_eq!(
        allowed.headers()["access-control-allow-headers"],
        "content-type"
    );
    assert_eq!(allowed.headers()["access-control-max-age"], "600");

    // Any other origin, method or header is refused as S3 refuses it.
    let evil = preflight(&http, url, EVIL, "PUT").await;
    assert_eq!(evil.status(), 403);
    assert_eq!(allowed_origin(&evil), None);
    let body = evil.text().await.unwrap();
    assert!(
        body.contains("CORSResponse: This CORS request is not allowed"),
        "{body}"
    );
    assert_eq!(preflight(&http, url, ALLOWED, "DELETE").await.status(), 403);

    // The upload itself, from the allowed page: the rule's headers, moto's own removed.
    let mut put = http.put(url).header("origin", ALLOWED);
    for (name, value) in upload["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    let put = put.body(bytes.clone()).send().await.expect("PUT");
    assert!(put.status().is_success(), "upload: {}", put.status());
    assert_eq!(allowed_origin(&put), Some(ALLOWED));
    assert_eq!(put.headers()["access-control-expose-headers"], "ETag");

    // The download from another origin: S3 serves it, but with no CORS header the browser
    // withholds it from the page.
    let download = request(
        &mut a,
        download_frame(upload["key"].as_str().unwrap()),
        "downloadUrl",
    )
    .await;
    let fetched = http
        .get(download["url"].as_str().unwrap())
        .header("origin", EVIL)
        .send()
        .await
        .expect("GET");
    assert!(
        fetched.status().is_success(),
        "download: {}",
        fetched.status()
    );
    assert_eq!(
        allowed_origin(&fetched),
        None,
        "moto's any-origin answer leaked through"
    );
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), bytes);
}

/// A bucket without a CORS rule refuses every preflight, as S3 does.
#[tokio::test]
async fn a_bucket_without_a_cors_rule_refuses_preflights() {
    let stack = stack::shared();
    let http = reqwest::Client::new();
    let bucket = format!("no-cors-{}", std::process::id());
    let created = http
        .put(format!("{}/{bucket}", stack.aws_endpoint))
        .send()
        .await
        .expect("CreateBucket");
    assert!(
        created.status().is_success(),
        "CreateBucket: {}",
        created.status()
    );
    let url = format!("{}/{bucket}/c/any/key", stack.aws_endpoint);
    let refused = preflight(&http, &url, "http://localhost:5173", "GET").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(allowed_origin(&refused), None);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("CORSResponse: CORS is not enabled for this bucket"),
        "{body}"
    );
}
