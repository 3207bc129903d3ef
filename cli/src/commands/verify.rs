//! `parley verify WHO [DEVICE]` and `parley verify --accept`: verify a device by comparing
//! a short code (seven emoji, or three numbers) with its owner, on both screens at once.
//! One side asks, the other accepts; both see the code and answer "Do they match? [y/N]".
//! If both say yes, each device marks the other verified (`parley devices` shows ✓ and
//! messages from it are marked). A "no" cancels on both sides: the code differs when
//! someone between the two devices (the server, say) swapped a key.

use std::time::Duration;

use parley_client::crypto::{Verification, VerificationState};
use parley_client::Event;
use serde_json::json;
use tokio::io::AsyncBufReadExt;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::target;

/// How long the other side may take to accept or answer (the library's own limit).
const WAIT_FOR_THEM: Duration = Duration::from_secs(10 * 60);

/// `parley verify WHO [DEVICE]`: asks the device (the only other one of WHO when not named).
pub async fn start(
    cli: &Cli,
    out: Out,
    who: &str,
    device: Option<&str>,
    yes: bool,
) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    online.until_synced().await?;
    let user = target::user_ids(&mut online, &[who.to_owned()])
        .await?
        .remove(0);
    let asked = user.clone();
    let devices = online
        .call(|client| async move { client.devices(&asked).await })
        .await?;
    let others: Vec<&str> = devices
        .iter()
        .filter(|d| !d.this_device)
        .map(|d| d.device_id.as_str())
        .collect();
    let device = match (device, others.as_slice()) {
        (Some(device), _) if others.contains(&device) => device.to_owned(),
        (Some(device), _) => {
            return Err(Failure::refused(format!(
                "{user} has no device {device} (their devices: {})",
                list(&others)
            )))
        }
        (None, [only]) => (*only).to_owned(),
        (None, []) => {
            return Err(Failure::refused(format!(
                "{user} has no other device with encryption keys to verify"
            )))
        }
        (None, several) => {
            return Err(Failure::refused(format!(
                "{user} has {} devices: name one ({})",
                several.len(),
                list(several)
            )))
        }
    };
    let (u, d) = (user.clone(), device.clone());
    let flow = online
        .call(|client| async move { client.verify(&u, &d).await })
        .await?;
    out.line(
        json!({"event": "verification", "user": user, "deviceId": device,
               "flowId": flow.flow_id, "state": "requested"}),
        format!(
            "Asked {user}'s device {device} to verify. On that device, accept \
             (parley verify --accept) and compare the code."
        ),
    );
    follow(&mut online, &out, flow, yes).await
}

/// `parley verify --accept`: waits for another device's request, accepts it, and compares.
pub async fn accept(cli: &Cli, out: Out, yes: bool) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    eprintln!("Waiting for a verification request (Ctrl-C gives up)…");
    let incoming = tokio::time::timeout(WAIT_FOR_THEM, async {
        loop {
            if let Event::Verification(v) = online.next().await? {
                if v.state == VerificationState::Incoming {
                    return Ok::<_, Failure>(v);
                }
            }
        }
    })
    .await
    .map_err(|_| Failure::other("no verification request came"))??;
    let device = incoming.device_id.clone().unwrap_or_default();
    out.line(
        json!({"event": "verification", "user": incoming.user, "deviceId": device,
               "flowId": incoming.flow_id, "state": "incoming"}),
        format!(
            "{}'s device {device} wants to verify: accepting.",
            incoming.user
        ),
    );
    let (u, f) = (incoming.user.clone(), incoming.flow_id.clone());
    online
        .call(|client| async move { client.accept_verification(&u, &f).await })
        .await?;
    follow(&mut online, &out, incoming, yes).await
}

/// Follows the flow to its end: shows the code, asks, reports the outcome.
async fn follow(
    online: &mut Online,
    out: &Out,
    flow: Verification,
    yes: bool,
) -> Result<(), Failure> {
    let (user, flow_id) = (flow.user.clone(), flow.flow_id.clone());
    let deadline = tokio::time::Instant::now() + WAIT_FOR_THEM;
    let mut answered = false;
    loop {
        let event = tokio::time::timeout_at(deadline, online.next()).await;
        let Ok(event) = event else {
            let (u, f) = (user.clone(), flow_id.clone());
            online
                .call(|client| async move { client.cancel_verification(&u, &f, false).await })
                .await?;
            return Err(Failure::other("the other side did not answer in time"));
        };
        let Event::Verification(v) = event? else {
            continue;
        };
        if v.flow_id != flow_id {
            continue;
        }
        let device = v.device_id.clone().unwrap_or_default();
        match v.state {
            VerificationState::Compare { emojis, decimals } if !answered => {
                answered = true;
                let symbols: Vec<&str> = emojis.iter().map(|e| e.symbol.as_str()).collect();
                let names: Vec<&str> = emojis.iter().map(|e| e.name.as_str()).collect();
                out.line(
                    json!({"event": "verification", "user": user, "deviceId": device,
                           "flowId": flow_id, "state": "compare",
                           "emojis": emojis.iter().map(|e| json!({"symbol": e.symbol, "name": e.name})).collect::<Vec<_>>(),
                           "decimals": [decimals.0, decimals.1, decimals.2]}),
                    format!(
                        "Compare with the other screen:\n  {}\n  {}\n  (or the numbers {} {} {})",
                        symbols.join("  "),
                        names.join(", "),
                        decimals.0,
                        decimals.1,
                        decimals.2
                    ),
                );
                let matched = yes || ask("Do they match? [y/N] ").await?;
                let (u, f) = (user.clone(), flow_id.clone());
                if matched {
                    online
                        .call(|client| async move { client.confirm_verification(&u, &f).await })
                        .await?;
                    eprintln!("Confirmed; waiting for the other side…");
                } else {
                    online
                        .call(
                            |client| async move { client.cancel_verification(&u, &f, true).await },
                        )
                        .await?;
                }
            }
            VerificationState::Done => {
                out.line(
                    json!({"event": "verification", "user": user, "deviceId": device,
                           "flowId": flow_id, "state": "done"}),
                    format!("✓ {user}'s device {device} is verified."),
                );
                return Ok(());
            }
            VerificationState::Cancelled {
                code,
                reason,
                by_us,
            } => {
                out.line(
                    json!({"event": "verification", "user": user, "deviceId": device,
                           "flowId": flow_id, "state": "cancelled", "code": code,
                           "reason": reason, "byUs": by_us}),
                    format!(
                        "Verification cancelled by {}: {reason} ({code}). Nothing was verified.",
                        if by_us { "you" } else { "the other side" }
                    ),
                );
                return Err(Failure::refused(format!(
                    "verification cancelled: {reason}"
                )));
            }
            _ => {}
        }
    }
}

/// Asks a yes/no question on the terminal; anything but y or yes is no.
async fn ask(question: &str) -> Result<bool, Failure> {
    eprint!("{question}");
    let mut line = String::new();
    tokio::io::BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await
        .map_err(|e| Failure::other(format!("cannot read the answer: {e}")))?;
    Ok(matches!(line.trim().to_lowercase().as_str(), "y" | "yes"))
}

fn list(devices: &[&str]) -> String {
    if devices.is_empty() {
        "none".to_owned()
    } else {
        devices.join(", ")
    }
}
