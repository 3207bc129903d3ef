//! The local outbox: the verification codes Cognito would send by email or SMS, kept where a
//! developer (or a test) can read them, like the mail catchers of other dev stacks:
//! `GET /_devstack/outbox` (a page) and `GET /_devstack/outbox.json` (newest first;
//! `?to=<address>` keeps the messages sent to one email address or phone number).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How long a confirmation code stays valid (Cognito's: 24 hours).
pub const CODE_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// One message Cognito would have sent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    /// When it was sent, RFC 3339.
    pub at: String,
    #[serde(skip)]
    pub sent_at: SystemTime,
    /// `EMAIL` or `SMS`, as Cognito's `CodeDeliveryDetails` name them.
    pub medium: &'static str,
    /// The email address or phone number it went to.
    pub to: String,
    /// What asked for it: `SignUp` or `ResendConfirmationCode`.
    pub reason: String,
    pub client_id: String,
    pub username: String,
    pub code: String,
    /// The text the user would read.
    pub text: String,
    /// Whether the code was used (a code confirms once).
    pub used: bool,
}

/// Every code sent since the stack started. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl Outbox {
    /// Sends a fresh code for `username` of `client_id` to `to`; returns it.
    pub fn send_code(
        &self,
        reason: &str,
        client_id: &str,
        username: &str,
        medium: &'static str,
        to: &str,
    ) -> String {
        let code = format!("{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000);
        let sent_at = SystemTime::now();
        let entry = Sent {
            at: humantime::format_rfc3339_seconds(sent_at).to_string(),
            sent_at,
            medium,
            to: to.to_owned(),
            reason: reason.to_owned(),
            client_id: client_id.to_owned(),
            username: username.to_owned(),
            text: format!("Your Parley verification code is {code}"),
            code: code.clone(),
            used: false,
        };
        tracing::info!(%medium, to, reason, "verification code sent to the local outbox (/_devstack/outbox)");
        self.lock().push(entry);
        code
    }

    /// Checks `code` against the newest one sent to `username`; marks it used when right.
    pub fn confirm(&self, client_id: &str, username: &str, code: &str) -> CodeCheck {
        let mut sent = self.lock();
        let Some(latest) = sent
            .iter_mut()
            .rev()
            .find(|s| s.client_id == client_id && s.username == username)
        else {
            return CodeCheck::Mismatch;
        };
        if latest.code != code || latest.used {
            return CodeCheck::Mismatch;
        }
        if latest.sent_at.elapsed().unwrap_or_default() > CODE_LIFETIME {
            return CodeCheck::Expired;
        }
        latest.used = true;
        CodeCheck::Valid
    }

    /// Everything sent, newest first, to `to` only if given.
    pub fn list(&self, to: Option<&str>) -> Vec<Sent> {
        self.lock()
            .iter()
            .rev()
            .filter(|s| to.is_none_or(|to| s.to == to))
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sent>> {
        self.sent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a confirmation code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Valid,
    /// Wrong, already used, or none was sent.
    Mismatch,
    Expired,
}

#[derive(Deserialize)]
struct Filter {
    to: Option<String>,
}

/// `/_devstack/outbox` and `/_devstack/outbox.json`.
pub fn router(outbox: Outbox) -> Router {
    Router::new()
        .route("/_devstack/outbox", get(page))
        .route("/_devstack/outbox.json", get(list))
        .with_state(outbox)
}

async fn list(State(outbox): State<Outbox>, Query(filter): Query<Filter>) -> Json<Value> {
    Json(json!({"messages": outbox.list(filter.to.as_deref())}))
}

async fn page(State(outbox): State<Outbox>, Query(filter): Query<Filter>) -> Html<String> {
    let rows: String = outbox
        .list(filter.to.as_deref())
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><b>{}</b>{}</td></tr>\n",
                escape(&s.at),
                s.medium,
                escape(&s.to),
                escape(&s.reason),
                escape(&s.code),
                if s.used { " (used)" } else { "" }
            )
        })
        .collect();
    Html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Parley local outbox</title>\
         <meta http-equiv=\"refresh\" content=\"5\"></head><body>\
         <h1>Local outbox</h1><p>The verification codes Cognito would send by email or SMS. \
         Newest first; this page reloads every 5 seconds. JSON: <a href=\"/_devstack/outbox.json\">/_devstack/outbox.json</a>.</p>\
         <table border=\"1\" cellpadding=\"4\"><tr><th>sent</th><th>by</th><th>to</th><th>for</th><th>code</th></tr>\n{rows}</table></body></html>\n"
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_confirms_once_and_only_the_newest() {
        let outbox = Outbox::default();
        let first = outbox.send_code("SignUp", "client", "ana", "EMAIL", "ana@example.test");
        assert_eq!(first.len(), 6);
        let second = outbox.send_code(
            "ResendConfirmationCode",
            "client",
            "ana",
            "EMAIL",
            "ana@example.test",
        );
        if first != second {
            assert_eq!(outbox.confirm("client", "ana", &first), CodeCheck::Mismatch);
        }
        assert_eq!(outbox.confirm("other", "ana", &second), CodeCheck::Mismatch);
        assert_eq!(outbox.confirm("client", "ana", &second), CodeCheck::Valid);
        assert_eq!(
            outbox.confirm("client", "ana", &second),
            CodeCheck::Mismatch
        );
        assert_eq!(
            outbox.confirm("client", "bob", "123456"),
            CodeCheck::Mismatch
        );
    }

    #[test]
    fn the_list_is_newest_first_and_filters_by_address() {
        let outbox = Outbox::default();
        outbox.send_code("SignUp", "c", "ana", "EMAIL", "ana@example.test");
        outbox.send_code("SignUp", "c", "bob", "SMS", "+15550100");
        let all = outbox.list(None);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].to, "+15550100");
        let ana = outbox.list(Some("ana@example.test"));
        assert_eq!(ana.len(), 1);
        assert!(ana[0].text.contains(&ana[0].code));
    }

    #[test]
    fn the_page_escapes_what_it_shows() {
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}
