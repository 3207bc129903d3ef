//! The user pool's signing keys, fetched from the configured JWKS URL and kept for the life of
//! the process, so a warm Lambda verifies without a network call. An unknown `kid` (Cognito
//! rotated its keys) triggers a refetch, but at most once per [`MIN_JWKS_REFETCH_INTERVAL`] so a
//! flood of tokens with made-up kids cannot turn into a flood of requests to Cognito.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::DecodingKey;
use tokio::sync::Mutex;

use super::AuthError;

/// Fetches happen at most this often, whatever the tokens say.
pub const MIN_JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// Short, because the authorizer's caller (a client opening a WebSocket) is waiting.
pub const JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(3);

type KeysByKid = HashMap<String, Arc<DecodingKey>>;

pub(super) struct JwksCache {
    url: String,
    http: reqwest::Client,
    /// Held across a fetch, so concurrent verifications wait for one fetch instead of each
    /// starting their own.
    state: Mutex<CachedKeys>,
}

struct CachedKeys {
    keys: KeysByKid,
    /// When the last fetch was attempted, successful or not; `None` before the first one.
    fetched_at: Option<Instant>,
}

impl CachedKeys {
    fn may_fetch(&self) -> bool {
        self.fetched_at
            .is_none_or(|at| at.elapsed() >= MIN_JWKS_REFETCH_INTERVAL)
    }
}

impl JwksCache {
    /// An empty cache: the first verification fetches.
    pub(super) fn new(url: String) -> Result<Self, AuthError> {
        Self::build(url, KeysByKid::new(), None)
    }

    /// A cache that starts with `jwks` as if it had just been fetched.
    pub(super) fn preloaded(url: String, jwks: &JwkSet) -> Result<Self, AuthError> {
        Self::build(url, usable_keys(jwks), Some(Instant::now()))
    }

    fn build(url: String, keys: KeysByKid, fetched_at: Option<Instant>) -> Result<Self, AuthError> {
        let http = reqwest::Client::builder()
            .timeout(JWKS_FETCH_TIMEOUT)
            .connect_timeout(JWKS_FETCH_TIMEOUT)
            // Keys come from the configured URL and nowhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(AuthError::HttpClient)?;
        Ok(Self {
            url,
            http,
            state: Mutex::new(CachedKeys { keys, fetched_at }),
        })
    }

    /// The key for `kid`, refetching the JWKS first if `kid` is unknown and the last fetch is
    /// old enough.
    pub(super) async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, AuthError> {
        let mut cached = self.state.lock().await;
        if let Some(key) = cached.keys.get(kid) {
            return Ok(key.clone());
        }
        if !cached.may_fetch() {
            return Err(AuthError::UnknownKid(kid.to_owned()));
        }
        // Stamped before fetching so that a failing endpoint is not retried on every token.
        cached.fetched_at = Some(Instant::now());
        cached.keys = self.fetch().await?;
        cached
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| AuthError::UnknownKid(kid.to_owned()))
    }

    async fn fetch(&self) -> Result<KeysByKid, AuthError> {
        tracing::info!(url = %self.url, "fetching JWKS");
        let jwks: JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(AuthError::JwksFetch)?
            .json()
            .await
            .map_err(AuthError::JwksFetch)?;
        Ok(usable_keys(&jwks))
    }
}

