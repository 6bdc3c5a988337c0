//! The versioned document a shared cache stores per cache key (docs/cache-format.md): the same
//! bytes in a file or a Redis value, whichever language wrote them. With `cache_secret` the
//! token is sealed with AES-256-GCM; either way the entry carries the keyed fingerprint of the
//! credentials that fetched it and is served only to a caller with the same fingerprint.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::token::StoredToken;

pub(crate) const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Document {
    v: u32,
    key: String,
    fp: String,
    written_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<StoredToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<Failure>,
}

/// The last `oauth` error for this key and these credentials, re-raised by every process until
/// `until_ms` (`error_backoff`): a loop of new processes (the CLI in a shell loop) sends the same
/// wrong credentials once, not once per process. Holds what an error shows, never a secret.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub until_ms: i64,
    pub status: u16,
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    pub message: String,
}

/// A verified entry: its token (without an access token after `invalidate()` or when only a
/// failure was recorded) and the failure in force, if any.
pub(crate) struct Entry {
    pub token: StoredToken,
    pub failure: Option<Failure>,
    pub written_at_ms: i64,
}

/// Why an entry was not served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Miss {
    /// Not JSON, truncated, another version, or for another key.
    Corrupt(&'static str),
    /// Fetched with other credentials (or another salt).
    OtherCredentials,
    /// Sealed, and this client has no or another `cache_secret`.
    CannotUnseal,
}

/// The AES-256-GCM key derived from `cache_secret`.
pub(crate) struct SealKey(Zeroizing<[u8; 32]>);

impl SealKey {
    pub fn derive(cache_secret: &str) -> SealKey {
        let mut h = Sha256::new();
        h.update(b"tokenwell:v1:seal\0");
        h.update(cache_secret.as_bytes());
        SealKey(Zeroizing::new(h.finalize().into()))
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

pub(crate) fn encode(
    key: &str,
    fp: &[u8; 32],
    token: &StoredToken,
    failure: Option<&Failure>,
    seal: Option<&SealKey>,
    now_ms: i64,
) -> Vec<u8> {
    let (token, sealed) = match seal {
        None => (Some(token.clone()), None),
        Some(k) => {
            let plain = Zeroizing::new(serde_json::to_vec(token).unwrap_or_default());
            let mut nonce = [0u8; 12];
            if getrandom::getrandom(&mut nonce).is_err() {
                nonce.copy_from_slice(&Sha256::digest(now_ms.to_be_bytes())[..12]);
            }
            let cipher = Aes256Gcm::new_from_slice(k.0.as_slice()).ok();
            let sealed = cipher
                .and_then(|c| c.encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: key.as_bytes() }).ok());
            let mut out = nonce.to_vec();
            out.extend(sealed.unwrap_or_default());
            (None, Some(b64().encode(out)))
        }
    };
    let failure = failure.cloned();
    let doc = Document { v: VERSION, key: key.to_owned(), fp: hex(fp), written_at_ms: now_ms, token, sealed, failure };
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

/// Reads a document; serves its token only to the expected key and fingerprint.
pub(crate) fn decode(bytes: &[u8], key: &str, fp: &[u8; 32], seal: Option<&SealKey>) -> Result<Entry, Miss> {
    let doc: Document = serde_json::from_slice(bytes).map_err(|_| Miss::Corrupt("not a tokenwell cache document"))?;
    if doc.v != VERSION {
        return Err(Miss::Corrupt("another format version"));
    }
    if doc.key != key {
        return Err(Miss::Corrupt("written for another key"));
    }
    if doc.fp != hex(fp) {
        return Err(Miss::OtherCredentials);
    }
    let (failure, written_at_ms) = (doc.failure, doc.written_at_ms);
    let token = match (doc.token, doc.sealed, seal) {
        (Some(t), None, _) => Ok(t),
        (None, Some(sealed), Some(k)) => {
            let raw = b64().decode(sealed).map_err(|_| Miss::Corrupt("sealed value is not base64"))?;
            if raw.len() < 12 + 16 {
                return Err(Miss::Corrupt("sealed value too short"));
            }
            let cipher = Aes256Gcm::new_from_slice(k.0.as_slice()).map_err(|_| Miss::CannotUnseal)?;
            let plain = cipher
                .decrypt(Nonce::from_slice(&raw[..12]), Payload { msg: &raw[12..], aad: key.as_bytes() })
                .map_err(|_| Miss::CannotUnseal)?;
            let plain = Zeroizing::new(plain);
            serde_json::from_slice(&plain).map_err(|_| Miss::Corrupt("sealed token is not valid"))
        }
        (None, Some(_), None) => Err(Miss::CannotUnseal),
        _ => Err(Miss::Corrupt("no token")),
    }?;
    Ok(Entry { token, failure, written_at_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> StoredToken {
        serde_json::from_value(serde_json::json!({
            "access_token": "at-123", "token_type": "Bearer", "issued_at_ms": 1, "expires_at_ms": 2,
            "refresh_token": "rt-456"
        }))
        .unwrap()
    }

    #[test]
    fn plain_round_trip_checks_key_and_fingerprint() {
        let fp = [7u8; 32];
        let bytes = encode("k", &fp, &token(), None, None, 5);
        assert_eq!(decode(&bytes, "k", &fp, None).unwrap().token.access_token.as_deref(), Some("at-123"));
        assert_eq!(decode(&bytes, "k", &[8u8; 32], None).err(), Some(Miss::OtherCredentials));
        assert!(matches!(decode(&bytes, "other", &fp, None), Err(Miss::Corrupt(_))));
        assert!(matches!(decode(&bytes[..bytes.len() / 2], "k", &fp, None), Err(Miss::Corrupt(_))));
    }

    #[test]
    fn sealed_needs_the_secret() {
        let fp = [7u8; 32];
        let k = SealKey::derive("s3cret");
        let bytes = encode("k", &fp, &token(), None, Some(&k), 5);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains("at-123") && !text.contains("rt-456"), "{text}");
        assert_eq!(decode(&bytes, "k", &fp, Some(&k)).unwrap().token.refresh_token.as_deref(), Some("rt-456"));
        assert_eq!(decode(&bytes, "k", &fp, Some(&SealKey::derive("other"))).err(), Some(Miss::CannotUnseal));
        assert_eq!(decode(&bytes, "k", &fp, None).err(), Some(Miss::CannotUnseal));
    }

    #[test]
    fn a_failure_travels_beside_the_token() {
        let fp = [7u8; 32];
        let f = Failure {
            until_ms: 99,
            status: 401,
            error: "invalid_grant".into(),
            error_description: Some("Invalid user credentials".into()),
            error_uri: None,
            message: "refused".into(),
        };
        let k = SealKey::derive("s3cret");
        let bytes = encode("k", &fp, &token(), Some(&f), Some(&k), 5);
        let e = decode(&bytes, "k", &fp, Some(&k)).unwrap();
        assert_eq!(e.failure, Some(f));
        assert_eq!(e.token.access_token.as_deref(), Some("at-123"));
        assert_eq!(decode(&bytes, "k", &[8u8; 32], Some(&k)).err(), Some(Miss::OtherCredentials));
    }
}
