//! What crosses to JavaScript: a token's fields with its mirror data, and an error's fields
//! (DESIGN §4). Plain objects; the JS layer wraps them in `Token` and the error classes.

use napi_derive::napi;
use tokenwell::{Error, Token};

/// A token as plain data. Times are Unix milliseconds.
#[napi(object)]
pub struct TokenData {
    pub access_token: String,
    pub token_type: String,
    pub authorization: String,
    pub expires_at: f64,
    pub refresh_token: Option<String>,
    pub refresh_expires_at: Option<f64>,
    pub scope: Option<String>,
    pub id_token: Option<String>,
    /// The other response fields as JSON text (parsed only when read).
    pub extra: String,
    /// The mirror may hand this token out on its own while the client's fresh word holds this
    /// epoch (see `fresh`); 0 = never.
    pub epoch: u32,
    /// The low 32 bits of the generation this token belongs to.
    pub generation: u32,
}

impl TokenData {
    pub fn new(t: &Token, generation: u32, epoch: u32) -> TokenData {
        let ms = |ns: i64| ns as f64 / 1e6;
        TokenData {
            access_token: t.access_token().to_owned(),
            token_type: t.token_type().to_owned(),
            authorization: t.authorization().to_owned(),
            expires_at: ms(t.expires_at_unix_nanos()),
            refresh_token: t.refresh_token().map(str::to_owned),
            refresh_expires_at: t.refresh_expires_at().map(|at| match at.duration_since(std::time::UNIX_EPOCH) {
                Ok(d) => d.as_secs_f64() * 1e3,
                Err(_) => 0.0,
            }),
            scope: t.scope().map(str::to_owned),
            id_token: t.id_token().map(str::to_owned),
            extra: t.extra_json(),
            epoch,
            generation,
        }
    }
}

/// An error's code and fields, camelCased by napi (`errorDescription`, `errorUri`).
#[napi(object)]
pub struct ErrorData {
    pub code: String,
    pub message: String,
    pub key: Option<String>,
    pub status: Option<u32>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
    pub body: Option<String>,
    /// The messages of the cause chain (`std::error::Error::source`), outermost first.
    pub causes: Vec<String>,
}

impl From<&Error> for ErrorData {
    fn from(e: &Error) -> ErrorData {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            if causes.len() == 8 {
                break;
            }
            causes.push(s.to_string());
            source = s.source();
        }
        ErrorData {
            code: e.code().as_str().to_owned(),
            message: e.message().to_owned(),
            key: e.key().map(str::to_owned),
            status: e.status().map(u32::from),
            error: e.oauth_error().map(str::to_owned),
            error_description: e.error_description().map(str::to_owned),
            error_uri: e.error_uri().map(str::to_owned),
            body: e.body().map(str::to_owned),
            causes,
        }
    }
}
