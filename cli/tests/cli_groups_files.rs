//! The `parley` commands beyond chat, as processes against the local stack: `lookup` finds
//! people by email, `group create/remove/leave` change a group (every member learns of it by
//! `sync`), `upload` sends a file into the group and `download` saves it byte for byte, and
//! a removed member's send is refused (exit 2).

mod common;

use common::{home, json_line, json_lines, parley, refusal, signed_in_user, stack_file};
use parley_tests::stack;
use serde_json::Value;

#[tokio::test]
async fn a_group_with_a_file_and_a_removal() {
    let stack = stack::shared();
    let stack_json = stack_file(stack);
    let (ann_home, bob_home, cat_home) = (home("g-ann"), home("g-bob"), home("g-cat"));
    let (_, ann_id) = signed_in_user(&stack_json, &ann_home).await;
    let (bob, bob_id) = signed_in_user(&stack_json, &bob_home).await;
    let (cat, cat_id) = signed_in_user(&stack_json, &cat_home).await;

    let lookup = parley(&stack_json, &ann_home, &["lookup", &bob, &cat]).await;
    assert_eq!(lookup.status.code(), Some(0), "{lookup:?}");
    let found: Vec<Value> = json_lines(&lookup.stdout);
    let ids: Vec<&str> = found.iter().filter_map(|f| f["userId"].as_str()).collect();
    assert_eq!(ids, [bob_id.as_str(), cat_id.as_str()], "{found:?}");

    let created = parley(
        &stack_json,
        &ann_home,
        &["group", "create", "Climbing", &bob, &cat],
    )
    .await;
    assert_eq!(created.status.code(), Some(0), "{created:?}");
    let group = json_line(&created.stdout);
    let conversation = group["conversation"]
        .as_str()
        .expect("conversation")
        .to_owned();
    assert_eq!(group["name"], "Climbing");
    assert_eq!(
        group["members"].as_array().map(Vec::len),
        Some(3),
        "{group}"
    );
    assert_eq!(group["admins"], serde_json::json!([ann_id]));

    // A file into the group: uploaded, sent, and saved by a member with the same bytes.
    let bytes: Vec<u8> = (0..150_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let file = ann_home.join("route.bin");
    std::fs::write(&file, &bytes).unwrap();
    let upload = parley(
        &stack_json,
        &ann_home,
        &["upload", &conversation, file.to_str().unwrap()],
    )
    .await;
    assert_eq!(upload.status.code(), Some(0), "{upload:?}");
    assert_eq!(
        json_line(&upload.stdout)["conversation"],
        conversation.as_str()
    );

    let synced = parley(&stack_json, &bob_home, &["sync"]).await;
    assert_eq!(synced.status.code(), Some(0), "{synced:?}");
    let messages = json_lines(&synced.stdout);
    let created_line = messages
        .iter()
        .find(|m| m["system"]["event"] == "created")
        .unwrap_or_else(|| panic!("no group creation in {messages:#?}"));
    assert_eq!(created_line["conversation"], conversation.as_str());
    let attachment = messages
        .iter()
        .find_map(|m| m["attachment"].as_object())
        .unwrap_or_else(|| panic!("no attachment in {messages:#?}"));
    assert_eq!(attachment["name"], "route.bin");
    assert_eq!(attachment["size"], bytes.len());
    let key = attachment["key"].as_str().unwrap();
    let saved = bob_home.join("saved.bin");
    let download = parley(
        &stack_json,
        &bob_home,
        &["download", key, saved.to_str().unwrap()],
    )
    .await;
    assert_eq!(download.status.code(), Some(0), "{download:?}");
    assert_eq!(std::fs::read(&saved).unwrap(), bytes);

    // Ann removes Cat; Bob leaves; Ann is left alone, and Cat heard of her removal.
    let removed = parley(
        &stack_json,
        &ann_home,
        &["group", "remove", &conversation, &cat],
    )
    .await;
    assert_eq!(removed.status.code(), Some(0), "{removed:?}");
    let mut remaining = vec![ann_id.clone(), bob_id.clone()];
    remaining.sort();
    assert_eq!(
        json_line(&removed.stdout)["members"],
        serde_json::json!(remaining)
    );
    let left = parley(&stack_json, &bob_home, &["group", "leave", &conversation]).await;
    assert_eq!(left.status.code(), Some(0), "{left:?}");
    assert_eq!(
        json_line(&left.stdout)["members"],
        serde_json::json!([ann_id])
    );
    let cat_sync = parley(&stack_json, &cat_home, &["sync"]).await;
    let cat_saw: Vec<Value> = json_lines(&cat_sync.stdout);
    assert!(
        cat_saw.iter().any(|m| m["system"]["event"] == "removed"),
        "{cat_saw:#?}"
    );
    // Removed, Cat can no longer write into the group.
    let refused = parley(
        &stack_json,
        &cat_home,
        &["send", &conversation, "still here?"],
    )
    .await;
    refusal(&refused);
}
