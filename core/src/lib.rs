//! # tokenwell
//!
//! OAuth 2.0 bearer tokens from any token endpoint: fetched once, cached, shared by every
//! caller in the process, and renewed before they expire. This crate is the whole engine; the
//! Python, Node, C and Go packages and the `tokenwell` CLI are thin bindings over it.
//!
//! ```no_run
//! # async fn f() -> Result<(), tokenwell::Error> {
//! use tokenwell::{Client, Config};
//! let config = Config::from_json(r#"{
//!     "preset": "keycloak", "base_url": "https://sso.example.com", "realm": "demo",
//!     "grant": "password", "client_id": "app",
//!     "username": "alice", "password": {"env": "ALICE_PASSWORD"}
//! }"#)?;
//! let client = Client::new(config)?;
//! let token = client.token().await?;   // one request; later calls answer from the cache
//! println!("{}", token.authorization());
//! # Ok(()) }
//! ```
//!
//! The configuration keys, presets and behaviour are those of the project's DESIGN.md (§2–§5).

#![warn(missing_docs)]

mod cache;
mod client;
mod clock;
mod config;
mod discovery;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod preset;
pub mod profile;
pub mod runtime;
mod secret;
mod settings;
mod testhook;
mod token;
mod transport;

pub use cache::shared::{clear_entries, list_entries, CacheEntry};
pub use client::{Client, TokenFuture};
pub use clock::{wall_now_ns, Clock, ManualClock, SystemClock};
pub use config::{camel_case, BodyFormat, ClientAuth, Config, Grant, KeyStyle, Scope, KEYS};
pub use error::{Error, ErrorCode, OAuthDetails, Result};
pub use preset::PRESETS;
pub use secret::SecretSource;
pub use token::{jwt_claims, jwt_exp, jwt_header, Token};

/// The README's Rust snippets compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
