//! `parley download`: an attachment (by the key its message carries) to a file, with a
//! progress bar.

use serde_json::json;
use std::path::Path;

use crate::args::Cli;
use crate::failure::Failure;
use crate::online::Online;
use crate::output::Out;
use crate::progress;

pub async fn run(cli: &Cli, out: Out, key: &str, path: &Path) -> Result<(), Failure> {
    let mut online = Online::start(cli)?;
    let bar = progress::bar("download", None);
    let shown = bar.clone();
    let (key_owned, target) = (key.to_owned(), path.to_owned());
    let size = online
        .call(|client| async move {
            client
                .download(&key_owned, &target, move |done, total| {
                    if let Some(total) = total {
                        shown.set_length(total);
                    }
                    shown.set_position(done);
                })
                .await
        })
        .await;
    bar.finish_and_clear();
    let size = size?;
    out.line(
        json!({"key": key, "path": path, "size": size}),
        format!("Saved {} ({size} bytes).", path.display()),
    );
    Ok(())
}
