//! The error type every binding maps: a stable [`ErrorCode`] plus the fields of DESIGN §4.
//! Messages say what to fix and never carry a secret: server-provided text is scrubbed of the
//! configured secrets before it is stored.

use std::fmt;
use std::sync::Arc;

/// The stable error codes of DESIGN §4. The numeric values are the C API's `tw_code` values and
/// are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorCode {
    /// Bad or missing configuration, found when the client is constructed.
    Config = 1,
    /// The server answered with an RFC 6749 §5.2 error body.
    OAuth = 2,
    /// A non-2xx answer without an OAuth error body.
    Http = 3,
    /// DNS, connect, TLS or reset.
    Network = 4,
    /// A request passed `timeout`.
    Timeout = 5,
    /// A 2xx answer that is not a usable token.
    InvalidResponse = 6,
    /// The shared cache could not be read or written.
    Cache = 7,
    /// A bug caught at a language boundary.
    Internal = 8,
}

impl ErrorCode {
    /// The code as DESIGN §4 spells it: `"config"`, `"oauth"`, …
    ///
    /// ```
    /// assert_eq!(tokenwell::ErrorCode::InvalidResponse.as_str(), "invalid_response");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Config => "config",
            ErrorCode::OAuth => "oauth",
            ErrorCode::Http => "http",
            ErrorCode::Network => "network",
            ErrorCode::Timeout => "timeout",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::Cache => "cache",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Details of an `oauth` error (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthDetails {
    /// HTTP status of the answer.
    pub status: u16,
    /// The `error` field, e.g. `invalid_grant`.
    pub error: String,
    /// The `error_description` field.
    pub error_description: Option<String>,
    /// The `error_uri` field.
    pub error_uri: Option<String>,
}

#[derive(Debug, Clone)]
enum Kind {
    Config { key: String },
    OAuth(OAuthDetails),
    Http { status: u16, body: String },
    Network,
    Timeout,
    InvalidResponse,
    Cache,
    Internal,
}

/// A tokenwell error. Cheap to clone (single flight hands one error to every waiter).
///
/// ```
/// let err = tokenwell::Client::new(tokenwell::Config::default()).unwrap_err();
/// assert_eq!(err.code(), tokenwell::ErrorCode::Config);
/// assert_eq!(err.key(), Some("token_url"));
/// ```
#[derive(Clone)]
pub struct Error {
    // Boxed: `Result<Arc<Token>, Error>` stays two words, which the cached path returns.
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: Kind,
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error { inner: Box::new(Inner { kind, message: message.into(), source: None }) }
    }

    pub(crate) fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(Kind::Config { key: key.into() }, message)
    }
    pub(crate) fn oauth_failure(details: OAuthDetails, message: impl Into<String>) -> Self {
        Error::new(Kind::OAuth(details), message)
    }
    pub(crate) fn http(status: u16, body: String, message: impl Into<String>) -> Self {
        Error::new(Kind::Http { status, body }, message)
    }
    pub(crate) fn network(message: impl Into<String>) -> Self {
        Error::new(Kind::Network, message)
    }
    pub(crate) fn timeout(message: impl Into<String>) -> Self {
        Error::new(Kind::Timeout, message)
    }
    pub(crate) fn invalid_response(message: impl Into<String>) -> Self {
        Error::new(Kind::InvalidResponse, message)
    }
    /// A shared-cache failure (used by the cache backends and the CLI).
    pub fn cache(message: impl Into<String>) -> Self {
        Error::new(Kind::Cache, message)
    }
    /// A bug caught at a language boundary (a panic); bindings build it from the panic.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(Kind::Internal, message)
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self.inner.kind {
            Kind::Config { .. } => ErrorCode::Config,
            Kind::OAuth(_) => ErrorCode::OAuth,
            Kind::Http { .. } => ErrorCode::Http,
            Kind::Network => ErrorCode::Network,
            Kind::Timeout => ErrorCode::Timeout,
            Kind::InvalidResponse => ErrorCode::InvalidResponse,
            Kind::Cache => ErrorCode::Cache,
            Kind::Internal => ErrorCode::Internal,
        }
    }

    /// The message alone (what `Display` prints).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// For `config` errors: the configuration key at fault.
    pub fn key(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Config { key } => Some(key),
            _ => None,
        }
    }

    /// HTTP status for `oauth` and `http` errors.
    pub fn status(&self) -> Option<u16> {
        match &self.inner.kind {
            Kind::OAuth(d) => Some(d.status),
            Kind::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The OAuth details of an `oauth` error.
    pub fn oauth(&self) -> Option<&OAuthDetails> {
        match &self.inner.kind {
            Kind::OAuth(d) => Some(d),
            _ => None,
        }
    }

    /// The server's `error` field for `oauth` errors, e.g. `invalid_grant`.
    pub fn oauth_error(&self) -> Option<&str> {
        self.oauth().map(|d| d.error.as_str())
    }

    /// The server's `error_description`.
    pub fn error_description(&self) -> Option<&str> {
        self.oauth().and_then(|d| d.error_description.as_deref())
    }

    /// The server's `error_uri`.
    pub fn error_uri(&self) -> Option<&str> {
        self.oauth().and_then(|d| d.error_uri.as_deref())
    }

    /// For `http` errors: the first 512 characters of the body.
    pub fn body(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Http { body, .. } => Some(body),
            _ => None,
        }
    }

    pub(crate) fn is_retryable(&self) -> bool {
        match &self.inner.kind {
            Kind::Network | Kind::Timeout => true,
            Kind::Http { status, .. } => *status == 429 || *status >= 500,
            Kind::OAuth(d) => d.status == 429 || d.status >= 500,
            _ => false,
        }
    }

    /// Replaces every occurrence of each secret in the server-provided parts of the error.
    pub(crate) fn scrub(mut self, secrets: &[&str]) -> Self {
        let scrub = |s: &mut String| {
            for secret in secrets.iter().filter(|s| s.len() >= 3) {
                if s.contains(secret) {
                    *s = s.replace(secret, "[redacted]");
                }
            }
        };
        scrub(&mut self.inner.message);
        match &mut self.inner.kind {
            Kind::OAuth(d) => {
                scrub(&mut d.error);
                if let Some(x) = d.error_description.as_mut() {
                    scrub(x)
                }
                if let Some(x) = d.error_uri.as_mut() {
                    scrub(x)
                }
            }
            Kind::Http { body, .. } => scrub(body),
            _ => {}
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.code().as_str());
        match &self.inner.kind {
            Kind::Config { key } => {
                d.field("key", key);
            }
            Kind::OAuth(o) => {
                d.field("status", &o.status).field("error", &o.error).field("error_description", &o.error_description);
            }
            Kind::Http { status, .. } => {
                d.field("status", status);
            }
            _ => {}
        }
        d.field("message", &self.inner.message).finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `Result` with tokenwell's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
