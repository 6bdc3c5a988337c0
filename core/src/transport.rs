//! HTTP for the token endpoint and discovery: the request (form or JSON, client
//! authentication), the size limit, the classification of answers into tokens or errors, and
//! retries with backoff and `Retry-After`.

use std::time::Duration;

use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT};
use reqwest::{Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use url::Url;
use zeroize::Zeroize;

use crate::config::{BodyFormat, ClientAuth};
use crate::error::{Error, OAuthDetails};
use crate::settings::Settings;

/// Answers over this size are refused.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
const HTTP_BODY_CHARS: usize = 512;

/// Body fields of a token request; zeroized when dropped since they hold secrets.
#[derive(Default)]
pub(crate) struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn push(&mut self, k: &str, v: &str) {
        self.0.push((k.to_owned(), v.to_owned()));
    }
}

impl Drop for Fields {
    fn drop(&mut self) {
        for (_, v) in self.0.iter_mut() {
            v.zeroize();
        }
    }
}

/// One finished HTTP exchange: a JSON object from a 2xx answer, or an error.
pub(crate) struct Answer {
    pub result: Result<Map<String, Value>, Error>,
    pub retry_after: Option<Duration>,
}

/// How long a connection to a token endpoint stays open after an answer, for the next request
/// of the same burst: discovery then the token, or several clients of a process starting
/// together, share one TCP (and TLS) handshake. Renewals, minutes apart, open a new connection.
/// Below the 5 s after which Apache and Node servers close an idle connection, so a request is
/// never sent on a connection the server is closing.
pub(crate) const KEEP_IDLE: Duration = Duration::from_secs(4);

/// HTTP clients are shared process-wide between configurations that need the same one: building
/// one loads the system's trust store, which costs more than a loopback token request. They
/// belong to the process that built them: a forked child builds its own, because the parent's
/// open connections are served by tasks on threads the child does not have.
type HttpClients = (u32, std::collections::HashMap<String, reqwest::Client>);
static HTTP: std::sync::Mutex<Option<HttpClients>> = std::sync::Mutex::new(None);

pub(crate) fn http_client(s: &Settings) -> Result<reqwest::Client, Error> {
    let pid = std::process::id();
    {
        let mut guard = crate::cache::lock(&HTTP);
        match guard.as_mut() {
            Some((owner, clients)) if *owner == pid => {
                if let Some(c) = clients.get(&s.http_key) {
                    return Ok(c.clone());
                }
            }
            _ => {
                // The first call, or a forked child: the parent's clients are leaked, not
                // dropped (their connections' tasks, and the runtime they ran on, are the
                // parent's).
                if let Some(parent) = guard.take() {
                    std::mem::forget(parent);
                }
                *guard = Some((pid, Default::default()));
            }
        }
    }
    let built = build_http(s)?;
    let mut guard = crate::cache::lock(&HTTP);
    let (_, clients) = guard.get_or_insert_with(|| (pid, Default::default()));
    Ok(clients.entry(s.http_key.clone()).or_insert(built).clone())
}

fn build_http(s: &Settings) -> Result<reqwest::Client, Error> {
    let tls = s.http_key.ends_with("|true");
    let mut b = reqwest::Client::builder()
        .tls_built_in_root_certs(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(s.timeout)
        .connect_timeout(s.connect_timeout)
        .pool_idle_timeout(KEEP_IDLE)
        .pool_max_idle_per_host(4);
    for cert in &s.ca_certs {
        b = b.add_root_certificate(cert.clone());
    }
    if let Some(p) = &s.proxy {
        b = b.proxy(p.clone());
    }
    b.build().map_err(|e| {
        Error::config("ca_file", format!("the HTTP client cannot be built ({e}): check ca_file and proxy"))
    })
}

fn basic_auth(id: &str, secret: &str) -> String {
    // RFC 6749 §2.3.1: form-urlencode both halves before base64.
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let mut pair = format!("{}:{}", enc(id), enc(secret));
    let out = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()));
    pair.zeroize();
    out
}

