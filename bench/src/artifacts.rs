//! What each function costs to ship: its binary's size and the size of the zip Lambda is
//! given. `make build`'s `target/lambda/<function>/bootstrap` (arm64, release) when it is
//! at least as new as the binary the stack ran (so it holds the same code), else that binary
//! (the host's release build, same profile: within a few percent of the arm64 one).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use zip::write::SimpleFileOptions;

/// Every function: a crate under `functions/` with a `main.rs`.
pub fn function_crates(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("functions"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join("src/main.rs").is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub fn measure(root: &Path, bin_dir: &Path) -> Value {
    let functions: serde_json::Map<String, Value> = function_crates(root)
        .into_iter()
        .map(|name| {
            let lambda = root.join("target/lambda").join(&name).join("bootstrap");
            let host = bin_dir.join(&name);
            let (binary, build) = if is_current(&lambda, &host) {
                (lambda, "make build (cargo lambda, release, arm64)")
            } else {
                (
                    host,
                    "host release build (no target/lambda artifact as new as it)",
                )
            };
            (name, artifact(&binary, build))
        })
        .collect();
    Value::Object(functions)
}

/// Whether `lambda` exists and was built no earlier than `host`.
fn is_current(lambda: &Path, host: &Path) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match (modified(lambda), modified(host)) {
        (Some(lambda), Some(host)) => lambda >= host,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

fn artifact(binary: &PathBuf, build: &str) -> Value {
    let Ok(bytes) = std::fs::read(binary) else {
        return json!({"measured": false, "reason": format!("{} not found", binary.display())});
    };
    json!({
        "measured": true,
        "path": binary.display().to_string(),
        "build": build,
        "stripped": is_stripped(&bytes),
        "binaryBytes": bytes.len(),
        "zippedBytes": zipped_size(&bytes),
    })
}

/// A Lambda deployment zip holding the binary as `bootstrap`.
fn zipped_size(binary: &[u8]) -> usize {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    zip.start_file("bootstrap", options).expect("a zip entry");
    zip.write_all(binary).expect("zip the binary");
    zip.finish().expect("finish the zip").into_inner().len()
}

/// Whether an ELF binary has no `.symtab` section (what `strip` removes).
fn is_stripped(binary: &[u8]) -> bool {
    !binary.windows(8).any(|window| window == b".symtab\0")
}
