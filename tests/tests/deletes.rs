//! Delete for everyone (issue 16), end to end through the local stack: a `send` of kind
//! `delete` naming a message is an entry like any change (its own seq, `sent`, live to
//! every device, in sync), and it removes the message's text from storage, not only from
//! view: afterwards a raw Scan of every table of the stack finds no trace of the text, of
//! its edits' text or of its attachment's name, and the attachment's object is gone from
//! the bucket (404). The author may delete for 60 hours; in a group an admin may delete any
//! message (at any age: parley_core::rules::changes's unit tests). Windows are reached by backdating the target in the conversation's log.

use parley_protocol::limits::DELETE_WINDOW_MS;
use parley_protocol::{Attachment, ChangeKind, ClientFrame};
use parley_tests::bucket::object_status;
use parley_tests::chat::*;
use parley_tests::client::Client;
use parley_tests::stack::{self, StackInfo};
use parley_tests::tables::{backdate_logged, items_containing};
use parley_tests::users::sign_up;

/// Uploads `bytes` as a file called `name` into the conversation `to`, as its attachment.
async fn upload(client: &mut Client, to: To<'_>, name: &str, bytes: &[u8]) -> Attachment {
    let frame = upload_url(&fresh_id("up"), to, name, "text/plain", bytes.len() as u64);
    let upload = request(client, frame, "uploadUrl").await;
    assert_eq!(upload["type"], "uploadUrl", "{upload}");
    let mut put = reqwest::Client::new().put(upload["url"].as_str().unwrap());
    for (header, value) in upload["headers"].as_object().unwrap() {
        put = put.header(header, value.as_str().unwrap());
    }
    let put = put.body(bytes.to_vec()).send().await.expect("PUT the file");
    assert!(put.status().is_success(), "upload: {}", put.status());
    Attachment {
        key: upload["key"].as_str().unwrap().to_owned(),
        name: name.to_owned(),
        content_type: "text/plain".into(),
        size: bytes.len() as u64,
    }
}

/// A presigned GET of the attachment at `key`, as a member asks for it.
async fn download_url(client: &mut Client, key: &str) -> String {
    let reply = request(client, download(&fresh_id("down"), key), "downloadUrl").await;
    assert_eq!(reply["type"], "downloadUrl", "{reply}");
    reply["url"].as_str().unwrap().to_owned()
}

async fn status_of(url: &str) -> u16 {
    reqwest::get(url).await.expect("GET").status().as_u16()
}

/// Fails with every item that still holds one of `secrets`.
async fn assert_no_trace(stack: &StackInfo, secrets: &[&str]) {
    for secret in secrets {
        let left = items_containing(stack, secret).await;
        assert!(
            left.is_empty(),
            "{secret:?} is still stored after the delete:\n{}",
            left.join("\n")
        );
    }
}

fn delete(conversation: &str, target: u64) -> ClientFrame {
    change(
        &fresh_id("del"),
        conversation,
        ChangeKind::Delete,
        target,
        None,
    )
}

