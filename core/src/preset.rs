//! The provider presets of DESIGN §3: each fills keys the user did not give.

use crate::config::{BodyFormat, ClientAuth, Config, Grant, Scope};
use crate::error::Error;

/// The preset names.
pub const PRESETS: &[&str] = &["keycloak", "binarly", "phasetwo", "butlr", "semansys"];

fn fill<T>(slot: &mut Option<T>, value: impl FnOnce() -> T) {
    if slot.is_none() {
        *slot = Some(value());
    }
}

fn base(c: &Config, default: &str) -> String {
    c.base_url.as_deref().unwrap_or(default).trim_end_matches('/').to_owned()
}

fn keycloak(c: &mut Config, preset: &str) -> Result<(), Error> {
    if c.token_url.is_some() {
        return Ok(());
    }
    let Some(base_url) = c.base_url.as_deref() else {
        return Err(Error::config(
            "base_url",
            format!("preset `{preset}` needs `base_url` (e.g. https://sso.example.com) or `token_url`"),
        ));
    };
    let Some(realm) = c.realm.as_deref() else {
        return Err(Error::config("realm", format!("preset `{preset}` needs `realm` (the Keycloak realm name)")));
    };
    if realm.is_empty() || realm.contains('/') {
        return Err(Error::config("realm", "`realm` must be a realm name without `/`"));
    }
    let realm = url::form_urlencoded::byte_serialize(realm.as_bytes()).collect::<String>().replace('+', "%20");
    c.token_url = Some(format!("{}/realms/{}/protocol/openid-connect/token", base_url.trim_end_matches('/'), realm));
    Ok(())
}

/// Applies `config.preset` in place: fills what the user left out.
pub(crate) fn apply(c: &mut Config) -> Result<(), Error> {
    let Some(preset) = c.preset.clone() else {
        for (key, present) in
            [("base_url", c.base_url.is_some()), ("realm", c.realm.is_some()), ("tenant", c.tenant.is_some())]
        {
            if present {
                return Err(Error::config(
                    key,
                    format!(
                        "`{key}` is a preset parameter: set `preset` too (one of {}), or give `token_url`",
                        PRESETS.join(", ")
                    ),
                ));
            }
        }
        return Ok(());
    };
    let grant = c.grant.unwrap_or_default();
    match preset.as_str() {
        "keycloak" => keycloak(c, "keycloak")?,
        "binarly" => {
            if c.base_url.is_none() && c.token_url.is_none() {
                let Some(tenant) = c.tenant.as_deref() else {
                    return Err(Error::config(
                        "tenant",
                        "preset `binarly` needs `tenant` (your tenant slug, as in https://auth-TENANT.binarly.cloud)",
                    ));
                };
                if tenant.is_empty() || !tenant.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') {
                    return Err(Error::config(
                        "tenant",
                        "`tenant` must be the slug of your Binarly tenant: letters, digits and `-`",
                    ));
                }
                c.base_url = Some(format!("https://auth-{}.binarly.cloud", tenant.to_ascii_lowercase()));
            }
            fill(&mut c.realm, || "BinarlyRealm".to_owned());
            if grant == Grant::Password {
                fill(&mut c.client_id, || "BinarlyClient".to_owned());
                fill(&mut c.scope, || Scope::Text("openid".to_owned()));
            }
            keycloak(c, "binarly")?;
        }
        "phasetwo" => {
            fill(&mut c.base_url, || "https://app.phasetwo.io/auth".to_owned());
            keycloak(c, "phasetwo")?;
        }
        "butlr" => {
            let b = base(c, "https://api.butlr.io");
            fill(&mut c.body, || BodyFormat::Json);
            fill(&mut c.use_refresh_token, || false);
            match grant {
                Grant::Password => {
                    fill(&mut c.token_url, || format!("{b}/api/v2/login"));
                    fill(&mut c.send_grant_type, || false);
                }
                Grant::ClientCredentials => {
                    fill(&mut c.token_url, || format!("{b}/api/v2/clients/login"));
                    fill(&mut c.audience, || "https://butlrauth/".to_owned());
                }
                Grant::RefreshToken => {
                    return Err(Error::config(
                        "grant",
                        "preset `butlr` documents no refresh endpoint: use grant `password` or `client_credentials`",
                    ));
                }
            }
        }
        "semansys" => {
            let b = base(c, "https://oidc-pre.semansys.com");
            fill(&mut c.token_url, || format!("{b}/connect/token"));
            fill(&mut c.client_auth, || ClientAuth::Post);
        }
        other => {
            let hint = PRESETS
                .iter()
                .map(|p| (strsim::jaro_winkler(other, p), p))
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, p)| format!(": did you mean `{p}`?"))
                .unwrap_or_else(|| format!(" (known: {})", PRESETS.join(", ")));
            return Err(Error::config("preset", format!("unknown preset `{other}`{hint}")));
        }
    }
    Ok(())
}
