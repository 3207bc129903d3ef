//! Function output on the devstack's terminal: each line a process writes to stdout or
//! stderr, prefixed with the function's name, as CloudWatch would collect it per function.

use std::io::Write;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Copies `output` to the devstack's stderr line by line until the process closes it.
pub(crate) fn forward(function: String, output: impl AsyncRead + Unpin + Send + 'static) {
    tokio::spawn(async move {
        let mut reader = BufReader::new(output);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    // Logs are not always UTF-8 and a bad byte should not cost a line.
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end_matches(['\n', '\r']);
                    // One write per line so lines of concurrent processes do not interleave.
                    let _ = writeln!(std::io::stderr().lock(), "[{function}] {text}");
                }
            }
        }
    });
}
