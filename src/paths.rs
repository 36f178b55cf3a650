//! Where files live: everything under one data dir (`--data-dir`, `BROGUE_DATA_DIR`, or the
//! platform's data directory).

use std::path::{Path, PathBuf};

use color_eyre::eyre::{self, OptionExt as _};

/// The data dir to use: the one given, or the platform's (e.g. `~/.local/share/brogue`).
pub fn data_dir(given: Option<PathBuf>) -> eyre::Result<PathBuf> {
    match given {
        Some(dir) => Ok(dir),
        None => directories::ProjectDirs::from("", "", "brogue")
            .map(|d| d.data_dir().to_owned())
            .ok_or_eyre("cannot find a home directory for saves: pass --data-dir DIR"),
    }
}

/// This install's identity key.
pub fn identity(data_dir: &Path) -> PathBuf {
    data_dir.join("identity.key")
}

/// The log file's directory.
pub fn logs(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Days of logs kept (one file a day).
pub const LOG_DAYS: u16 = 7;
