//! `parley push register`: registers this device's push token (FCM or APNs) with the
//! stack. The token is never printed.

use serde_json::json;

use crate::args::{Cli, PushAction};
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;

pub async fn run(cli: &Cli, out: Out, action: &PushAction) -> Result<(), Failure> {
    let PushAction::Register { platform, token } = action;
    let mut online = Online::start(cli)?;
    let (platform, token) = (platform.protocol(), token.clone());
    online
        .call(|client| async move { client.register_push(platform, token).await })
        .await?;
    out.line(
        json!({"registered": true, "platform": platform}),
        format!(
            "Push registered ({}).",
            json!(platform).as_str().unwrap_or("?")
        ),
    );
    Ok(())
}
