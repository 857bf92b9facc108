//! The tray's listening endpoint: a Unix domain socket in the user's runtime
//! directory, which only the user can reach, or a named pipe on Windows,
//! whose protection is still to do (see the transport's NOTE).

use std::path::PathBuf;

/// The address of one tray's IPC endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Socket path on Unix, pipe name on Windows.
    pub address: PathBuf,
}

impl Endpoint {
    /// Returns the endpoint of a profile: `tray` for the user's accounts,
    /// `demo` for `graphlink demo`, so both can run at once.
    ///
    /// On Linux the socket is `$XDG_RUNTIME_DIR/graphlink/{profile}.sock`.
    /// Without a runtime directory (macOS, or Linux without a session
    /// manager) it goes to the per-user cache directory, which only the
    /// user can write.
    ///
    /// # Errors
    ///
    /// Fails when there is neither a runtime nor a home directory.
    pub fn for_profile(profile: &str) -> Result<Self, crate::paths::PathsError> {
        if cfg!(windows) {
            let user = std::env::var("USERNAME").unwrap_or_default();
            return Ok(Self { address: PathBuf::from(format!(r"\\.\pipe\graphlink-{user}-{profile}")) });
        }
        let dirs = directories::BaseDirs::new().ok_or(crate::paths::PathsError::NoHome)?;
        let dir = match dirs.runtime_dir() {
            Some(runtime) => runtime.join("graphlink"),
            None => dirs.cache_dir().join("graphlink").join("run"),
        };
        Ok(Self { address: dir.join(format!("{profile}.sock")) })
    }

    /// Returns an endpoint at an explicit path, for tests.
    #[must_use]
    pub fn at(address: impl Into<PathBuf>) -> Self {
        Self { address: address.into() }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.address.display().fmt(f)
    }
}
