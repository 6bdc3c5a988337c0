//! `tokenwell`: OAuth 2.0 tokens for shell scripts and curl (DESIGN §6 "CLI"). This file owns
//! the command line (clap), runs one command, and turns the core's error codes into exit codes;
//! tokens, profiles and caches are the core's business.

mod logging;
mod output;
mod source;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::Out;
use crate::source::{ProfileFlags, SecretFlags};

const ABOUT: &str =
    "OAuth 2.0 tokens for shell scripts and curl: fetched once, cached in a file, renewed before expiry.";

const AFTER_HELP: &str = "\
Profiles are [profiles.NAME] tables in $XDG_CONFIG_HOME/tokenwell/config.toml (else
~/.config/tokenwell/config.toml) with the keys of the configuration schema; `${NAME}` is expanded.
Without -p: the profile named `default`, else the only one. Secrets are never arguments: use
{ env = \"VAR\" } or { file = \"/path\" } in the profile, --*-env VAR, --*-stdin, or the prompt.

Example:
  [profiles.binarly]
  preset = \"binarly\"
  tenant = \"acme\"
  grant = \"password\"
  username = \"${BINARLY_EMAIL}\"
  password = { env = \"BINARLY_PASSWORD\" }

  curl -H \"$(tokenwell header -p binarly)\" https://api.example.com/v1/items

Exit status: 0 success; 2 usage or configuration (config); 3 the server refused (oauth: the
message names the server's error code); 4 http; 5 network; 6 timeout; 7 invalid_response;
8 cache; 9 internal.";

#[derive(Parser)]
#[command(name = "tokenwell", version, about = ABOUT, after_help = AFTER_HELP, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The profile to use (default: `default`, else the only one)
    #[arg(short, long, global = true, value_name = "NAME")]
    profile: Option<String>,
    /// The profiles file (default: $XDG_CONFIG_HOME/tokenwell/config.toml)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log to stderr: -v the core's debug events, -vv everything (never a secret)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(flatten)]
    flags: ProfileFlags,
    #[command(flatten)]
    secrets: SecretFlags,
}

#[derive(Subcommand)]
enum Command {
    /// Print the access token alone, for $(…)
    #[command(
        after_help = "Example:\n  curl -H \"Authorization: Bearer $(tokenwell token -p binarly)\" https://api.example.com/v1/items"
    )]
    Token {
        /// Print {access_token, token_type, expires_at, expires_in} as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the header line `Authorization: Bearer …`
    #[command(after_help = "Example:\n  curl -H \"$(tokenwell header -p binarly)\" https://api.example.com/v1/items")]
    Header,
    /// Show expiry, time left, scope, token type and the JWT's header and claims (not verified)
    #[command(after_help = "Example:\n  tokenwell inspect -p binarly --json | jq .jwt.claims.sub")]
    Inspect {
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// List or clear cached tokens
    #[command(subcommand)]
    Cache(CacheCommand),
    /// List the profiles, secrets redacted
    #[command(after_help = "Example:\n  tokenwell profiles --json | jq 'keys'")]
    Profiles {
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// List cached entries: key, profile, expiry (never a token)
    #[command(after_help = "Example:\n  tokenwell cache list --json")]
    List {
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove the entry of PROFILE, or every entry when no profile is named
    #[command(
        after_help = "Example:\n  tokenwell cache clear binarly    # the next `tokenwell token -p binarly` fetches anew"
    )]
    Clear {
        /// The profile whose entry to remove (same as -p)
        #[arg(value_name = "PROFILE")]
        name: Option<String>,
        /// Print {"removed": N} as JSON
        #[arg(long)]
        json: bool,
    },
}

/// Why a command failed: a usage problem found by the CLI itself, or a core error.
pub enum Failure {
    Usage(String),
    Core { error: Box<tokenwell::Error>, context: Option<String> },
}

impl From<tokenwell::Error> for Failure {
    fn from(error: tokenwell::Error) -> Self {
        Failure::Core { error: Box::new(error), context: None }
    }
}

impl Failure {
    /// DESIGN §6: 2 usage/config, then one per error code in §4's order (config = 1 → 2, …).
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Core { error, .. } => error.code() as u8 + 1,
        }
    }

    fn report(&self) {
        match self {
            Failure::Usage(m) => eprintln!("tokenwell: {m}"),
            Failure::Core { error, context: Some(c) } => eprintln!("tokenwell: {c}: {error}"),
            Failure::Core { error, context: None } => eprintln!("tokenwell: {error}"),
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let mut out = Out::stdout();
    let cfg = cli.config.as_deref();
    match cli.command {
        Command::Token { json } => {
            let (target, token) = source::token(cli.profile.as_deref(), cfg, &cli.flags, &cli.secrets)?;
            drop(target);
            if json {
                out.json(&output::token_json(&token))
            } else {
                out.line(token.access_token())
            }
        }
        Command::Header => {
            let (_, token) = source::token(cli.profile.as_deref(), cfg, &cli.flags, &cli.secrets)?;
            out.line(&format!("Authorization: {}", token.authorization()))
        }
        Command::Inspect { json } => {
            let (target, token) = source::token(cli.profile.as_deref(), cfg, &cli.flags, &cli.secrets)?;
            let report = output::inspect_json(&token, target.profile.as_deref());
            if json {
                out.json(&report)
            } else {
                out.text(&output::inspect_text(&report))
            }
        }
        Command::Profiles { json } => {
            let profiles = tokenwell::profile::Profiles::load(cfg)?;
            if !profiles.exists() {
                eprintln!("tokenwell: no profiles: {} does not exist", profiles.path().display());
            }
            if json {
                out.json(&output::profiles_json(&profiles))
            } else {
                out.text(&output::profiles_text(&profiles))
            }
        }
        Command::Cache(CacheCommand::List { json }) => {
            let rows = source::cache_rows(cfg, &cli.flags)?;
            if rows.is_empty() {
                eprintln!("tokenwell: no cached tokens");
            }
            if json {
                out.json(&output::cache_json(&rows))
            } else {
                out.text(&output::cache_text(&rows))
            }
        }
        Command::Cache(CacheCommand::Clear { name, json }) => {
            let name = match (name, cli.profile) {
                (Some(a), Some(b)) if a != b => {
                    return Err(Failure::Usage(format!("cache clear: profile `{a}` and -p `{b}` differ: name one")))
                }
                (a, b) => a.or(b),
            };
            let removed = source::cache_clear(name.as_deref(), cfg, &cli.flags)?;
            let plural = if removed == 1 { "entry" } else { "entries" };
            eprintln!("tokenwell: removed {removed} cache {plural}");
            if json {
                out.json(&serde_json::json!({ "removed": removed }))
            } else {
                Ok(())
            }
        }
    }
}

fn main() -> ExitCode {
    // A panic is a bug: say so briefly (no payload, which could quote data) and exit 9.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("tokenwell: internal error{at}; this is a bug, please report it");
    }));
    let cli = Cli::parse();
    logging::init(cli.verbose);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || run(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(failure)) => {
            failure.report();
            ExitCode::from(failure.exit_code())
        }
        Err(_) => ExitCode::from(9),
    }
}
