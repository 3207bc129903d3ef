//! Cognito's SRP sign-in (USER_SRP_AUTH, then the PASSWORD_VERIFIER challenge), computed by
//! the `aws-cognito-srp` crate: the password never leaves the device.
//!
//! The crate draws its secret `a` and the timestamp itself and offers no way to fix them, so
//! the tests here check it the way Cognito does: they play the server with a verifier made
//! from the password, and accept the crate's proof only if it matches. The test's own
//! arithmetic is pinned to known answers computed by pycognito (the Python port of
//! amazon-cognito-identity-js's AuthenticationHelper). Locally moto accepts any proof, so
//! these tests are what tells a wrong computation apart.

use aws_cognito_srp::{SrpClient, User, VerificationParameters};
use num_bigint::BigUint;

use super::AccountError;

/// The 3072-bit group every Cognito pool uses (RFC 5054; generator 2).
pub(crate) const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
);

/// What Cognito's PASSWORD_VERIFIER challenge carries.
#[derive(Debug, Clone)]
pub(crate) struct Challenge<'a> {
    pub user_id_for_srp: &'a str,
    pub salt: &'a str,
    pub srp_b: &'a str,
    pub secret_block: &'a str,
}

/// One SRP sign-in attempt: its secret `a` lives as long as this value.
pub(crate) struct SrpSignIn {
    client: SrpClient<User>,
}

impl SrpSignIn {
    pub fn new(user_pool_id: &str, client_id: &str, username: &str, password: &str) -> Self {
        Self {
            client: SrpClient::new(User::new(user_pool_id, username, password), client_id, None),
        }
    }

    /// `SRP_A` for InitiateAuth.
    pub fn srp_a(&self) -> String {
        self.client.get_auth_parameters().a
    }

