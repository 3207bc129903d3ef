//! Fuzzes what every client frame goes through: `ClientFrame::parse` (JSON, the `action`,
//! the echoed `id`, each action's fields). Whatever the bytes, the answer is a frame or a
//! client error (`bad_request` / `too_large`) echoing only a valid id, never a panic or a
//! hang; and a frame read from the bytes reads the same from its own serialization, so
//! nothing depends on the client's spelling of the JSON and what clients send is what the
//! server reads.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_protocol::{is_valid_id, ClientFrame, ErrorCode, ServerFrame};

fuzz_target!(|data: &[u8]| {
    // A binary or non-UTF-8 frame never reaches the parser: the functions refuse it whole.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ClientFrame::parse(text) {
        Ok(frame) => {
            assert!(frame.id().is_none_or(is_valid_id));
            let again = ClientFrame::parse(&frame.to_json()).expect("a serialized frame parses");
            assert_eq!(again, frame);
        }
        Err(refused) => {
            assert!(!refused.message.is_empty());
            assert!(refused.id.as_deref().is_none_or(is_valid_id));
            assert!(
                matches!(refused.code, ErrorCode::BadRequest | ErrorCode::TooLarge),
                "a client's frame made a {} error: {refused}",
                refused.code
            );
            let reply = ServerFrame::from(refused);
            let json: serde_json::Value =
                serde_json::from_str(&reply.to_json()).expect("the reply is JSON");
            assert_eq!(json["type"], "error");
        }
    }
});
