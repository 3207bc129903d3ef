//! Tokens the stack must refuse, made with the emulator's own signing key (moto ships it),
//! so that only the one claim under test is wrong: expired, not yet valid, an unexpected
//! `token_use`, an unknown `kid`, HS256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::stack::workspace_root;

const SIGN_WITH_MOTO_KEY: &str = r#"
import gzip, json, os, sys
import moto.cognitoidp
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
header, claims, secret = json.loads(sys.stdin.read())
if secret is None:
    path = os.path.join(os.path.dirname(moto.cognitoidp.__file__), "resources", "jwks-private.json.gz")
    key = RSAKey.import_key(json.loads(gzip.open(path).read()))
else:
    key = OctKey.import_key(secret)
print(jwt.encode(header, claims, key, algorithms=[header["alg"]]))
"#;

/// Signs `claims` under `header` with moto's RSA key (`hmac_secret: None`) or as HS256 with
/// the given secret, using the venv's Python.
pub fn sign(header: &Value, claims: &Value, hmac_secret: Option<&str>) -> String {
    let python = workspace_root().join(".venv/bin/python");
    let mut child = Command::new(&python)
        .args(["-c", SIGN_WITH_MOTO_KEY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e} (make test creates the venv)", python.display()));
    let input = serde_json::json!([header, claims, hmac_secret]).to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "signing failed");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The claims of a token, unverified.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("JSON claims")
}

/// An unsigned token (`alg: none`) with the given claims.
pub fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"dummy","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// The token with its payload changed after signing (a bad signature).
pub fn tampered(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = claims_of(token);
    change(&mut claims);
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts.join(".")
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
