//! `Client.from_profile`: a `[profiles.NAME]` table of the CLI's configuration file
//! (`$XDG_CONFIG_HOME/tokenwell/config.toml`, DESIGN §6 CLI), with `${NAME}` expanded and the
//! `file` cache unless the profile names another. The core reads and expands the table.

use std::path::PathBuf;

use pyo3::prelude::*;
use tokenwell::Config;

use crate::errors::{config_error, to_pyerr};

fn config_file() -> Option<PathBuf> {
    let dir = match std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(dir.join("tokenwell").join("config.toml"))
}

pub(crate) fn load(py: Python<'_>, name: Option<&str>) -> PyResult<Config> {
    let Some(path) = config_file() else {
        return Err(config_error(py, "profile", "no configuration folder: set XDG_CONFIG_HOME or HOME".into()));
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        config_error(py, "profile", format!("cannot read the profiles file {} ({e}): create it", path.display()))
    })?;
    let doc: toml::Table = toml::from_str(&text)
        .map_err(|e| config_error(py, "profile", format!("{} is not valid TOML: {}", path.display(), e.message())))?;
    let profiles = doc.get("profiles").and_then(toml::Value::as_table);
    let names = || profiles.map(|p| p.keys().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
    let chosen = match (name, profiles) {
        (Some(n), Some(p)) => p.get(n).map(|t| (n.to_owned(), t)),
        (None, Some(p)) => match p.get("default") {
            Some(t) => Some(("default".to_owned(), t)),
            None if p.len() == 1 => p.iter().next().map(|(n, t)| (n.clone(), t)),
            None => None,
        },
        (_, None) => None,
    };
    let Some((chosen, table)) = chosen else {
        let wanted = name.map_or_else(
            || "no profile named `default` (and more than one profile)".to_owned(),
            |n| format!("no profile `{n}`"),
        );
        return Err(config_error(py, "profile", format!("{}: {wanted} (profiles: {})", path.display(), names())));
    };
    let Some(table) = table.as_table() else {
        return Err(config_error(py, "profile", format!("{}: `profiles.{chosen}` is not a table", path.display())));
    };
    let text = toml::to_string(table).map_err(|e| config_error(py, "profile", format!("profile `{chosen}`: {e}")))?;
    let mut config = Config::from_toml(&text).map_err(|e| to_pyerr(py, &e))?;
    if config.cache.is_none() {
        config.cache = Some("file".to_owned());
    }
    Ok(config)
}