/// Adds the client's credentials to the fields or the headers per `client_auth`.
pub(crate) fn client_auth(
    s: &Settings,
    auth: ClientAuth,
    fields: &mut Fields,
    headers: &mut HeaderMap,
) -> Result<(), Error> {
    let secret = s.client_secret.as_ref().map(|x| x.expose_secret());
    match (auth, s.client_id.as_deref()) {
        (_, None) => {}
        (ClientAuth::Post, Some(id)) => {
            fields.push("client_id", id);
            if let Some(secret) = secret {
                fields.push("client_secret", secret);
            }
        }
        (ClientAuth::Basic, Some(id)) => {
            let mut value = HeaderValue::from_str(&basic_auth(id, secret.unwrap_or("")))
                .map_err(|_| Error::config("client_id", "`client_id` cannot be sent in an HTTP header"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        (ClientAuth::None, Some(id)) => fields.push("client_id", id),
    }
    Ok(())
}

/// Sends one token request, retrying per `retries`; returns the answer's JSON object.
pub(crate) async fn post_token(
    http: &reqwest::Client,
    s: &Settings,
    url: &Url,
    fields: &Fields,
    headers: &HeaderMap,
    secrets: &[&str],
) -> Result<Map<String, Value>, Error> {
    let body = match s.body {
        BodyFormat::Form => url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.0.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish(),
        BodyFormat::Json => {
            let map: Map<String, Value> = fields.0.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            Value::Object(map).to_string()
        }
    };
    let content_type = match s.body {
        BodyFormat::Form => "application/x-www-form-urlencoded",
        BodyFormat::Json => "application/json",
    };
    let mut attempt = 0u32;
    let result = loop {
        let mut req = http
            .post(url.clone())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("tokenwell/", env!("CARGO_PKG_VERSION")))
            .header(CONTENT_TYPE, content_type);
        for (k, v) in s.headers.iter().chain(headers.iter()) {
            req = req.header(k, v.clone());
        }
        let answer = exchange(req.body(body.clone()), url, "token endpoint").await;
        match answer.result {
            Err(e) if e.is_retryable() && attempt < s.retries => {
                let wait = answer.retry_after.unwrap_or_else(|| backoff(attempt));
                tracing::warn!(
                    attempt = attempt + 1,
                    wait_ms = wait.as_millis() as u64,
                    code = e.code().as_str(),
                    "tokenwell: token request failed, retrying: {e}"
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => break other,
        }
    };
    let mut body = body;
    body.zeroize();
    result.map_err(|e| e.scrub(secrets))
}

/// GETs a discovery document, with the same retries.
pub(crate) async fn get_json(
    http: &reqwest::Client,
    s: &Settings,
    url: &Url,
    what: &str,
) -> Result<Map<String, Value>, Error> {
    let mut attempt = 0u32;
    loop {
        let req = http
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("tokenwell/", env!("CARGO_PKG_VERSION")));
        let answer = exchange(req, url, what).await;
        match answer.result {
            Err(e) if e.is_retryable() && attempt < s.retries => {
                tokio::time::sleep(answer.retry_after.unwrap_or_else(|| backoff(attempt))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The n-th retry waits a random time up to min(5 s, 0.2 s × 2ⁿ).
fn backoff(attempt: u32) -> Duration {
    let cap = (0.2 * 2f64.powi(attempt.min(16) as i32)).min(5.0);
    Duration::from_secs_f64(fastrand::f64() * cap)
}

fn parse_retry_after(h: Option<&HeaderValue>) -> Option<Duration> {
    let text = h?.to_str().ok()?.trim();
    let wait = if let Ok(secs) = text.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(text).ok()?;
        at.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

fn map_send_error(e: reqwest::Error, url: &Url, what: &str) -> Error {
    let host = url.host_str().unwrap_or("?").to_owned();
    if e.is_timeout() {
        Error::timeout(format!("the {what} at {host} did not answer within the timeout: raise `timeout`/`connect_timeout` or check the server")).with_source(e)
    } else if e.is_connect() {
        Error::network(format!(
            "cannot connect to the {what} at {url}: {}; check the URL, DNS, proxy and that the server is up",
            root_cause(&e)
        ))
        .with_source(e)
    } else {
        Error::network(format!("the request to the {what} at {host} failed: {}", root_cause(&e))).with_source(e)
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

async fn read_limited(mut resp: Response, url: &Url, what: &str) -> Result<(Vec<u8>, bool), Error> {
    let mut buf = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_BODY {
                    return Ok((buf, true));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((buf, false)),
            Err(e) => return Err(map_send_error(e, url, what)),
        }
    }
}

async fn exchange(req: reqwest::RequestBuilder, url: &Url, what: &str) -> Answer {
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return Answer { result: Err(map_send_error(e, url, what)), retry_after: None },
    };
    let status = resp.status();
    let retry_after = parse_retry_after(resp.headers().get(RETRY_AFTER));
    let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let too_big = resp.content_length().is_some_and(|n| n > MAX_BODY as u64);
    let (bytes, truncated) = if too_big && status.is_success() {
        (Vec::new(), true)
    } else {
        match read_limited(resp, url, what).await {
            Ok(b) => b,
            Err(e) => return Answer { result: Err(e), retry_after },
        }
    };
    Answer { result: classify(status, &bytes, truncated, location.as_deref(), what), retry_after }
}

fn oauth_error(status: StatusCode, body: &Map<String, Value>, what: &str) -> Option<Error> {
    let error = body.get("error")?.as_str()?.to_owned();
    let error_description = body.get("error_description").and_then(Value::as_str).map(str::to_owned);
    let error_uri = body.get("error_uri").and_then(Value::as_str).map(str::to_owned);
    let hint = match error.as_str() {
        "invalid_client" => "check client_id and client_secret, and client_auth (post or basic)",
        "invalid_grant" => "check the username and password, or the refresh token (expired or revoked)",
        "unauthorized_client" => "this client may not use this grant: enable it for the client on the server",
        "unsupported_grant_type" => "the server does not support this grant: check `grant` and token_url",
        "invalid_scope" => "check `scope`",
        "invalid_request" => "the server rejected the request's shape: check the preset, body and send_grant_type",
        "access_denied" => "check the credentials",
        _ => "see the server's description",
    };
    let desc = error_description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
    let message = format!("the {what} refused the request with HTTP {}: {error}{desc}: {hint}", status.as_u16());
    Some(Error::oauth_failure(OAuthDetails { status: status.as_u16(), error, error_description, error_uri }, message))
}

fn classify(
    status: StatusCode,
    bytes: &[u8],
    truncated: bool,
    location: Option<&str>,
    what: &str,
) -> Result<Map<String, Value>, Error> {
    if status.is_success() {
        if truncated {
            return Err(Error::invalid_response(format!("the {what} answered more than 1 MiB: refused")));
        }
        return match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => match oauth_error(status, &map, what) {
                Some(e) => Err(e),
                None => Ok(map),
            },
            Ok(_) => Err(Error::invalid_response(format!(
                "the {what} answered {} with JSON that is not an object",
                status.as_u16()
            ))),
            Err(_) => Err(Error::invalid_response(format!(
                "the {what} answered {} with a body that is not JSON: check that the URL is the {what}",
                status.as_u16()
            ))),
        };
    }
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) {
        if let Some(e) = oauth_error(status, &map, what) {
            return Err(e);
        }
    }
    let text = String::from_utf8_lossy(bytes);
    let body: String = text.chars().take(HTTP_BODY_CHARS).collect();
    let message = if status.is_redirection() {
        format!(
            "the {what} answered HTTP {} redirecting to {}: redirects are not followed on token requests; set the final URL",
            status.as_u16(),
            location.unwrap_or("?")
        )
    } else {
        let hint = match status.as_u16() {
            404 => ": check the URL (realm, path, preset)",
            405 => ": the URL does not accept POST; check that it is the token endpoint",
            429 => ": rate limited",
            500..=599 => ": the server failed",
            _ => "",
        };
        format!("the {what} answered HTTP {} without an OAuth error{hint}", status.as_u16())
    };
    Err(Error::http(status.as_u16(), body, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_encodes_per_rfc6749() {
        let h = basic_auth("my app", "p@ss w:rd/+");
        let raw = base64::engine::general_purpose::STANDARD.decode(&h["Basic ".len()..]).unwrap();
        assert_eq!(String::from_utf8(raw).unwrap(), "my+app:p%40ss+w%3Ard%2F%2B");
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after(Some(&HeaderValue::from_static("3"))), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(Some(&HeaderValue::from_static("3600"))), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"))),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(Some(&HeaderValue::from_static("soon"))), None);
        for n in 0..10 {
            assert!(backoff(n) <= Duration::from_secs(5));
        }
        assert!(backoff(0) <= Duration::from_millis(200));
    }

    #[test]
    fn classification() {
        let ok = classify(StatusCode::OK, br#"{"access_token":"a"}"#, false, None, "token endpoint").unwrap();
        assert_eq!(ok["access_token"], "a");
        let e = classify(StatusCode::OK, br#"{"error":"invalid_grant"}"#, false, None, "token endpoint").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::OAuth);
        assert_eq!(e.status(), Some(200));
        let e = classify(StatusCode::BAD_GATEWAY, b"<html>bad</html>", false, None, "token endpoint").unwrap_err();
        assert_eq!((e.code(), e.status(), e.body()), (crate::ErrorCode::Http, Some(502), Some("<html>bad</html>")));
        let e = classify(StatusCode::FOUND, b"", false, Some("/x"), "token endpoint").unwrap_err();
        assert!(e.to_string().contains("/x"));
        let e = classify(StatusCode::OK, b"[1]", false, None, "token endpoint").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidResponse);
        let e = classify(StatusCode::OK, b"{", true, None, "token endpoint").unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidResponse);
        let long = "x".repeat(2000);
        let e =
            classify(StatusCode::INTERNAL_SERVER_ERROR, long.as_bytes(), false, None, "token endpoint").unwrap_err();
        assert_eq!(e.body().unwrap().len(), 512);
    }
}
