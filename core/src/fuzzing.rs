//! Entry points for the `cargo fuzz` targets in `fuzz/`: each feeds untrusted bytes to one of
//! the core's parsers (token answers, configuration, JWT claims, cache documents). Not part of
//! the public API; nothing outside `fuzz/` and tests should call it.

use std::time::Duration;

use serde_json::Value;

use crate::cache::document::{self, SealKey};
use crate::config::Config;
use crate::secret::SecretSource;
use crate::settings::Settings;
use crate::token::{jwt_claims, jwt_exp, jwt_header, Token};

/// `issued_at` values a token answer is parsed against: a realistic now, and the epoch.
const ISSUED_AT_NS: [i64; 2] = [1_700_000_000_000_000_000, 0];

/// The cache key and fingerprint the cache-document seeds were written for, so the fuzzer
/// gets past the key and fingerprint checks.
pub const CACHE_KEY: &str = "fuzz-key";
/// See [`CACHE_KEY`].
pub const CACHE_FP: [u8; 32] = [0x11; 32];
/// The `cache_secret` of the sealed seeds.
pub const CACHE_SECRET: &str = "fuzz-cache-secret";

/// A token endpoint's 2xx body, as the client parses it.
pub fn token_response(data: &[u8]) {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for (i, issued_at) in ISSUED_AT_NS.into_iter().enumerate() {
        let previous = (i % 2 == 1).then_some(("previous-refresh", Some(issued_at / 2)));
        if let Ok(t) = Token::from_response(map.clone(), issued_at, Duration::from_secs(300), previous) {
            exercise(&t);
        }
    }
}

/// Every accessor a caller may use on a token, and the form a shared cache stores.
fn exercise(t: &Token) {
    let _ = (t.access_token(), t.token_type(), t.authorization(), t.scope(), t.id_token(), t.refresh_token());
    let _ = (t.expires_at(), t.expires_at_unix(), t.expires_in(), t.issued_at(), t.refresh_expires_at());
    let _ = (t.extra_json(), format!("{t:?}"));
    if let Some(back) = Token::from_stored(&t.to_stored()) {
        let _ = (back.expires_in(), back.expires_at(), format!("{back:?}"));
    }
}

/// A configuration document (JSON or TOML), parsed, then validated as `Client::new` does,
/// minus the file system: secrets from files become inline values and `ca_file` is dropped.
pub fn config(text: &str, toml: bool) {
    let parsed = if toml { Config::from_toml(text) } else { Config::from_json(text) };
    let Ok(mut c) = parsed else {
        return;
    };
    let _ = format!("{c:?}");
    c.ca_file = None;
    for s in [&mut c.client_secret, &mut c.password, &mut c.refresh_token, &mut c.cache_secret].into_iter().flatten() {
        if let SecretSource::File(p) = s {
            *s = SecretSource::value(p.to_string_lossy().into_owned());
        }
    }
    let _ = Settings::build(c);
}

/// JWT decoding without verification, as `tokenwell inspect` and the `exp` fallback use it.
pub fn jwt(text: &str) {
    let _ = (jwt_claims(text), jwt_header(text), jwt_exp(text));
}

/// A shared-cache document (file or Redis value), read as a client with the seeds' key and
/// fingerprint would, with and without `cache_secret`.
pub fn cache_document(data: &[u8]) {
    let key = SealKey::derive(CACHE_SECRET);
    for seal in [None, Some(&key)] {
        if let Ok(entry) = document::decode(data, CACHE_KEY, &CACHE_FP, seal) {
            if let Some(t) = Token::from_stored(&entry.token) {
                exercise(&t);
            }
        }
    }
}

/// A cache document holding `token` (a JSON object of the stored form), for seed corpora.
pub fn encode_cache_document(token: &Value, sealed: bool) -> Option<Vec<u8>> {
    let stored = serde_json::from_value(token.clone()).ok()?;
    let key = SealKey::derive(CACHE_SECRET);
    Some(document::encode(CACHE_KEY, &CACHE_FP, &stored, None, sealed.then_some(&key), 1_700_000_000_000))
}
