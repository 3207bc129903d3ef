//! Waiting for the reason to stop: Ctrl-C, SIGTERM, or (when asked) stdin reaching end of
//! file because the parent process that held the pipe has gone.

use std::io::Read;

/// Resolves when the stack should shut down, with the reason.
pub async fn requested(exit_on_stdin_eof: bool) -> &'static str {
    let stdin_closed = async {
        if exit_on_stdin_eof {
            stdin_eof().await
        } else {
            std::future::pending().await
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
        _ = terminate() => "SIGTERM",
        _ = stdin_closed => "stdin closed",
    }
}

#[cfg(unix)]
async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut sigterm) => {
            sigterm.recv().await;
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM");
            std::future::pending::<()>().await
        }
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await
}

/// Reads (and discards) stdin on a plain thread until EOF or an error. A thread rather than
/// `tokio::io::stdin`, whose blocking read would hold up the runtime's shutdown.
async fn stdin_eof() {
    let (closed, is_closed) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 1024];
        while matches!(stdin.read(&mut buffer), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });
    let _ = is_closed.await;
}
