//! The last connect attempt that only IT can unblock, kept next to the
//! account metadata so `graphlink status` and the window can show the
//! request for IT even though no account was linked. Contains no secret.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Link;
use super::connect::ConnectFailure;
use crate::accounts::AccountStore;
use crate::consent::ItRequest;
use crate::state::{Action, ErrorDetail, LinkState};

/// A failed first connect that needs an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The username typed or hinted, when known.
    pub username: Option<String>,
    pub state: LinkState,
    pub message: String,
    pub action: Action,
    pub error: Option<ErrorDetail>,
    pub it_request: Option<ItRequest>,
}

impl Attempt {
    pub(super) fn from_failure(failure: &ConnectFailure, username: Option<&str>, at: OffsetDateTime) -> Self {
        Self {
            at,
            username: username.map(str::to_owned),
            state: failure.state,
            message: failure.message.clone(),
            action: failure.action.clone(),
            error: failure.error.clone(),
            it_request: failure.it_request.clone(),
        }
    }

    /// Returns the last connect attempt that ended needing IT, recorded next
    /// to the account file of `accounts`, until an account links
    /// successfully. A missing or unreadable file is `None`.
    #[must_use]
    pub fn last_failed(accounts: &AccountStore) -> Option<Self> {
        let text = std::fs::read_to_string(attempt_path(accounts.path())).ok()?;
        serde_json::from_str(&text).ok()
    }
}

fn attempt_path(accounts_file: &Path) -> PathBuf {
    accounts_file.with_file_name("last-connect-attempt.json")
}

impl Link {
    pub(super) fn attempt_file(&self) -> PathBuf {
        attempt_path(self.accounts.path())
    }

    /// Returns the last connect attempt that ended needing IT, as [`Attempt::last_failed`] does.
    #[must_use]
    pub fn last_failed_attempt(&self) -> Option<Attempt> {
        Attempt::last_failed(&self.accounts)
    }
}

pub(super) fn save(path: &Path, attempt: &Attempt) {
    let result = serde_json::to_vec_pretty(attempt).map_err(std::io::Error::other).and_then(|json| {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut temp = tempfile::NamedTempFile::new_in(path.parent().unwrap_or_else(|| Path::new(".")))?;
        std::io::Write::write_all(&mut temp, &json)?;
        temp.persist(path).map(|_| ()).map_err(|error| error.error)
    });
    if let Err(error) = result {
        tracing::warn!(path = %path.display(), %error, "could not record the failed connect attempt");
    }
}

pub(super) fn clear(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(path = %path.display(), %error, "could not remove the failed connect attempt"),
    }
}
