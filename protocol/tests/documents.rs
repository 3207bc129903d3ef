//! The frames the project shows people are frames the protocol crate reads: every example of
//! docs/protocol.md's "Example sessions", and the body of every sample event in `events/`,
//! parses and serializes back to the very same JSON.

use parley_protocol::{ClientFrame, ServerFrame};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A client frame read and written back: the same JSON, and the same frame again.
fn client_round_trip(text: &str) -> Result<ClientFrame, parley_protocol::FrameError> {
    let frame = ClientFrame::parse(text)?;
    let original: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        serde_json::to_value(&frame).unwrap(),
        original,
        "written back differently: {text}"
    );
    assert_eq!(ClientFrame::parse(&frame.to_json()).unwrap(), frame);
    Ok(frame)
}

fn server_round_trip(text: &str) -> ServerFrame {
    let frame: ServerFrame = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let original: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        serde_json::to_value(&frame).unwrap(),
        original,
        "written back differently: {text}"
    );
    frame
}

/// The lines of every ```frames block: (device, sent by the device?, frame text).
fn example_lines(markdown: &str) -> Vec<(String, bool, String)> {
    let mut lines = Vec::new();
    let mut inside = false;
    for line in markdown.lines() {
        match line.trim_end() {
            "```frames" => inside = true,
            "```" if inside => inside = false,
            line if inside => {
                let (device, sends, frame) = if let Some((device, frame)) = line.split_once(" → ")
                {
                    (device, true, frame)
                } else if let Some((device, frame)) = line.split_once(" ← ") {
                    (device, false, frame)
                } else {
                    panic!("an example line is `name → frame` or `name ← frame`: {line}")
                };
                lines.push((device.to_owned(), sends, frame.to_owned()));
            }
            _ => {}
        }
    }
    lines
}

#[test]
fn every_example_of_the_protocol_doc_round_trips() {
    let doc = std::fs::read_to_string(workspace().join("docs/protocol.md")).unwrap();
    let lines = example_lines(&doc);
    assert!(lines.len() >= 30, "the examples were not found");
    let (mut client, mut server) = (0, 0);
    for (i, (device, sends, text)) in lines.iter().enumerate() {
        if !sends {
            server_round_trip(text);
            server += 1;
            continue;
        }
        client += 1;
        match client_round_trip(text) {
            Ok(frame) => assert!(
                ClientFrame::ACTIONS.contains(&frame.action()),
                "{} is missing from ClientFrame::ACTIONS",
                frame.action()
            ),
            // A frame the protocol refuses: the example must show the very refusal, as the
            // next frame this device receives.
            Err(refused) => {
                let reply = lines[i + 1..]
                    .iter()
                    .find(|(d, s, _)| d == device && !s)
                    .unwrap_or_else(|| panic!("no reply shown to the refused {text}"));
                assert_eq!(
                    server_round_trip(&reply.2),
                    ServerFrame::from(refused),
                    "the reply shown to {text}"
                );
            }
        }
    }
    for action in ClientFrame::ACTIONS {
        assert!(
            lines
                .iter()
                .any(|(_, sends, text)| *sends
                    && text.contains(&format!("\"action\": \"{action}\""))),
            "no example of {action}"
        );
    }
    assert!(client > 0 && server > 0);
}

#[test]
fn every_sample_event_body_round_trips() {
    let mut checked = 0;
    for entry in std::fs::read_dir(workspace().join("events")).unwrap() {
        let path = entry.unwrap().path();
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let route = event["requestContext"]["routeKey"]
            .as_str()
            .unwrap_or_default();
        let Some(body) = event["body"].as_str() else {
            continue;
        };
        if route.starts_with('$') {
            // `$default` carries what no route takes: the protocol refuses it.
            if route == "$default" {
                assert!(ClientFrame::parse(body).is_err(), "{}", path.display());
            }
            continue;
        }
        let frame = client_round_trip(body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(frame.action(), route, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} events had frames");
}
