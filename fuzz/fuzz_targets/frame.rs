//! Fuzzes what every client frame goes through: `ClientFrame::parse` (JSON, the `action`,
//! the echoed `id`) and `Command::parse` (each action's fields). Whatever the bytes, the
//! answer is a command or a client error (`bad_request` / `too_large`), never a panic, a
//! hang or `internal`; and a command read from a frame reads the same from its re-serialized
//! fields, so nothing depends on the client's spelling of the JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use messages::command::Command;
use parley_core::protocol::{is_valid_id, ClientFrame, ErrorCode, ServerFrame};

fuzz_target!(|data: &[u8]| {
    // A binary or non-UTF-8 frame never reaches the parsers: `$default` refuses it whole.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let frame = match ClientFrame::parse(text) {
        Ok(frame) => frame,
        Err(unreadable) => {
            assert!(!unreadable.message.is_empty());
            assert!(unreadable.id.as_deref().is_none_or(is_valid_id));
            return;
        }
    };
    assert!(!frame.action.is_empty());
    assert!(frame.id.as_deref().is_none_or(is_valid_id));
    match Command::parse(&frame) {
        Ok(command) => {
            let again = ClientFrame::parse(&serde_json::Value::Object(frame.fields).to_string())
                .expect("re-serialized fields parse");
            assert_eq!(Command::parse(&again).ok(), Some(command));
        }
        Err(error) => {
            assert!(
                matches!(error.code(), ErrorCode::BadRequest | ErrorCode::TooLarge),
                "a client's frame made a {} error: {error}",
                error.code()
            );
            let reply = error.to_frame(frame.id.clone());
            let json: serde_json::Value =
                serde_json::from_str(&reply.to_json()).expect("the reply is JSON");
            assert_eq!(json["type"], "error");
            assert!(matches!(reply, ServerFrame::Error { .. }));
        }
    }
});
