//! Integration tests: each starts a server in-process and drives it over real HTTP.

mod binary;
mod common;
mod control;
mod dialects;
mod faults;
