//! The native half of the `tokenwell` npm package: `NativeClient`, a thin handle over
//! `tokenwell::Client`. The JavaScript layer (`lib/`) builds the public API on it: the token
//! mirror, the error classes and `fetch`. Every export catches panics (`catch_unwind`).

mod convert;
mod fresh;
mod logging;

use std::ffi::c_void;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::FutureExt;
use napi::bindgen_prelude::{Either, FromNapiValue, Object, Unknown};
use napi::{check_status, sys, Env, Result};
use napi_derive::napi;
use tokenwell::{Client, Config, Error, KeyStyle};

use convert::{ErrorData, TokenData};
use fresh::FreshWord;

/// One `tokenwell::Client`. The JS `Client` owns exactly one.
#[napi]
pub struct NativeClient {
    client: Client,
    fresh: Arc<FreshWord>,
    _log: Option<logging::SinkGuard>,
}

/// Builds a client from the configuration as JSON text with camelCase keys (DESIGN §2), or
/// answers the configuration error. `on_log(level, message)` receives tokenwell's log records.
#[napi(catch_unwind)]
pub fn create_client(config_json: String, on_log: Option<logging::LogFn>) -> Either<NativeClient, ErrorData> {
    let built = serde_json::from_str(&config_json)
        .map_err(|e| Error::internal(format!("tokenwell: the configuration did not reach native code as JSON: {e}")))
        .and_then(|value| Config::from_value_styled(value, KeyStyle::Camel, false));
    let config = match built {
        Ok(c) => c,
        Err(e) => return Either::B(ErrorData::from(&e)),
    };
    match Client::new(config) {
        Ok(client) => Either::A(NativeClient { client, fresh: Arc::default(), _log: on_log.map(logging::add_sink) }),
        // The core names keys in snake_case past parsing; Node users write camelCase.
        Err(e) => Either::B(ErrorData::from(&e.in_style(KeyStyle::Camel))),
    }
}

/// Builds a client from a `[profiles.NAME]` table of the CLI's configuration file (the core
/// reads it: `${NAME}` expanded, the `file` cache unless the profile names another).
#[napi(catch_unwind)]
pub fn create_client_from_profile(
    name: Option<String>,
    on_log: Option<logging::LogFn>,
) -> Either<NativeClient, ErrorData> {
    match tokenwell::profile::load(name.as_deref(), None).and_then(Client::new) {
        Ok(client) => Either::A(NativeClient { client, fresh: Arc::default(), _log: on_log.map(logging::add_sink) }),
        Err(e) => Either::B(ErrorData::from(&e)),
    }
}

/// Prints tokenwell's log records to stderr (`DEBUG=tokenwell`), for the rest of the process.
#[napi(catch_unwind)]
pub fn enable_debug_log() {
    logging::enable_stderr();
}

#[napi]
impl NativeClient {
    /// What `token()` gives without waiting (starting refresh-ahead when due), else `null`.
    #[napi(catch_unwind)]
    pub fn try_token(&self) -> Option<TokenData> {
        // The generation is read before the token, so a change in between leaves the mirror
        // with an older generation than the cell and it asks again.
        let generation = self.generation();
        self.client.try_token().map(|t| TokenData::new(&t, generation, self.fresh.arm(self.client.fresh_until_ns(&t))))
    }

    /// The cached token before its renewal point, without I/O and without starting anything.
    #[napi(catch_unwind)]
    pub fn cached(&self) -> Option<TokenData> {
        let generation = self.generation();
        self.client.cached().map(|t| TokenData::new(&t, generation, self.fresh.arm(self.client.fresh_until_ns(&t))))
    }

