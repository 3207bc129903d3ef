//! File sharing (issue 4), end to end through the local stack, from shared/protocol-v1.md:
//! `uploadUrl` for members only with a server-made key, the bytes uploaded with the presigned
//! request and downloaded again through `downloadUrl` (moto's S3 checks no signatures, so the
//! unit tests of functions/files decode what the requests sign), attachments on `send` only
//! as their sender reserved them, and outsiders and removed members refused.

use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack;
use parley_tests::users::sign_up;
use serde_json::{json, Value};

/// Sends a frame with an `id` and returns the reply of `kind` (or the `error`) for it.
async fn request(client: &mut Client, frame: Value, kind: &str) -> Value {
    let id = frame["id"].as_str().expect("an id").to_owned();
    client.send(&frame).await;
    client
        .frame_where(&format!("the reply to {id}"), |f| {
            f["id"] == id.as_str() && (f["type"] == kind || f["type"] == "error")
        })
        .await
}

fn upload_frame(conversation: &str, name: &str, content_type: &str, size: usize) -> Value {
    json!({"action": "uploadUrl", "id": fresh_id("up"), "conversation": conversation,
        "name": name, "contentType": content_type, "size": size})
}

fn download_frame(key: &str) -> Value {
    json!({"action": "downloadUrl", "id": fresh_id("down"), "key": key})
}

async fn create_group(client: &mut Client, members: &[&str]) -> String {
    let id = fresh_id("files-group");
    client
        .send(&json!({"action": "createGroup", "id": id, "name": "files", "members": members}))
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
    let attachment = json!({"key": key, "name": "../../etc/passwd",
        "contentType": "application/octet-stream", "size": bytes.len()});
    let id = fresh_id("with-file");
    let sent = send_and_wait(
        &mut a,
        &json!({"action": "send", "id": id, "conversation": group, "attachment": attachment}),
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
    b.send(
        &json!({"action": "send", "id": stolen, "conversation": group, "attachment": attachment}),
    )
    .await;
    assert_eq!(error_for(&mut b, &stolen).await["code"], "forbidden");
    let mut bigger = attachment.clone();
    bigger["size"] = json!(1);
    let changed = fresh_id("changed");
    a.send(&json!({"action": "send", "id": changed, "conversation": group, "attachment": bigger}))
        .await;
    assert_eq!(error_for(&mut a, &changed).await["code"], "bad_request");
    let elsewhere = fresh_id("elsewhere");
    a.send(&json!({"action": "send", "id": elsewhere, "toUser": bob.user_id, "attachment": attachment}))
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
    a.send(&json!({"action": "removeMembers", "id": remove, "conversation": group, "members": [bob.user_id]}))
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
