//! Platform directories for configuration, account metadata and logs.

use std::path::PathBuf;

use directories::ProjectDirs;

/// Directories Graphlink reads and writes, resolved once per process.
///
/// On Linux they follow the XDG base directory variables, so tests point
/// `XDG_CONFIG_HOME`, `XDG_DATA_HOME` and `XDG_STATE_HOME` at a temporary
/// directory to get a private installation.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// Resolves the per-user directories of this platform.
    ///
    /// # Errors
    ///
    /// Fails when no home directory can be found, because then there is no
    /// per-user place to keep account metadata.
    pub fn from_platform() -> Result<Self, PathsError> {
        let dirs = ProjectDirs::from("com", "Graphlink", "graphlink").ok_or(PathsError::NoHome)?;
        let log_dir = dirs
            .state_dir()
            .map_or_else(|| dirs.data_local_dir().join("logs"), |state| state.join("logs"));
        Ok(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_local_dir().to_path_buf(),
            log_dir,
        })
    }

    /// Returns a copy whose data directory is a named subdirectory, so a demo
    /// keeps its accounts apart from the real ones.
    #[must_use]
    pub fn with_profile(mut self, profile: &str) -> Self {
        self.data_dir = self.data_dir.join(profile);
        self
    }

    /// Returns the user's configuration file.
    #[must_use]
    pub fn user_config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// Returns the account metadata file, which contains no secrets.
    #[must_use]
    pub fn accounts_file(&self) -> PathBuf {
        self.data_dir.join("accounts.json")
    }
}

/// Failure to find the per-user directories.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error("no home directory found: set HOME (or USERPROFILE on Windows) so Graphlink can keep its settings")]
    NoHome,
}

/// Returns the system-wide configuration file that an administrator installs.
#[must_use]
pub fn managed_config_file() -> PathBuf {
    if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/Graphlink/config.toml")
    } else if cfg!(windows) {
        let program_data = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        PathBuf::from(program_data).join("Graphlink").join("config.toml")
    } else {
        PathBuf::from("/etc/graphlink/config.toml")
    }
}
