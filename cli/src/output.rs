//! What the commands print: standard output carries only the requested value (text or JSON);
//! a closed pipe (`tokenwell token | head -c0`) is not an error. Tokens appear only where asked
//! for (`token`, `header`); `inspect`, `cache list` and `profiles` never show one.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use tokenwell::profile::Profiles;
use tokenwell::Token;

use crate::source::Row;
use crate::Failure;

pub struct Out(std::io::Stdout);

impl Out {
    pub fn stdout() -> Out {
        Out(std::io::stdout())
    }

    pub fn text(&mut self, text: &str) -> Result<(), Failure> {
        let mut lock = self.0.lock();
        match lock.write_all(text.as_bytes()).and_then(|()| lock.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Failure::Usage(format!("cannot write to standard output ({e})")))
            }
            _ => Ok(()),
        }
    }

    pub fn line(&mut self, line: &str) -> Result<(), Failure> {
        self.text(&format!("{line}\n"))
    }

    pub fn json(&mut self, value: &Value) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        self.line(&text)
    }
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// `2025-11-23T15:04:05Z` (UTC, proleptic Gregorian; H. Hinnant's civil_from_days).
pub fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `in 29m 59s` / `expired 3s ago`.
fn relative(secs_left: i64) -> String {
    let n = secs_left.unsigned_abs();
    let span = match n {
        0..=59 => format!("{n}s"),
        60..=3599 => format!("{}m {}s", n / 60, n % 60),
        3600..=86_399 => format!("{}h {}m", n / 3600, n % 3600 / 60),
        _ => format!("{}d {}h", n / 86_400, n % 86_400 / 3600),
    };
    if secs_left >= 0 {
        format!("in {span}")
    } else {
        format!("expired {span} ago")
    }
}

fn when(t: SystemTime, now: i64) -> String {
    let at = unix(t);
    format!("{} ({})", rfc3339(at), relative(at - now))
}

pub fn token_json(token: &Token) -> Value {
    json!({
        "access_token": token.access_token(),
        "token_type": token.token_type(),
        "expires_at": rfc3339(token.expires_at_unix()),
        "expires_in": token.expires_in().floor() as i64,
    })
}

/// What `inspect` shows, as JSON; the text form is rendered from it.
pub fn inspect_json(token: &Token, profile: Option<&str>) -> Value {
    let jwt = match (tokenwell::jwt_header(token.access_token()), tokenwell::jwt_claims(token.access_token())) {
        (Some(header), Some(claims)) => json!({ "header": header, "claims": claims }),
        _ => Value::Null,
    };
    json!({
        "profile": profile,
        "token_type": token.token_type(),
        "expires_at": rfc3339(token.expires_at_unix()),
        "expires_at_unix": token.expires_at_unix(),
        "expires_in": token.expires_in().floor() as i64,
        "scope": token.scope(),
        "refresh_token": token.refresh_token().is_some(),
        "refresh_expires_at": token.refresh_expires_at().map(|t| rfc3339(unix(t))),
        "id_token": token.id_token().is_some(),
        "jwt": jwt,
    })
}

pub fn inspect_text(r: &Value) -> String {
    let now = unix(SystemTime::now());
    let mut lines = Vec::new();
    let mut row = |label: &str, value: String| lines.push(format!("{label:<15}{value}"));
    if let Some(p) = r["profile"].as_str() {
        row("profile", p.to_owned());
    }
    row("token type", r["token_type"].as_str().unwrap_or("").to_owned());
    let exp = r["expires_at_unix"].as_i64().unwrap_or(0);
    row("expires", format!("{} ({})", rfc3339(exp), relative(exp - now)));
    row("scope", r["scope"].as_str().unwrap_or("-").to_owned());
    let refresh = match (r["refresh_token"].as_bool(), r["refresh_expires_at"].as_str()) {
        (Some(true), Some(at)) => format!("yes, expires {at}"),
        (Some(true), None) => "yes".to_owned(),
        _ => "no".to_owned(),
    };
    row("refresh token", refresh);
    row("id token", if r["id_token"] == json!(true) { "yes" } else { "no" }.to_owned());
    let mut text = lines.join("\n");
    match r["jwt"].as_object() {
        Some(jwt) => {
            text.push_str(&format!("\n{:<15}{}\n", "jwt header", jwt["header"]));
            let claims = serde_json::to_string_pretty(&jwt["claims"]).unwrap_or_default();
            text.push_str("jwt claims (decoded, not verified):\n");
            for l in claims.lines() {
                text.push_str(&format!("  {l}\n"));
            }
        }
        None => text.push_str(&format!("\n{:<15}not a JWT (opaque)\n", "jwt")),
    }
    text
}

