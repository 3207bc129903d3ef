//! `parley devices [WHO]`: the devices of a user (yourself by default) as the key directory
//! has them now, each with its Ed25519 identity key: what end-to-end encryption shares each
//! conversation's keys with. Compare the keys with what the owner's own `parley devices`
//! shows (in person, or on a call) to be sure no one else reads along; a device that
//! appeared since the last time is marked new; one verified on this device (`parley verify`,
//! comparing a short code) is marked ✓.

use parley_client::Event;
use serde_json::json;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::target;

pub async fn run(cli: &Cli, out: Out, who: Option<&str>) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let user = match who {
        Some(who) => target::user_ids(&mut online, &[who.to_owned()])
            .await?
            .remove(0),
        None => online.client.user_id().to_owned(),
    };
    let asked = user.clone();
    let devices = online
        .call(|client| async move { client.devices(&asked).await })
        .await?;
    let new: Vec<String> = online
        .drain_held()
        .into_iter()
        .filter_map(|event| match event {
            Event::NewDevice { user: u, device_id } if u == user => Some(device_id),
            _ => None,
        })
        .collect();
    if devices.is_empty() {
        out.line(
            json!({"event": "devices", "user": user, "devices": []}),
            format!("{user} has no device with encryption keys: messages to them go unencrypted"),
        );
        return Ok(());
    }
    out.line(
        json!({"event": "devices", "user": user, "count": devices.len()}),
        format!("Devices of {user}:"),
    );
    for device in devices {
        let is_new = new.contains(&device.device_id);
        let key = device.ed25519.clone().unwrap_or_default();
        let mut notes = Vec::new();
        if device.this_device {
            notes.push("this device");
        }
        if device.verified && !device.this_device {
            notes.push("verified");
        }
        if is_new {
            notes.push("new");
        }
        out.line(
            json!({"event": "device", "user": user, "deviceId": device.device_id,
                   "ed25519": device.ed25519, "verified": device.verified,
                   "thisDevice": device.this_device, "new": is_new}),
            format!(
                "{} {}  {}{}",
                if device.verified && !device.this_device {
                    "✓"
                } else {
                    " "
                },
                device.device_id,
                fingerprint(&key),
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", notes.join(", "))
                }
            ),
        );
    }
    Ok(())
}

/// A key in groups of four characters, easier to read out.
fn fingerprint(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_read_in_groups_of_four() {
        assert_eq!(super::fingerprint("abcdefghij"), "abcd efgh ij");
        assert_eq!(super::fingerprint(""), "");
    }
}