/// The RS256 signing keys of `jwks`, by kid. Anything else in the set (encryption keys, other
/// algorithms, keys without a kid) is skipped rather than failing the whole set.
fn usable_keys(jwks: &JwkSet) -> KeysByKid {
    jwks.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.as_ref()?;
            let is_rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
            let alg_ok = jwk
                .common
                .key_algorithm
                .is_none_or(|alg| alg == KeyAlgorithm::RS256);
            let use_ok = jwk
                .common
                .public_key_use
                .as_ref()
                .is_none_or(|key_use| *key_use == PublicKeyUse::Signature);
            if !(is_rsa && alg_ok && use_ok) {
                tracing::debug!(kid, "skipping a JWK that is not an RS256 signing key");
                return None;
            }
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => Some((kid.clone(), Arc::new(key))),
                Err(error) => {
                    tracing::warn!(kid, %error, "skipping an unreadable JWK");
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{jwk_set, JwksServer, KEY_1, KEY_2};
    use super::*;

    fn cache_for(server: &JwksServer) -> JwksCache {
        JwksCache::new(server.url()).unwrap()
    }

    /// Pretends the last fetch happened a full window ago, instead of sleeping through it.
    async fn expire_refetch_window(cache: &JwksCache) {
        let mut cached = cache.state.lock().await;
        cached.fetched_at = Instant::now().checked_sub(MIN_JWKS_REFETCH_INTERVAL);
    }

    #[tokio::test]
    async fn first_use_fetches_and_later_uses_hit_the_cache() {
        let server = JwksServer::start(jwk_set(&[&KEY_1])).await;
        let cache = cache_for(&server);
        assert_eq!(
            server.requests(),
            0,
            "nothing is fetched before it is needed"
        );

        for _ in 0..3 {
            cache.key(KEY_1.kid).await.unwrap();
        }
        assert_eq!(server.requests(), 1);
    }

    #[tokio::test]
    async fn unknown_kid_refetches_at_most_once_per_window() {
        let server = JwksServer::start(jwk_set(&[&KEY_1])).await;
        let cache = cache_for(&server);
        cache.key(KEY_1.kid).await.unwrap();
        expire_refetch_window(&cache).await;

        for _ in 0..3 {
            let error = cache.key("made-up-kid").await.unwrap_err();
            assert!(matches!(error, AuthError::UnknownKid(kid) if kid == "made-up-kid"));
        }
        assert_eq!(
            server.requests(),
            2,
            "one refetch, then refused without fetching"
        );

        // Known kids keep working inside the window.
        cache.key(KEY_1.kid).await.unwrap();
        assert_eq!(server.requests(), 2);
    }

    #[tokio::test]
    async fn unknown_kid_right_after_a_fetch_is_refused_without_fetching() {
        let server = JwksServer::start(jwk_set(&[&KEY_1])).await;
        let cache = cache_for(&server);
        cache.key(KEY_1.kid).await.unwrap();

        let error = cache.key(KEY_2.kid).await.unwrap_err();
        assert!(matches!(error, AuthError::UnknownKid(_)));
        assert_eq!(server.requests(), 1);
    }

    #[tokio::test]
    async fn rotated_key_is_picked_up_after_the_window() {
        let server = JwksServer::start(jwk_set(&[&KEY_1])).await;
        let cache = cache_for(&server);
        cache.key(KEY_1.kid).await.unwrap();

        // Cognito rotates: the old key is gone, a new one is published.
        server.publish(jwk_set(&[&KEY_2]));
        assert!(
            cache.key(KEY_2.kid).await.is_err(),
            "still inside the window"
        );
        assert_eq!(server.requests(), 1);

        expire_refetch_window(&cache).await;
        cache.key(KEY_2.kid).await.unwrap();
        assert_eq!(server.requests(), 2);
        assert!(
            matches!(cache.key(KEY_1.kid).await, Err(AuthError::UnknownKid(_))),
            "a key dropped from the JWKS is dropped from the cache"
        );
        assert_eq!(server.requests(), 2);
    }

    #[tokio::test]
    async fn failed_fetch_counts_towards_the_window() {
        let server = JwksServer::start(jwk_set(&[&KEY_1])).await;
        let cache = JwksCache::new(format!("{}/missing", server.url())).unwrap();

        assert!(matches!(
            cache.key(KEY_1.kid).await,
            Err(AuthError::JwksFetch(_))
        ));
        assert!(matches!(
            cache.key(KEY_1.kid).await,
            Err(AuthError::UnknownKid(_))
        ));
        assert_eq!(server.requests(), 1);
    }

    #[tokio::test]
    async fn preloaded_keys_need_no_fetch() {
        let server = JwksServer::start(jwk_set(&[&KEY_2])).await;
        let cache = JwksCache::preloaded(server.url(), &jwk_set(&[&KEY_1])).unwrap();

        cache.key(KEY_1.kid).await.unwrap();
        assert!(cache.key(KEY_2.kid).await.is_err());
        assert_eq!(server.requests(), 0);
    }

    #[test]
    fn only_rs256_signing_keys_are_kept() {
        let mut jwks = jwk_set(&[&KEY_1, &KEY_2]);
        jwks.keys[1].common.public_key_use = Some(PublicKeyUse::Encryption);
        let mut without_kid = jwks.keys[0].clone();
        without_kid.common.key_id = None;
        jwks.keys.push(without_kid);
        let mut rs512 = jwks.keys[0].clone();
        rs512.common.key_id = Some("rs512".into());
        rs512.common.key_algorithm = Some(KeyAlgorithm::RS512);
        jwks.keys.push(rs512);

        let keys = usable_keys(&jwks);
        assert_eq!(keys.keys().collect::<Vec<_>>(), [KEY_1.kid]);
    }
}