#[tokio::test]
async fn a_direct_delete_reaches_every_device_and_leaves_no_trace_in_storage() {
    let stack = stack::shared();
    let alice = sign_up(stack, "del-alice").await;
    let bob = sign_up(stack, "del-bob").await;
    let mut a = device(stack, &alice).await;
    let mut a2 = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let text = format!("[{}]", fresh_id("secret-text"));
    let edited = format!("[{}]", fresh_id("secret-edit"));
    let file_name = format!("{}.txt", fresh_id("secret-file"));

    // A message, edited once, and a file.
    let sent = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, &text)).await;
    let conversation = conversation_of(&sent);
    let seq = sent["seq"].as_u64().unwrap();
    send_and_wait(
        &mut a,
        &change(
            &fresh_id("e"),
            &conversation,
            ChangeKind::Edit,
            seq,
            Some(&edited),
        ),
    )
    .await;
    let attachment = upload(
        &mut a,
        To::Conversation(&conversation),
        &file_name,
        b"the file's bytes",
    )
    .await;
    let with_file = send_and_wait(
        &mut a,
        &send_attachment(
            &fresh_id("f"),
            To::Conversation(&conversation),
            attachment.clone(),
        ),
    )
    .await;
    let file_seq = with_file["seq"].as_u64().unwrap();
    let url = download_url(&mut b, &attachment.key).await;
    assert_eq!(status_of(&url).await, 200, "the file is there before");
    assert_eq!(object_status(stack, &attachment.key).await, 200);
    assert!(!items_containing(stack, &edited).await.is_empty());

    // Both deleted by their author: each an entry every other device gets live.
    for target in [seq, file_seq] {
        let frame = delete(&conversation, target);
        let id = frame.id().unwrap().to_owned();
        let done = send_and_wait(&mut a, &frame).await;
        assert_eq!(done["type"], "sent", "{done}");
        for device in [&mut b, &mut a2] {
            let live = message_with_id(device, &id).await;
            assert_eq!(live["kind"], "delete", "{live}");
            assert_eq!(live["target"], target, "{live}");
            assert!(live.get("body").is_none(), "{live}");
        }
    }

    assert_no_trace(stack, &[&text, &edited, &file_name]).await;
    assert_eq!(
        object_status(stack, &attachment.key).await,
        404,
        "the object is deleted"
    );
    assert_ne!(
        status_of(&url).await,
        200,
        "the presigned URL fetches nothing"
    );

    // A device that syncs afterwards sees both as deleted, with no content.
    let mut fresh = device(stack, &bob).await;
    let synced = sync_all(&mut fresh, None, None).await;
    for target in [seq, file_seq] {
        let original = synced_at(&synced, &conversation, target);
        assert!(original.get("body").is_none(), "{original}");
        assert!(original.get("attachment").is_none(), "{original}");
        assert_eq!(
            original["state"]["deleted"]["by"],
            alice.user_id.as_str(),
            "{original}"
        );
        assert!(original["state"].get("edited").is_none(), "{original}");
    }
    // A deleted message takes no more changes.
    let error = refused(&mut a, &delete(&conversation, seq)).await;
    assert_eq!(
        (error["code"].as_str(), error["message"].as_str()),
        (Some("forbidden"), Some("the message was deleted"))
    );
    for client in [a, a2, b, fresh] {
        client.close().await;
    }
}

#[tokio::test]
async fn a_group_admin_deletes_any_message_from_every_copy_even_of_members_who_left() {
    let stack = stack::shared();
    let alice = sign_up(stack, "gdel-alice").await;
    let bob = sign_up(stack, "gdel-bob").await;
    let carol = sign_up(stack, "gdel-carol").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let mut c = device(stack, &carol).await;
    a.send(&create_group(
        &fresh_id("g"),
        "deletes",
        &[bob.user_id.as_str(), carol.user_id.as_str()],
    ))
    .await;
    let group = a.frame_of_type("group").await;
    let conversation = group["conversation"].as_str().unwrap().to_owned();
    let text = format!("[{}]", fresh_id("gsecret-text"));
    let edited = format!("[{}]", fresh_id("gsecret-edit"));

    // Bob's message, edited; Carol (who got both) leaves.
    let id = fresh_id("gm");
    let sent = send_and_wait(&mut b, &send_to_conversation(&id, &conversation, &text)).await;
    let seq = sent["seq"].as_u64().unwrap();
    let edit_id = fresh_id("ge");
    send_and_wait(
        &mut b,
        &change(
            &edit_id,
            &conversation,
            ChangeKind::Edit,
            seq,
            Some(&edited),
        ),
    )
    .await;
    message_with_id(&mut c, &edit_id).await;
    let leave = fresh_id("leave");
    c.send(&leave_group(&leave, &conversation)).await;
    let left = c.frame_where("left", |f| f["id"] == leave.as_str()).await;
    assert_eq!(left["type"], "group", "{left}");
    assert_eq!(
        items_containing(stack, &text).await.len(),
        4,
        "the log and three copies hold the text"
    );

    // A member may not delete another's message; an admin may. (Not backdated: the copies'
    // positions hold the sending time, which backdating the log would move away from.)
    let admins = send_and_wait(
        &mut a,
        &send_to_conversation(&fresh_id("am"), &conversation, "hi"),
    )
    .await;
    let error = refused(
        &mut b,
        &delete(&conversation, admins["seq"].as_u64().unwrap()),
    )
    .await;
    assert_eq!(
        error["message"], "only the author or a group admin may delete a message",
        "{error}"
    );
    let frame = delete(&conversation, seq);
    let delete_id = frame.id().unwrap().to_owned();
    send_and_wait(&mut a, &frame).await;
    let live = message_with_id(&mut b, &delete_id).await;
    assert_eq!(
        (live["kind"].as_str(), live["target"].as_u64()),
        (Some("delete"), Some(seq))
    );

    assert_no_trace(stack, &[&text, &edited]).await;
    let synced = sync_all(&mut b, None, None).await;
    let original = synced_at(&synced, &conversation, seq);
    assert!(original.get("body").is_none(), "{original}");
    assert_eq!(
        original["state"]["deleted"]["by"],
        alice.user_id.as_str(),
        "{original}"
    );
    // Carol's copy is scrubbed, not gone: she still syncs it, without its text.
    let synced = sync_all(&mut c, None, None).await;
    let hers = synced_at(&synced, &conversation, seq);
    assert!(hers.get("body").is_none(), "{hers}");
    for client in [a, b, c] {
        client.close().await;
    }
}

