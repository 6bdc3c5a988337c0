//! The `file` cache: `<dir>/<key>.json` documents shared by every process of the user, written
//! by atomic rename, with an advisory lock (`<key>.lock`, flock) held across a fetch so
//! concurrent processes wait for one request. The kernel drops a flock when its holder dies, so
//! a killed process never leaves a stale lock. Folder 0700, files 0600; anything owned by
//! someone else or readable by others is refused, not read.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::transport::MAX_BODY;

pub(crate) struct FileCache {
    dir: PathBuf,
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn cache_err(what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::cache(format!("the file cache cannot {what} {} ({e})", path.display()))
}

/// Refuses what another user owns or others can read or write.
fn check_private(path: &Path, meta: &fs::Metadata, dir: bool) -> Result<(), Error> {
    if meta.uid() != euid() {
        return Err(Error::cache(format!(
            "the file cache refuses {}: it belongs to another user (uid {})",
            path.display(),
            meta.uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        let want = if dir { "0700" } else { "0600" };
        return Err(Error::cache(format!(
            "the file cache refuses {}: its permissions {:o} let others in; chmod {want} it",
            path.display(),
            meta.mode() & 0o777
        )));
    }
    Ok(())
}

/// The default folder: `$XDG_CACHE_HOME/tokenwell`, else `~/.cache/tokenwell`.
pub(crate) fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("tokenwell"))
}

impl FileCache {
    pub fn open(dir: &Path) -> Result<FileCache, Error> {
        match fs::symlink_metadata(dir) {
            Ok(meta) => {
                if !meta.is_dir() {
                    return Err(Error::cache(format!("the file cache folder {} is not a folder", dir.display())));
                }
                check_private(dir, &meta, true)?;
            }
            Err(_) => {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| cache_err("create the folder", dir, e))?;
                // `recursive` applies the mode to the last component only; make sure of it.
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| cache_err("set permissions on", dir, e))?;
            }
        }
        Ok(FileCache { dir: dir.to_owned() })
    }

    fn path(&self, key: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{key}.{ext}"))
    }

    fn open_private(&self, path: &Path) -> Result<Option<File>, Error> {
        let file = match OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(cache_err("open", path, e)),
        };
        let meta = file.metadata().map_err(|e| cache_err("inspect", path, e))?;
        if !meta.is_file() {
            return Err(Error::cache(format!("the file cache refuses {}: not a regular file", path.display())));
        }
        check_private(path, &meta, false)?;
        Ok(Some(file))
    }

    /// The 32-byte salt of this folder's credential fingerprints, created once.
    pub fn salt(&self) -> Result<Vec<u8>, Error> {
        let path = self.dir.join("salt");
        for _ in 0..3 {
            if let Some(mut f) = self.open_private(&path)? {
                let mut text = String::new();
                f.read_to_string(&mut text).map_err(|e| cache_err("read", &path, e))?;
                let text = text.trim();
                if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Ok(text.as_bytes().to_vec());
                }
                // Half-written by a process that died: only its creator could have; replace.
                let _ = fs::remove_file(&path);
            }
            let mut salt = [0u8; 32];
            getrandom::getrandom(&mut salt)
                .map_err(|e| Error::cache(format!("no randomness for the cache salt ({e})")))?;
            let tmp = self.dir.join(format!(".salt.{}.tmp", std::process::id()));
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| cache_err("create", &tmp, e))?;
            f.write_all(super::document::hex(&salt).as_bytes()).map_err(|e| cache_err("write", &tmp, e))?;
            drop(f);
            // hard_link fails if another process created the salt first: then use theirs.
            let _ = fs::hard_link(&tmp, &path);
            let _ = fs::remove_file(&tmp);
        }
        Err(Error::cache(format!("the file cache cannot establish {}", path.display())))
    }

    pub fn load(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let path = self.path(key, "json");
        let Some(f) = self.open_private(&path)? else { return Ok(None) };
        let mut bytes = Vec::new();
        f.take(MAX_BODY as u64 + 1).read_to_end(&mut bytes).map_err(|e| cache_err("read", &path, e))?;
        Ok(Some(bytes))
    }

    /// Takes the key's lock without waiting; `None` when another process holds it.
    pub fn try_lock(&self, key: &str) -> Result<Option<File>, Error> {
        let path = self.path(key, "lock");
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| cache_err("open the lock", &path, e))?;
        let meta = f.metadata().map_err(|e| cache_err("inspect", &path, e))?;
        check_private(&path, &meta, false)?;
        // SAFETY: `f` is an open file descriptor owned by this function.
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            Ok(Some(f))
        } else {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                Ok(None)
            } else {
                Err(cache_err("lock", &path, err))
            }
        }
    }

    pub fn store(&self, key: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.path(key, "json");
        let tmp = self.dir.join(format!(".{key}.{}.{}.tmp", std::process::id(), fastrand::u32(..)));
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_data()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            cache_err("write", &path, e)
        })
    }

    pub fn remove(&self, key: &str) -> Result<bool, Error> {
        let path = self.path(key, "json");
        let _ = fs::remove_file(self.path(key, "lock"));
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(cache_err("remove", &path, e)),
        }
    }

    /// The keys that have a document in this folder.
    pub fn keys(&self) -> Result<Vec<String>, Error> {
        let rd = fs::read_dir(&self.dir).map_err(|e| cache_err("list", &self.dir, e))?;
        let mut keys: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(str::to_owned))
            .filter(|k| !k.starts_with('.'))
            .collect();
        keys.sort();
        Ok(keys)
    }
}
