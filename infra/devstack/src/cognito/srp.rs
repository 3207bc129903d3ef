//! SRP sign-in (`USER_SRP_AUTH`) as real clients can speak it. moto answers the first step
//! with its session id, a UUID, as `SECRET_BLOCK`, which Cognito sends as base64 and every SRP
//! client decodes before signing; so the block is handed out base64-encoded here and decoded
//! again when the client returns it in `PASSWORD_CLAIM_SECRET_BLOCK`.
//!
//! moto checks no SRP proof (a wrong password signs in too): locally, password checks belong
//! to `USER_PASSWORD_AUTH`. What this makes testable is the client's side of the exchange.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

/// `InitiateAuth`'s answer with its `SECRET_BLOCK` base64-encoded, when it is an SRP challenge.
pub fn encode_secret_block(response: &[u8]) -> Option<Vec<u8>> {
    let mut answer: Value = serde_json::from_slice(response).ok()?;
    let block = answer
        .pointer_mut("/ChallengeParameters/SECRET_BLOCK")
        .filter(|_| {
            response
                .windows(b"PASSWORD_VERIFIER".len())
                .any(|w| w == b"PASSWORD_VERIFIER")
        })?;
    let encoded = STANDARD.encode(block.as_str()?);
    *block = Value::String(encoded);
    serde_json::to_vec(&answer).ok()
}

/// A `RespondToAuthChallenge` request with the block the client returns decoded back to the
/// session id moto knows it by.
pub fn decode_secret_block(request: &[u8]) -> Option<Vec<u8>> {
    let mut request: Value = serde_json::from_slice(request).ok()?;
    if request["ChallengeName"] != "PASSWORD_VERIFIER" {
        return None;
    }
    let block = request.pointer_mut("/ChallengeResponses/PASSWORD_CLAIM_SECRET_BLOCK")?;
    let decoded = STANDARD.decode(block.as_str()?).ok()?;
    *block = Value::String(String::from_utf8(decoded).ok()?);
    serde_json::to_vec(&request).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_block_goes_out_encoded_and_comes_back_decoded() {
        let moto = json!({"ChallengeName": "PASSWORD_VERIFIER", "Session": "s-1",
            "ChallengeParameters": {"SALT": "ab", "SRP_B": "cd", "USERNAME": "u",
            "USER_ID_FOR_SRP": "u", "SECRET_BLOCK": "5f0c7e1a-session"}});
        let sent: Value =
            serde_json::from_slice(&encode_secret_block(moto.to_string().as_bytes()).unwrap())
                .unwrap();
        let block = sent["ChallengeParameters"]["SECRET_BLOCK"]
            .as_str()
            .unwrap();
        assert_eq!(STANDARD.decode(block).unwrap(), b"5f0c7e1a-session");
        assert_eq!(sent["ChallengeParameters"]["SRP_B"], "cd");

        let reply = json!({"ChallengeName": "PASSWORD_VERIFIER", "ClientId": "c",
            "ChallengeResponses": {"USERNAME": "u", "PASSWORD_CLAIM_SECRET_BLOCK": block,
            "PASSWORD_CLAIM_SIGNATURE": "sig", "TIMESTAMP": "t"}});
        let forwarded: Value =
            serde_json::from_slice(&decode_secret_block(reply.to_string().as_bytes()).unwrap())
                .unwrap();
        assert_eq!(
            forwarded["ChallengeResponses"]["PASSWORD_CLAIM_SECRET_BLOCK"],
            "5f0c7e1a-session"
        );
    }

    #[test]
    fn other_answers_and_requests_pass_unchanged() {
        let tokens = json!({"AuthenticationResult": {"IdToken": "x"}});
        assert_eq!(encode_secret_block(tokens.to_string().as_bytes()), None);
        let new_password = json!({"ChallengeName": "NEW_PASSWORD_REQUIRED"});
        assert_eq!(
            decode_secret_block(new_password.to_string().as_bytes()),
            None
        );
    }
}
