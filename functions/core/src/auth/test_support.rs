//! Test-only helpers for the auth tests: the committed test keys, token signing, and a local
//! JWKS server that counts its requests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use super::VerifierConfig;

/// An RSA key pair generated for these tests only (`openssl genrsa 2048`), with its JWK.
pub struct TestKey {
    pub kid: &'static str,
    pub private_pem: &'static str,
    pub public_pem: &'static str,
    pub jwk_json: &'static str,
}

pub const KEY_1: TestKey = TestKey {
    kid: "test-only-key-1",
    private_pem: include_str!("testdata/test-only-rsa-key-1.pem"),
    public_pem: include_str!("testdata/test-only-rsa-key-1.pub.pem"),
    jwk_json: include_str!("testdata/test-only-jwk-1.json"),
};

pub const KEY_2: TestKey = TestKey {
    kid: "test-only-key-2",
    private_pem: include_str!("testdata/test-only-rsa-key-2.pem"),
    public_pem: include_str!("testdata/test-only-rsa-key-2.pub.pem"),
    jwk_json: include_str!("testdata/test-only-jwk-2.json"),
};

pub const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool";
pub const CLIENT_ID: &str = "test-app-client";
const JWKS_PATH: &str = "/eu-west-1_TestPool/.well-known/jwks.json";

impl TestKey {
    pub fn jwk(&self) -> Jwk {
        serde_json::from_str(self.jwk_json).unwrap()
    }

    /// An RS256 token over `claims` with this key's kid.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.to_owned());
        let key = EncodingKey::from_rsa_pem(self.private_pem.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }
}

pub fn jwk_set(keys: &[&TestKey]) -> JwkSet {
    JwkSet {
        keys: keys.iter().map(|key| key.jwk()).collect(),
    }
}

/// Seconds since the Unix epoch, as the tokens count time.
pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

pub fn config(jwks_url: String) -> VerifierConfig {
    VerifierConfig {
        issuer: ISSUER.to_owned(),
        jwks_url,
        client_id: CLIENT_ID.to_owned(),
    }
}

/// The claims of a fresh Cognito id token for the test app client.
pub fn id_claims() -> Value {
    serde_json::json!({
        "sub": "user-1",
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "token_use": "id",
        "cognito:username": "alice",
        "auth_time": now() - 60,
        "iat": now() - 60,
        "exp": now() + 3600,
    })
}

/// The claims of a fresh Cognito access token for the test app client.
pub fn access_claims() -> Value {
    serde_json::json!({
        "sub": "user-1",
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "username": "alice",
        "auth_time": now() - 60,
        "iat": now() - 60,
        "exp": now() + 3600,
    })
}

/// Base64url without padding, as JWT parts are encoded: for hand-made broken tokens.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWKS endpoint on 127.0.0.1 that counts every request it gets, whatever the path.
pub struct JwksServer {
    base_url: String,
    state: Arc<ServerState>,
}

struct ServerState {
    jwks: Mutex<JwkSet>,
    requests: AtomicUsize,
}

impl JwksServer {
    pub async fn start(jwks: JwkSet) -> Self {
        let state = Arc::new(ServerState {
            jwks: Mutex::new(jwks),
            requests: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route(JWKS_PATH, get(serve_jwks))
            .fallback(not_found)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, state }
    }

    pub fn url(&self) -> String {
        format!("{}{JWKS_PATH}", self.base_url)
    }

    /// Replaces what the endpoint serves from now on.
    pub fn publish(&self, jwks: JwkSet) {
        *self.state.jwks.lock().unwrap() = jwks;
    }

    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }
}

async fn serve_jwks(State(state): State<Arc<ServerState>>) -> Json<JwkSet> {
    state.requests.fetch_add(1, Ordering::SeqCst);
    Json(state.jwks.lock().unwrap().clone())
}

async fn not_found(State(state): State<Arc<ServerState>>) -> StatusCode {
    state.requests.fetch_add(1, Ordering::SeqCst);
    StatusCode::NOT_FOUND
}

/// The committed JWKs must be the public halves of the committed private keys.
#[test]
fn committed_jwks_match_the_committed_keys() {
    for key in [KEY_1, KEY_2] {
        let encoding_key = EncodingKey::from_rsa_pem(key.private_pem.as_bytes()).unwrap();
        let derived = Jwk::from_encoding_key(&encoding_key, Algorithm::RS256).unwrap();
        assert_eq!(derived.algorithm, key.jwk().algorithm, "{}", key.kid);
    }
}
