//! Fuzzes token verification as the `$connect` authorizer runs it, without the network: a
//! verifier preloaded with the test JWKS (an unknown `kid` may try the configured URL, a
//! closed local port, at most once per refetch interval). Whatever the bytes, `verify`
//! returns a verdict: no panic, no hang, and no token passes without the test key's
//! signature (the fuzzer has no private key, so every verdict it reaches is a refusal unless
//! it replays a seed that is valid).

#![no_main]

use std::sync::OnceLock;

use jsonwebtoken::jwk::JwkSet;
use libfuzzer_sys::fuzz_target;
use parley_core::auth::{Verifier, VerifierConfig};

/// The committed test-only public key (functions/core/src/auth/testdata).
const TEST_JWK: &str = include_str!("../../functions/core/src/auth/testdata/test-only-jwk-1.json");

struct Harness {
    runtime: tokio::runtime::Runtime,
    verifier: Verifier,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let jwks: JwkSet = serde_json::from_str(&format!(r#"{{"keys":[{TEST_JWK}]}}"#))
            .expect("the test JWK parses");
        let config = VerifierConfig {
            issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool".into(),
            jwks_url: "http://127.0.0.1:9/.well-known/jwks.json".into(),
            client_id: "test-app-client".into(),
        };
        Harness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            verifier: Verifier::with_jwks(config, &jwks).expect("a verifier"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    // The token arrives in a query string: any bytes, read as text the way the authorizer does.
    let token = String::from_utf8_lossy(data);
    let harness = harness();
    let verdict = harness.runtime.block_on(harness.verifier.verify(&token));
    if let Ok(claims) = verdict {
        // Only a seed signed with the test key can get here; its claims must be whole.
        assert!(!claims.sub.is_empty());
    }
});
