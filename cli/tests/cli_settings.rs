//! `parley mute|archive|pin|unread` and `parley chats` against the local stack: a change
//! prints the chat's settings, `chats` lists them (from another run, as another device
//! would), a fourth pin is refused (exit 2), and a bad mute length is bad usage.

mod common;

use common::{home, json_line, json_lines, parley, refusal, signed_in_user, stack_file};
use parley_tests::stack;
use serde_json::json;

#[tokio::test]
async fn settings_are_changed_listed_and_a_fourth_pin_is_refused() {
    let stack = stack::shared();
    let stack_json = stack_file(stack);
    let (ana_home, ben_home) = (home("settings-ana"), home("settings-ben"));
    let (_, ana_id) = signed_in_user(&stack_json, &ana_home).await;
    let (ben, ben_id) = signed_in_user(&stack_json, &ben_home).await;
    let (low, high) = if ana_id < ben_id {
        (&ana_id, &ben_id)
    } else {
        (&ben_id, &ana_id)
    };
    let with_ben = format!("d:{low}:{high}");

    let muted = parley(&stack_json, &ana_home, &["mute", &ben, "always"]).await;
    assert_eq!(muted.status.code(), Some(0), "{muted:?}");
    assert_eq!(
        json_line(&muted.stdout),
        json!({"conversation": with_ben, "mutedUntil": -1, "archived": false, "pinned": false, "unread": false})
    );
    for args in [["pin", ben.as_str()], ["unread", ben.as_str()]] {
        let done = parley(&stack_json, &ana_home, &args).await;
        assert_eq!(done.status.code(), Some(0), "{done:?}");
    }
    let listed = parley(&stack_json, &ana_home, &["chats"]).await;
    assert_eq!(listed.status.code(), Some(0), "{listed:?}");
    assert_eq!(
        json_lines(&listed.stdout),
        vec![
            json!({"conversation": with_ben, "mutedUntil": -1, "archived": false, "pinned": true, "unread": true})
        ]
    );

    // Two more pins fill the three; a fourth is the server's refusal.
    let others: Vec<String> = (0..3)
        .map(|i| format!("{}-{i}", uuid::Uuid::new_v4()))
        .collect();
    for other in &others[..2] {
        let pinned = parley(&stack_json, &ana_home, &["pin", other]).await;
        assert_eq!(json_line(&pinned.stdout)["pinned"], true, "{pinned:?}");
    }
    let refused = refusal(&parley(&stack_json, &ana_home, &["pin", &others[2]]).await);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("at most 3 chats are pinned"),
        "{refused}"
    );
    let unpinned = parley(&stack_json, &ana_home, &["pin", &ben, "--undo"]).await;
    assert_eq!(json_line(&unpinned.stdout)["pinned"], false, "{unpinned:?}");
    let pinned = parley(&stack_json, &ana_home, &["pin", &others[2]]).await;
    assert_eq!(json_line(&pinned.stdout)["pinned"], true, "{pinned:?}");

    let bad = parley(&stack_json, &ana_home, &["mute", &ben, "1y"]).await;
    assert_eq!(bad.status.code(), Some(1), "bad usage: {bad:?}");
}
