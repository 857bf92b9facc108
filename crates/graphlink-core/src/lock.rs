//! One refresh at a time per account across processes (the tray and a
//! `graphlink status` call may run together).
//!
//! The lock is an OS advisory lock on a per-account file. The kernel releases
//! it when its owner exits or is killed, so a crashed owner never leaves a
//! stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

const POLL: Duration = Duration::from_millis(50);

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct RefreshLock {
    _file: File,
}

/// Returns the lock file of an account. Characters that are not safe in
/// file names (a `sub.iss` key contains a URL) become `_`.
#[must_use]
pub fn lock_path(dir: &Path, account: &str) -> PathBuf {
    let name: String = account
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
        .collect();
    dir.join(format!("{name}.lock"))
}

impl RefreshLock {
    /// Waits up to `timeout` for the account's lock.
    ///
    /// # Errors
    ///
    /// Fails when the lock file cannot be created, or another process held
    /// the lock for the whole `timeout`.
    pub async fn acquire(dir: &Path, account: &str, timeout: Duration) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(lock_path(dir, account))?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => tokio::time::sleep(POLL).await,
                Err(TryLockError::WouldBlock) => {
                    return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "another Graphlink process is refreshing this account"));
                }
                Err(TryLockError::Error(error)) => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_holder_waits_for_release() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = RefreshLock::acquire(dir.path(), "oid.tid", Duration::from_secs(1)).await.expect("first");
        let blocked = RefreshLock::acquire(dir.path(), "oid.tid", Duration::from_millis(200)).await;
        assert_eq!(blocked.expect_err("held").kind(), std::io::ErrorKind::TimedOut);
        drop(first);
        RefreshLock::acquire(dir.path(), "oid.tid", Duration::from_millis(200)).await.expect("released");
    }

    #[test]
    fn url_keys_become_file_names() {
        let path = lock_path(Path::new("/locks"), "sub.https://idp.example/realm");
        assert_eq!(path, Path::new("/locks/sub.https___idp.example_realm.lock"));
    }
}
