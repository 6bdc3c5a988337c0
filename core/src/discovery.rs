//! OIDC discovery: `{issuer}/.well-known/openid-configuration`, fetched once per issuer and
//! cached for the life of the process.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::Value;
use url::Url;

use crate::cache::lock;
use crate::error::Error;
use crate::settings::{check_url, Settings};

pub(crate) struct Discovered {
    pub token_endpoint: Url,
    pub auth_methods: Option<Vec<String>>,
}

static DOCUMENTS: LazyLock<Mutex<HashMap<String, Arc<Discovered>>>> = LazyLock::new(Default::default);

pub(crate) async fn discover(http: &reqwest::Client, s: &Settings, issuer: &Url) -> Result<Arc<Discovered>, Error> {
    let key = issuer.as_str().trim_end_matches('/').to_owned();
    if let Some(d) = lock(&DOCUMENTS).get(&key) {
        return Ok(d.clone());
    }
    let url = Url::parse(&format!("{key}/.well-known/openid-configuration"))
        .map_err(|e| Error::config("issuer", format!("`issuer` cannot be extended into a discovery URL ({e})")))?;
    tracing::debug!(%url, "tokenwell: fetching the OIDC discovery document");
    let doc = crate::transport::get_json(http, s, &url, "discovery endpoint").await?;
    let endpoint = match doc.get("token_endpoint") {
        Some(Value::String(u)) => u.clone(),
        _ => {
            return Err(Error::invalid_response(format!(
                "the discovery document at {url} has no `token_endpoint`: set `token_url` instead of `issuer`"
            )))
        }
    };
    let token_endpoint = check_url("token_url", &endpoint, s.allow_http).map_err(|e| {
        Error::invalid_response(format!("the discovery document at {url} gives an unusable token_endpoint: {e}"))
    })?;
    let auth_methods = doc
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>());
    let found = Arc::new(Discovered { token_endpoint, auth_methods });
    lock(&DOCUMENTS).insert(key, found.clone());
    Ok(found)
}