    /// The PASSWORD_VERIFIER answer: the claim signature over the secret block and the
    /// timestamp it returns.
    pub fn answer(
        &self,
        challenge: &Challenge<'_>,
    ) -> Result<VerificationParameters, AccountError> {
        // SRP-6a: a client must abort when B is 0 mod N, or a forged B would fix the shared
        // secret without the password. The crate does not check it.
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N is hex");
        let b = BigUint::parse_bytes(challenge.srp_b.as_bytes(), 16)
            .ok_or_else(|| AccountError::Srp("SRP_B is not hexadecimal".into()))?;
        if (b % n) == BigUint::ZERO {
            return Err(AccountError::Srp("SRP_B is 0 mod N: refused".into()));
        }
        self.client
            .verify(
                challenge.secret_block,
                challenge.user_id_for_srp,
                challenge.salt,
                challenge.srp_b,
            )
            .map_err(|e| AccountError::Srp(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    //! Cognito's side of SRP, for the test only: x, k, u, the key derivation and the claim
    //! signature as amazon-cognito-identity-js computes them, pinned to pycognito's answers.
    use super::*;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    use num_bigint::BigInt;
    use sha2::{Digest, Sha256};

    type HmacSha256 = hmac::Hmac<Sha256>;

    fn n() -> BigUint {
        BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap()
    }
    fn g() -> BigUint {
        BigUint::from(2u8)
    }
    fn hex_int(text: &str) -> BigUint {
        BigUint::parse_bytes(text.as_bytes(), 16).unwrap()
    }

    /// Big-endian bytes with a zero in front when the top bit is set (Java's BigInteger
    /// form, which Cognito hashes).
    fn padded(value: &BigUint) -> Vec<u8> {
        let mut bytes = value.to_bytes_be();
        if bytes[0] >= 0x80 {
            bytes.insert(0, 0);
        }
        bytes
    }

    fn sha256(parts: &[&[u8]]) -> Vec<u8> {
        let mut digest = Sha256::new();
        for part in parts {
            digest.update(part);
        }
        digest.finalize().to_vec()
    }

    fn k() -> BigUint {
        BigUint::from_bytes_be(&sha256(&[&padded(&n()), &padded(&g())]))
    }

    fn x(pool_id: &str, user_id: &str, password: &str, salt: &BigUint) -> BigUint {
        let pool_name = pool_id.split_once('_').unwrap().1;
        let identity = sha256(&[format!("{pool_name}{user_id}:{password}").as_bytes()]);
        BigUint::from_bytes_be(&sha256(&[&padded(salt), &identity]))
    }

    fn u(a_pub: &BigUint, b_pub: &BigUint) -> BigUint {
        BigUint::from_bytes_be(&sha256(&[&padded(a_pub), &padded(b_pub)]))
    }

    fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(key).unwrap();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// The claim signature both sides compute from the shared secret S.
    fn signature(
        s: &BigUint,
        u: &BigUint,
        pool_id: &str,
        user_id: &str,
        secret_block: &str,
        timestamp: &str,
    ) -> String {
        let prk = hmac(&padded(u), &[&padded(s)]);
        let key = &hmac(&prk, &[b"Caldera Derived Key\x01"])[..16];
        let pool_name = pool_id.split_once('_').unwrap().1;
        BASE64.encode(hmac(
            key,
            &[
                pool_name.as_bytes(),
                user_id.as_bytes(),
                &BASE64.decode(secret_block).unwrap(),
                timestamp.as_bytes(),
            ],
        ))
    }

    /// The client's side with a chosen `a`: what the known answers were computed with.
    fn client_signature(
        a: &BigUint,
        pool_id: &str,
        user_id: &str,
        password: &str,
        challenge: (&str, &str, &str),
        timestamp: &str,
    ) -> (String, String) {
        let (salt, srp_b, secret_block) = challenge;
        let a_pub = g().modpow(a, &n());
        let b_pub = hex_int(srp_b);
        let u = u(&a_pub, &b_pub);
        let x = x(pool_id, user_id, password, &hex_int(salt));
        let base = BigInt::from(b_pub) - BigInt::from(k() * g().modpow(&x, &n()));
        let s = base
            .modpow(&BigInt::from(a + &u * &x), &BigInt::from(n()))
            .to_biguint()
            .unwrap();
        let signature = signature(&s, &u, pool_id, user_id, secret_block, timestamp);
        (a_pub.to_str_radix(16), signature)
    }

    /// pycognito 2024.5.1 with `a` = 128 bytes of 0x01 gave this (the aws-cognito-srp
    /// crate's own unit test gives the same).
    #[test]
    fn the_test_arithmetic_gives_pycognitos_answer_for_the_crates_vector() {
        let a = BigUint::from_bytes_be(&[1u8; 128]);
        let (a_pub, signature) = client_signature(
            &a,
            "us-west-2_abc",
            "user_id",
            "password",
            (
                "36ef01c6dde9fe503da333b1acc758ba",
                "36ef01c6dde9fe503da333b1acc758ba",
                "9ae77ec7154c14dcc487b47707fee4b4920cb96d8a8c045e4c8df879a7b375524aa736acdec6c9ad4ea606774d00621b",
            ),
            "Mon Feb 10 18:30:12 UTC 2025",
        );
        assert!(
            a_pub.starts_with("b1ce118779e27c1c015d7a226ecae2ea"),
            "{a_pub}"
        );
        assert!(a_pub.ends_with("9dcc0620a626d83a483"), "{a_pub}");
        assert_eq!(signature, "apNSb5GZpJciVc6cVNkDf4elCMoWUZcH4aukLlMPiFA=");
    }

    const POOL: &str = "eu-west-1_Parley42";
    const USER_ID: &str = "6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab";
    const SALT: &str = "9f3a61c2d4e5f60718293a4b5c6d7e8f";
    const SECRET_BLOCK: &str = "AAMGCQwPEhUYGx4hJCcqLTAzNjk8P0JFSEtOUVRXWl1gY2ZpbG9ydXh7foGEh4qNkJOWmZyfoqWoq66xtLe6vcDDxsnMz9LV2Nve4eTn6u3w8/b5/P8=";
    /// k·v + g^b for the password "Correct-Horse-9" and b = bytes 200..232.
    const SRP_B: &str = concat!(
        "51108ca90a891c7e03e62668d2b15d071c7c6e6712ab41475ef913dc9127df489f0e3ba883df37ce80cb",
        "69717eeba9427d2e299aff5e0f21a887a4f04162e3ac8d4f3c81f0a95ba56475fb0c6ab810b8a5cb6ab9",
        "265d82715fe218084a8e608058a5b2850f827ee2c97a2eef8efaa6812d1dce90ad479f8e13358195e172",
        "b0cd7a7585bc15ca5993d3c68bfc2c6505fee841378033062fc78ffd874f26173f37faee9ed513479369",
        "3619b4b61de16aba824a05b60f6ff087ed5e6110550d4a7c0e996f777cc1dbc28e38663fb8c600ce9b29",
        "76b13f54c8a6591811dfbd3133b067f7693ad82c5b71dc60048bc64f6cd89c6d332b79d1dfb89f840ad3",
        "f371c766bd81e014f518b44eae0ae28cb6f35006d3f36bc4d88ce4328ef2520c1f404dfe8d50287db76f",
        "1d575cb575f467cbfb00d7e02e4a6bbfeccca753433e605d65a2866ef249db5265b1047050167143cbe7",
        "67daa66dcbf3a5eced9b01abe09f7f8e76ae868f05f0483d6204ec75ce6b4be3c55622d08e6969043534",
        "6d0b2c0768c2"
    );

    /// pycognito 2024.5.1, `a` = 128 bytes of 0x5a, a salt with its top bit set and a
    /// one-digit day; and a different answer for a password one character off.
    #[test]
    fn the_test_arithmetic_gives_pycognitos_answers_for_a_realistic_vector() {
        let a = BigUint::from_bytes_be(&[0x5a; 128]);
        let challenge = (SALT, SRP_B, SECRET_BLOCK);
        let timestamp = "Tue Mar 3 09:05:07 UTC 2026";
        let (a_pub, right) =
            client_signature(&a, POOL, USER_ID, "Correct-Horse-9", challenge, timestamp);
        assert!(
            a_pub.starts_with("1fcb51627342733308bd716c3bb94191"),
            "{a_pub}"
        );
        assert_eq!(right, "gfj4ixNz0wWclv8ylNgf58ooyMu92yPGJNMgD22peUo=");
        let (_, wrong) =
            client_signature(&a, POOL, USER_ID, "Correct-Horse-8", challenge, timestamp);
        assert_eq!(wrong, "55t6+U1Rxe6RKAS6io54tSFcLRhTzSwNAjlupettgdc=");
    }

    /// Cognito's check of a PASSWORD_VERIFIER answer: the server knows the verifier
    /// v = g^x and its own b; S = (A·v^u)^b.
    fn server_accepts(
        password_on_file: &str,
        srp_a: &str,
        answer: &VerificationParameters,
        b_secret: &BigUint,
    ) -> bool {
        let v = g().modpow(&x(POOL, USER_ID, password_on_file, &hex_int(SALT)), &n());
        let b_pub = (k() * &v + g().modpow(b_secret, &n())) % n();
        let a_pub = hex_int(srp_a);
        let u = u(&a_pub, &b_pub);
        let s = (a_pub * v.modpow(&u, &n())).modpow(b_secret, &n());
        answer.password_claim_signature
            == signature(&s, &u, POOL, USER_ID, SECRET_BLOCK, &answer.timestamp)
            && answer.password_claim_secret_block == SECRET_BLOCK
    }

    fn sign_in_answer(password: &str, b_secret: &BigUint) -> (String, VerificationParameters) {
        let v = g().modpow(&x(POOL, USER_ID, "Correct-Horse-9", &hex_int(SALT)), &n());
        let b_pub = (k() * &v + g().modpow(b_secret, &n())) % n();
        let srp = SrpSignIn::new(POOL, "client", "ann@example.test", password);
        let srp_a = srp.srp_a();
        let srp_b = b_pub.to_str_radix(16);
        let answer = srp
            .answer(&Challenge {
                user_id_for_srp: USER_ID,
                salt: SALT,
                srp_b: &srp_b,
                secret_block: SECRET_BLOCK,
            })
            .unwrap();
        (srp_a, answer)
    }

    #[test]
    fn cognito_would_accept_the_crates_proof_for_the_right_password_only() {
        let b_secret = BigUint::from_bytes_be(&[7u8; 32]);
        let (srp_a, answer) = sign_in_answer("Correct-Horse-9", &b_secret);
        assert!(server_accepts(
            "Correct-Horse-9",
            &srp_a,
            &answer,
            &b_secret
        ));

        let (srp_a, wrong) = sign_in_answer("Correct-Horse-8", &b_secret);
        assert!(!server_accepts(
            "Correct-Horse-9",
            &srp_a,
            &wrong,
            &b_secret
        ));
        assert_ne!(
            wrong.password_claim_signature,
            answer.password_claim_signature
        );
    }

    #[test]
    fn each_sign_in_draws_a_fresh_secret() {
        let one = SrpSignIn::new(POOL, "client", "ann@example.test", "pw").srp_a();
        let two = SrpSignIn::new(POOL, "client", "ann@example.test", "pw").srp_a();
        assert_ne!(one, two);
        assert!(hex_int(&one) < n());
    }

    #[test]
    fn the_timestamp_is_in_cognitos_form() {
        let (_, answer) = sign_in_answer("Correct-Horse-9", &BigUint::from(12345u32));
        // "Tue Mar 3 09:05:07 UTC 2026": the day without a leading zero.
        let parts: Vec<&str> = answer.timestamp.split(' ').collect();
        assert_eq!(parts.len(), 6, "{}", answer.timestamp);
        assert!(!parts[2].starts_with('0'), "{}", answer.timestamp);
        assert_eq!(parts[4], "UTC", "{}", answer.timestamp);
        assert_eq!(parts[3].len(), 8, "{}", answer.timestamp);
    }

    #[test]
    fn a_b_of_zero_mod_n_is_refused() {
        let srp = SrpSignIn::new(POOL, "client", "ann@example.test", "pw");
        for srp_b in ["0", N_HEX, &(n() * 2u8).to_str_radix(16)] {
            let refused = srp.answer(&Challenge {
                user_id_for_srp: USER_ID,
                salt: SALT,
                srp_b,
                secret_block: SECRET_BLOCK,
            });
            assert!(
                matches!(refused, Err(AccountError::Srp(ref m)) if m.contains("0 mod N")),
                "{refused:?}"
            );
        }
        let not_hex = srp.answer(&Challenge {
            user_id_for_srp: USER_ID,
            salt: SALT,
            srp_b: "xyz",
            secret_block: SECRET_BLOCK,
        });
        assert!(matches!(not_hex, Err(AccountError::Srp(_))), "{not_hex:?}");
    }
}
