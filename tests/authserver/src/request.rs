//! A token request as received: body decoding (form / JSON), HTTP Basic client credentials
//! (RFC 6749 §2.3.1) and the JSON record `/_requests` shows.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, Method};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::state::now_ms;

/// The media type of a request, lower-cased, parameters dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Media {
    Form,
    Json,
    None,
    Other,
}

pub enum Basic {
    Absent,
    Malformed,
    Creds { client_id: String, secret: String },
}

pub struct TokenRequest {
    pub method: Method,
    /// Path relative to the namespace's server URL, e.g. `/token`.
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub content_type: Option<String>,
    pub media: Media,
    pub body: Bytes,
    /// Form pairs in order (only for a form body).
    pub form: Option<Vec<(String, String)>>,
    /// The parsed JSON body (only for a JSON media type and valid JSON).
    pub json: Option<Value>,
    pub basic: Basic,
    /// The namespace's server URL as the client addressed it (`http://host:port[/t/ns]`).
    pub base: String,
}

impl TokenRequest {
    pub fn new(
        method: Method,
        path: String,
        query: Option<String>,
        headers: HeaderMap,
        body: Bytes,
        base: String,
    ) -> Self {
        let content_type =
            headers.get(header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let media = media_of(content_type.as_deref());
        let form = (media == Media::Form).then(|| url::form_urlencoded::parse(&body).into_owned().collect());
        let json = if media == Media::Json { serde_json::from_slice(&body).ok() } else { None };
        let basic = parse_basic(&headers);
        TokenRequest { method, path, query, headers, content_type, media, body, form, json, basic, base }
    }

    /// A string field of a form or JSON-object body (the first, for a repeated form field).
    pub fn field(&self, name: &str) -> Option<String> {
        if let Some(form) = &self.form {
            return form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        }
        match self.json.as_ref().and_then(|j| j.get(name)) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// The client id the request names (Basic first, then the body).
    pub fn client_id(&self) -> Option<String> {
        match &self.basic {
            Basic::Creds { client_id, .. } => Some(client_id.clone()),
            _ => self.field("client_id"),
        }
    }

    /// The JSON record shown by `/_requests`.
    pub fn record(&self) -> Value {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in &self.headers {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_string())
                .and_modify(|e| {
                    e.push_str(", ");
                    e.push_str(&v)
                })
                .or_insert(v);
        }
        let form = self.form.as_ref().map(|pairs| {
            let mut m = Map::new();
            for (k, v) in pairs {
                match m.get_mut(k) {
                    None => {
                        m.insert(k.clone(), json!(v));
                    }
                    Some(Value::Array(a)) => a.push(json!(v)),
                    Some(prev) => *prev = json!([prev.clone(), v]),
                }
            }
            Value::Object(m)
        });
        let basic = match &self.basic {
            Basic::Creds { client_id, secret } => {
                json!({"client_id": client_id, "client_secret": secret})
            }
            _ => Value::Null,
        };
        json!({
            "method": self.method.as_str(),
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "content_type": self.content_type,
            "body": String::from_utf8_lossy(&self.body),
            "form": form,
            "json": self.json,
            "basic": basic,
            "at_ms": now_ms(),
        })
    }
}

pub fn media_of(content_type: Option<&str>) -> Media {
    let Some(ct) = content_type else {
        return Media::None;
    };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime == "application/x-www-form-urlencoded" {
        Media::Form
    } else if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        Media::Json
    } else {
        Media::Other
    }
}

/// RFC 6749 §2.3.1: base64, split on the first `:`, form-urldecode both halves.
pub fn parse_basic(headers: &HeaderMap) -> Basic {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Basic::Absent;
    };
    let Ok(value) = value.to_str() else {
        return Basic::Malformed;
    };
    let mut parts = value.trim().splitn(2, ' ');
    let scheme = parts.next().unwrap_or("");
    if !scheme.eq_ignore_ascii_case("basic") {
        return Basic::Absent;
    }
    let Ok(raw) = STANDARD.decode(parts.next().unwrap_or("").trim()) else {
        return Basic::Malformed;
    };
    let Ok(text) = String::from_utf8(raw) else {
        return Basic::Malformed;
    };
    let Some((id, secret)) = text.split_once(':') else {
        return Basic::Malformed;
    };
    match (form_urldecode(id), form_urldecode(secret)) {
        (Some(client_id), Some(secret)) => Basic::Creds { client_id, secret },
        _ => Basic::Malformed,
    }
}

/// `application/x-www-form-urlencoded` decoding of one value: `+` is a space, `%XX` a byte.
/// `None` when the result is not UTF-8. A `%` not followed by two hex digits stays as is.
pub fn form_urldecode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic_of(raw: &str) -> Basic {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode(raw));
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&v).expect("hv"));
        parse_basic(&h)
    }

    #[test]
    fn basic_is_form_urldecoded_and_split_on_first_colon() {
        match basic_of("my%3Aclient:p%40ss+word:x") {
            Basic::Creds { client_id, secret } => {
                assert_eq!(client_id, "my:client");
                assert_eq!(secret, "p@ss word:x");
            }
            _ => panic!("expected creds"),
        }
        assert!(matches!(basic_of("nocolon"), Basic::Malformed));
    }

    #[test]
    fn urldecode_edges() {
        assert_eq!(form_urldecode("a%2"), Some("a%2".into()));
        assert_eq!(form_urldecode("%zz"), Some("%zz".into()));
        assert_eq!(form_urldecode("%C3%A9"), Some("é".into()));
        assert_eq!(form_urldecode("%FF"), None);
    }

    #[test]
    fn media_types() {
        assert_eq!(media_of(Some("application/json; charset=utf-8")), Media::Json);
        assert_eq!(media_of(Some("Application/X-WWW-Form-Urlencoded")), Media::Form);
        assert_eq!(media_of(Some("text/plain")), Media::Other);
        assert_eq!(media_of(None), Media::None);
    }
}
