//! Non-secret account metadata in a JSON file in the platform data directory,
//! written atomically and readable only by the user.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::classify::Reason;
use crate::state::{Capabilities, ErrorDetail, LinkState};

const FILE_VERSION: u32 = 1;

/// One linked account. Contains no token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// `{oid}.{tid}`, or `{sub}.{iss}` for servers without those claims.
    pub key: String,
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub object_id: Option<String>,
    /// The authority the account was linked through.
    pub authority: String,
    #[serde(with = "time::serde::rfc3339")]
    pub linked_at: OffsetDateTime,
    #[serde(default)]
    pub last_check: Option<LastCheck>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_connected: Option<OffsetDateTime>,
    /// Scopes the identity platform granted at the last sign-in, short form
    /// (`Mail.Read`). `None` for accounts linked before this was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_scopes: Option<Vec<String>>,
    /// Set when the last sign-in for this account ended at the tenant's
    /// consent block ("Need admin approval"); cleared by a successful sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_blocked: Option<ConsentBlocked>,
    /// Claims of a challenge that only a new sign-in can satisfy; sent with
    /// the next reconnect. Not a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_challenge: Option<String>,
    /// The application (client) ID the refresh token was issued to. A refresh
    /// token works only for its client, so a changed setting must not be
    /// mistaken for a dead token. `None` for accounts linked before this was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// A sign-in that the tenant's consent policy stopped, kept so that later
/// checks keep pointing at IT instead of asking the rep to retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentBlocked {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

/// The result of the most recent check, shown until the next one finishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCheck {
    pub state: LinkState,
    pub reason: Reason,
    pub capabilities: Capabilities,
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

#[derive(Debug, Serialize, Deserialize)]
struct AccountsFile {
    version: u32,
    accounts: Vec<AccountRecord>,
}

/// The format version alone, read before the rest of the file.
#[derive(Deserialize)]
struct FileVersion {
    version: u32,
}

/// A problem with the metadata file. The file is never overwritten after a
/// failed read, so a damaged file loses nothing.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is damaged ({detail}); move it aside and reconnect, or restore it from a backup")]
    Damaged { path: PathBuf, detail: String },
    /// The file is intact but newer than this build reads; moving it aside would lose its accounts.
    #[error("{path} was written by a newer Graphlink (format {version}, this one reads up to {FILE_VERSION}); update Graphlink, and keep the file")]
    Newer { path: PathBuf, version: u32 },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// The metadata file of one profile.
#[derive(Debug, Clone)]
pub struct AccountStore {
    path: PathBuf,
}

impl AccountStore {
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads all accounts; a missing file means none.
    ///
    /// # Errors
    ///
    /// Returns an [`AccountsError`] when the file exists but cannot be read or parsed.
    pub fn load(&self) -> Result<Vec<AccountRecord>, AccountsError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(AccountsError::Read { path: self.path.clone(), source }),
        };
        let damaged = |error: serde_json::Error| AccountsError::Damaged { path: self.path.clone(), detail: error.to_string() };
        // The version comes first, because a newer format may not parse as this one.
        let version: FileVersion = serde_json::from_str(&text).map_err(damaged)?;
        if version.version > FILE_VERSION {
            return Err(AccountsError::Newer { path: self.path.clone(), version: version.version });
        }
        let file: AccountsFile = serde_json::from_str(&text).map_err(damaged)?;
        Ok(file.accounts)
    }

    /// Rereads the file, applies `change` and writes the result atomically.
    ///
    /// # Errors
    ///
    /// Returns an [`AccountsError`] when reading or writing fails; the file
    /// is then left as it was.
    pub fn update<T>(&self, change: impl FnOnce(&mut Vec<AccountRecord>) -> T) -> Result<T, AccountsError> {
        let mut accounts = self.load()?;
        let result = change(&mut accounts);
        self.write(&accounts)?;
        Ok(result)
    }

    fn write(&self, accounts: &[AccountRecord]) -> Result<(), AccountsError> {
        let error = |source| AccountsError::Write { path: self.path.clone(), source };
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        create_private_dir(dir).map_err(error)?;

        let file = AccountsFile { version: FILE_VERSION, accounts: accounts.to_vec() };
        let mut json = serde_json::to_vec_pretty(&file).map_err(|e| error(std::io::Error::other(e)))?;
        json.push(b'\n');

        // tempfile creates the file with mode 0600 on Unix.
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(error)?;
        temp.write_all(&json).map_err(error)?;
        temp.as_file().sync_all().map_err(error)?;
        temp.persist(&self.path).map_err(|persist| error(persist.error))?;
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str) -> AccountRecord {
        AccountRecord {
            key: key.to_owned(),
            username: "adele@contoso.example".into(),
            display_name: None,
            tenant_id: Some("t".into()),
            object_id: Some("o".into()),
            authority: "https://login.example/organizations/v2.0".into(),
            linked_at: OffsetDateTime::UNIX_EPOCH,
            last_check: None,
            last_connected: None,
            granted_scopes: None,
            consent_blocked: None,
            claims_challenge: None,
            client_id: None,
        }
    }

    #[test]
    fn update_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = AccountStore::new(dir.path().join("data/accounts.json"));
        assert!(store.load().expect("missing file").is_empty());
        store.update(|accounts| accounts.push(record("o.t"))).expect("write");
        assert_eq!(store.load().expect("read"), vec![record("o.t")]);
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = AccountStore::new(dir.path().join("accounts.json"));
        store.update(|accounts| accounts.push(record("o.t"))).expect("write");
        let mode = std::fs::metadata(store.path()).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    #[test]
    fn damaged_file_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("accounts.json");
        std::fs::write(&path, "{ not json").expect("write");
        let store = AccountStore::new(path.clone());
        let error = store.update(|accounts| accounts.clear()).expect_err("damaged");
        assert!(error.to_string().contains("accounts.json is damaged"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{ not json");
    }

    #[test]
    fn newer_file_is_kept_not_called_damaged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("accounts.json");
        let text = r#"{"version":2,"accounts":{"renamed":[]}}"#;
        std::fs::write(&path, text).expect("write");
        let store = AccountStore::new(path.clone());
        let error = store.update(|accounts| accounts.clear()).expect_err("newer");
        let message = error.to_string();
        assert!(message.contains("written by a newer Graphlink (format 2, this one reads up to 1)"), "{message}");
        assert!(!message.contains("move it aside"), "{message}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
    }
}
