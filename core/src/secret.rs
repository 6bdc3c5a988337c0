//! Secrets in configuration: given inline, from an environment variable, or from a file; held in
//! memory that is zeroized on drop and never printed.

use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::error::Error;

/// Where a secret comes from: `"value"`, `{"env": "NAME"}` or `{"file": "/path"}`.
///
/// ```
/// let s: tokenwell::SecretSource = serde_json::from_str(r#"{"env": "MY_SECRET"}"#).unwrap();
/// assert_eq!(format!("{s:?}"), r#"Env("MY_SECRET")"#);
/// ```
#[derive(Clone)]
pub enum SecretSource {
    /// The secret itself.
    Value(SecretString),
    /// Read from this environment variable when the client is built.
    Env(String),
    /// Read from this file when the client is built (trailing whitespace stripped).
    File(PathBuf),
}

impl SecretSource {
    /// A secret given inline.
    pub fn value(s: impl Into<String>) -> Self {
        SecretSource::Value(SecretString::from(s.into()))
    }

    pub(crate) fn resolve(&self, key: &str) -> Result<SecretString, Error> {
        match self {
            SecretSource::Value(s) => Ok(s.clone()),
            SecretSource::Env(name) => match std::env::var(name) {
                Ok(v) if !v.is_empty() => Ok(SecretString::from(v)),
                Ok(_) => Err(Error::config(
                    key,
                    format!("`{key}` comes from the environment variable {name}, which is empty: set it"),
                )),
                Err(_) => Err(Error::config(
                    key,
                    format!("`{key}` comes from the environment variable {name}, which is not set: export it"),
                )),
            },
            SecretSource::File(path) => {
                let mut text = std::fs::read_to_string(path).map_err(|e| {
                    Error::config(
                        key,
                        format!("`{key}` comes from the file {}, which cannot be read ({e}): check the path and its permissions", path.display()),
                    )
                })?;
                let trimmed = text.trim_end().len();
                text.truncate(trimmed);
                if text.is_empty() {
                    return Err(Error::config(
                        key,
                        format!("`{key}` comes from the file {}, which is empty", path.display()),
                    ));
                }
                Ok(SecretString::from(text))
            }
        }
    }
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Value(_) => f.write_str("Value([redacted])"),
            SecretSource::Env(n) => f.debug_tuple("Env").field(n).finish(),
            SecretSource::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

impl From<&str> for SecretSource {
    fn from(s: &str) -> Self {
        SecretSource::value(s)
    }
}

impl From<String> for SecretSource {
    fn from(s: String) -> Self {
        SecretSource::value(s)
    }
}

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretSource;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a string, {"env": "NAME"} or {"file": "/path"}"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretSource, E> {
                Ok(SecretSource::value(v))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<SecretSource, E> {
                Ok(SecretSource::value(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretSource, A::Error> {
                let Some(k) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(r#"expected {"env": "NAME"} or {"file": "/path"}, got {}"#));
                };
                let v: String = map.next_value()?;
                let out = match k.as_str() {
                    "env" => SecretSource::Env(v),
                    "file" => SecretSource::File(PathBuf::from(v)),
                    other => {
                        return Err(de::Error::custom(format!(
                            r#"unknown secret source `{other}`: use {{"env": "NAME"}} or {{"file": "/path"}}"#
                        )))
                    }
                };
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom(r#"a secret source has exactly one key, "env" or "file""#));
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// A URL as it may be shown (a `Debug` print, `tokenwell profiles`): its password and query
/// string, where credentials are sometimes put (`redis://:pw@host`, `?api_key=…`), become
/// `[redacted]`. Text that is not a URL is returned unchanged.
pub(crate) fn shown_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut u) if u.password().is_some() || u.query().is_some() => {
            if u.password().is_some() {
                let _ = u.set_password(Some("[redacted]"));
            }
            if u.query().is_some() {
                u.set_query(Some("[redacted]"));
            }
            u.to_string().replace("%5Bredacted%5D", "[redacted]")
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod shown_url_tests {
    #[test]
    fn password_and_query_are_hidden() {
        assert_eq!(super::shown_url("redis://:pw-1@h:6379/0"), "redis://:[redacted]@h:6379/0");
        assert_eq!(super::shown_url("https://h/t?key=k-2"), "https://h/t?[redacted]");
        assert_eq!(super::shown_url("https://h/t"), "https://h/t");
        assert_eq!(super::shown_url("file:/dir"), "file:/dir");
        assert_eq!(super::shown_url("memory"), "memory");
    }
}