    /// Waits for a token on tokenwell's runtime, never on the JS thread. The Promise resolves
    /// with the token or the error data (the JS layer turns the latter into its error class).
    #[napi(catch_unwind)]
    pub fn wait<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let (deferred, promise) = env.create_deferred()?;
        let client = self.client.clone();
        let fresh = self.fresh.clone();
        tokenwell::runtime::handle().spawn(async move {
            let outcome = AssertUnwindSafe(async {
                let result = client.token().await;
                let generation = client.generation_cell().load(Ordering::Acquire);
                match result {
                    // Mirror it only if it is still the current token at this generation.
                    Ok(t) => match client.cached() {
                        Some(c) if Arc::ptr_eq(&c, &t) => {
                            Either::A(TokenData::new(&t, generation as u32, fresh.arm(client.fresh_until_ns(&t))))
                        }
                        _ => Either::A(TokenData::new(&t, generation as u32, 0)),
                    },
                    Err(e) => Either::B(ErrorData::from(&e)),
                }
            })
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                Either::B(ErrorData::from(&Error::internal("tokenwell: waiting for a token panicked; this is a bug")))
            });
            deferred.resolve(move |_| Ok(outcome));
        });
        Ok(promise)
    }

    /// Drops the cached access token of this cache key (a resource server answered 401).
    #[napi(catch_unwind)]
    pub fn invalidate(&self) {
        self.client.invalidate();
    }

    /// The low 32 bits of the cache key's generation counter.
    #[napi(catch_unwind)]
    pub fn generation(&self) -> u32 {
        self.client.generation() as u32
    }

    /// Identifies the generation cell (one per cache key and credentials), so the JS layer
    /// makes one view per cell and thread.
    #[napi(catch_unwind)]
    pub fn cell_id(&self) -> f64 {
        self.client.generation_cell() as *const _ as usize as f64
    }

    /// An ArrayBuffer over the 8 bytes of the generation counter: JS compares it on every call
    /// without crossing into native code. The counter lives as long as the process.
    #[napi(catch_unwind)]
    pub fn generation_buffer<'env>(&self, env: &'env Env) -> Result<Option<Unknown<'env>>> {
        let cell: &'static std::sync::atomic::AtomicU64 = self.client.generation_cell();
        // SAFETY: the cell is 'static, 8-byte aligned and never freed; JS only reads it.
        unsafe { external_buffer(env, cell.as_ptr().cast(), 8, None, std::ptr::null_mut()) }
    }

    /// An ArrayBuffer over this client's fresh word (see `fresh`): it holds the epoch the last
    /// token data carried until that token's fresh-until instant, then 0.
    #[napi(catch_unwind)]
    pub fn fresh_buffer<'env>(&self, env: &'env Env) -> Result<Option<Unknown<'env>>> {
        unsafe extern "C" fn release(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
            // SAFETY: `hint` is the `Arc::into_raw` below, released exactly once, here.
            drop(unsafe { Arc::from_raw(hint.cast::<FreshWord>()) });
        }
        let hint = Arc::into_raw(self.fresh.clone()).cast_mut().cast::<c_void>();
        // SAFETY: the word lives as long as the Arc the finalizer releases.
        let made = unsafe { external_buffer(env, self.fresh.as_ptr().cast(), 4, Some(release), hint) };
        if !matches!(made, Ok(Some(_))) {
            // SAFETY: no buffer took ownership of the hint.
            drop(unsafe { Arc::from_raw(hint.cast::<FreshWord>()) });
        }
        made
    }

    /// The cache key (hex SHA-256 or the configured `cacheKey`); never a secret.
    #[napi(getter, catch_unwind)]
    pub fn cache_key(&self) -> String {
        self.client.cache_key().to_owned()
    }
}

/// An ArrayBuffer over native memory, or `None` where the runtime refuses external buffers (a
/// copy would never change, so the JS layer then asks native code on every call).
///
/// # Safety
/// `data` must stay valid for `len` bytes until `finalize` runs (forever when it is `None`).
unsafe fn external_buffer<'env>(
    env: &'env Env,
    data: *mut c_void,
    len: usize,
    finalize: sys::napi_finalize,
    hint: *mut c_void,
) -> Result<Option<Unknown<'env>>> {
    let mut value = std::ptr::null_mut();
    let status = unsafe { sys::napi_create_external_arraybuffer(env.raw(), data, len, finalize, hint, &mut value) };
    if status == sys::Status::napi_no_external_buffers_allowed {
        return Ok(None);
    }
    check_status!(status, "tokenwell: creating a view on native memory failed")?;
    // SAFETY: `value` was just created in this env.
    unsafe { Unknown::from_napi_value(env.raw(), value) }.map(Some)
}
