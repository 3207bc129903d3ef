//! Progress of a file going up or down: a bar on stderr (indicatif draws nothing when
//! stderr is not a terminal, so scripts and `--json` output stay clean).

use indicatif::{ProgressBar, ProgressStyle};

pub fn bar(what: &str, total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::no_length(),
    };
    let template = "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}