/// TOML for a key or a scalar/inline value.
fn toml_key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        k.to_owned()
    } else {
        Value::String(k.to_owned()).to_string()
    }
}

fn toml_value(v: &Value) -> String {
    match v {
        Value::Array(items) => format!("[{}]", items.iter().map(toml_value).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => {
            let inner: Vec<String> = m.iter().map(|(k, v)| format!("{} = {}", toml_key(k), toml_value(v))).collect();
            format!("{{ {} }}", inner.join(", "))
        }
        // JSON's string escapes, numbers and booleans are TOML's too.
        other => other.to_string(),
    }
}

fn default_profile(profiles: &Profiles) -> Option<String> {
    profiles.choose(None).ok().map(str::to_owned)
}

pub fn profiles_text(profiles: &Profiles) -> String {
    let default = default_profile(profiles);
    let mut out = format!("# {}\n", profiles.path().display());
    for name in profiles.names() {
        let mark = if default.as_deref() == Some(name) { "  # used without -p" } else { "" };
        out.push_str(&format!("\n[profiles.{}]{mark}\n", toml_key(name)));
        for (k, v) in profiles.redacted(name).unwrap_or_default() {
            out.push_str(&format!("{} = {}\n", toml_key(&k), toml_value(&v)));
        }
    }
    out
}

pub fn profiles_json(profiles: &Profiles) -> Value {
    let list: Map<String, Value> = profiles
        .names()
        .into_iter()
        .map(|n| (n.to_owned(), Value::Object(profiles.redacted(n).unwrap_or_default())))
        .collect();
    json!({ "path": profiles.path(), "default": default_profile(profiles), "profiles": list })
}

pub fn cache_json(rows: &[Row]) -> Value {
    let now = unix(SystemTime::now());
    Value::Array(
        rows.iter()
            .map(|r| {
                let exp = r.entry.expires_at.map(unix);
                json!({
                    "cache": r.cache,
                    "key": r.entry.key,
                    "profiles": r.profiles,
                    "expires_at": exp.map(rfc3339),
                    "expires_in": exp.map(|e| e - now),
                    "refresh_token": r.entry.has_refresh_token,
                    "sealed": r.entry.sealed,
                })
            })
            .collect(),
    )
}

pub fn cache_text(rows: &[Row]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let now = unix(SystemTime::now());
    let mut table = vec![["KEY", "PROFILE", "CACHE", "EXPIRES", "REFRESH"].map(str::to_owned)];
    for r in rows {
        let expires = match (r.entry.expires_at, r.entry.sealed) {
            (Some(t), _) => when(t, now),
            (None, true) => "sealed".to_owned(),
            (None, false) => "no access token".to_owned(),
        };
        let refresh = match r.entry.has_refresh_token {
            Some(true) => "yes",
            Some(false) => "no",
            None => "?",
        };
        let profiles = if r.profiles.is_empty() { "-".to_owned() } else { r.profiles.join(",") };
        table.push([r.entry.key.chars().take(12).collect(), profiles, r.cache.clone(), expires, refresh.to_owned()]);
    }
    let widths: Vec<usize> =
        (0..5).map(|i| table.iter().map(|row| row[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in table {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_763_910_245), "2025-11-23T15:04:05Z");
        assert_eq!(relative(1799), "in 29m 59s");
        assert_eq!(relative(-3), "expired 3s ago");
    }

    #[test]
    fn toml_rendering() {
        assert_eq!(toml_value(&json!({"env": "PW"})), r#"{ env = "PW" }"#);
        assert_eq!(toml_value(&json!(["a", "b"])), r#"["a", "b"]"#);
        assert_eq!(toml_key("X-Api-Key"), "X-Api-Key");
        assert_eq!(toml_key("a.b"), r#""a.b""#);
    }
}