#[tokio::test]
async fn only_the_author_within_60_hours_deletes_an_existing_message() {
    let stack = stack::shared();
    let alice = sign_up(stack, "del-rules-alice").await;
    let bob = sign_up(stack, "del-rules-bob").await;
    let mut a = device(stack, &alice).await;
    let mut b = device(stack, &bob).await;
    let sent = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "mine")).await;
    let conversation = conversation_of(&sent);

    let cases = [
        (
            false,
            1,
            "forbidden",
            "only the author or a group admin may delete a message",
        ),
        (true, 99, "not_found", "no such message"),
    ];
    for (by_alice, target, code, message) in cases {
        let client = if by_alice { &mut a } else { &mut b };
        let error = refused(client, &delete(&conversation, target)).await;
        assert_eq!(error["code"], code, "{error}");
        assert_eq!(error["message"], message, "{error}");
    }
    // The last minute of the window, then past it. (Backdating the log moves the target's
    // time away from its copies' positions: this delete scrubs the log and its state, and
    // the copies stay as the test left them; a real message's time never moves.)
    backdate_logged(stack, &conversation, 1, DELETE_WINDOW_MS - 60_000).await;
    let second = send_and_wait(&mut a, &send_to_user(&fresh_id("m"), &bob, "again")).await;
    send_and_wait(&mut a, &delete(&conversation, 1)).await;
    let second_seq = second["seq"].as_u64().unwrap();
    backdate_logged(stack, &conversation, second_seq, DELETE_WINDOW_MS + 1_000).await;
    let error = refused(&mut a, &delete(&conversation, second_seq)).await;
    assert_eq!(error["code"], "forbidden", "{error}");
    assert_eq!(
        error["message"], "messages can be deleted for everyone for 60 hours after sending",
        "{error}"
    );
    // A delete names its target and takes no body.
    let id = fresh_id("no-target");
    a.send_json(&serde_json::json!({"action": "send", "id": id, "conversation": conversation, "kind": "delete"}))
        .await;
    let error = error_for(&mut a, &id).await;
    assert_eq!(
        (error["code"].as_str(), error["message"].as_str()),
        (
            Some("bad_request"),
            Some("target is required for kind delete")
        ),
        "{error}"
    );
    let mut with_body = delete(&conversation, second_seq);
    if let ClientFrame::Send(send) = &mut with_body {
        send.body = Some("x".into());
    }
    let error = refused(&mut a, &with_body).await;
    assert_eq!(error["code"], "bad_request", "{error}");
    a.close().await;
    b.close().await;
}
