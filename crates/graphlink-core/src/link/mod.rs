//! The link between this device and an account: connect, check, disconnect.
//! Shells call these and render the [`AccountStatus`] they return.

mod attempt;
mod check;
mod connect;
mod device;
mod guidance;
mod verdict;

pub use attempt::Attempt;
pub use check::{AccessToken, CheckReport};
pub use connect::{ConnectFailure, ConnectOptions};
pub use device::DeviceCodePrompt;
pub use guidance::missing_scopes;
pub use verdict::admin_consent_url;

use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::accounts::{AccountRecord, AccountStore, AccountsError};
use crate::classify;
use crate::config::Config;
use crate::discovery::{self, Endpoints};
use crate::state::{AccountStatus, Verdict};
use crate::token_store::{KeyringError, TokenStore};

/// Everything one process needs to manage its accounts.
#[derive(Debug)]
pub struct Link {
    config: Config,
    http: reqwest::Client,
    tokens: TokenStore,
    accounts: AccountStore,
    locks_dir: std::path::PathBuf,
    endpoints: OnceCell<Endpoints>,
}

impl Link {
    /// Creates the link manager. Nothing is contacted yet.
    ///
    /// # Errors
    ///
    /// Fails when the HTTP client cannot be built.
    pub fn new(config: Config, tokens: TokenStore, accounts: AccountStore) -> Result<Self, reqwest::Error> {
        let locks_dir = accounts.path().parent().map_or_else(|| "locks".into(), |dir| dir.join("locks"));
        Ok(Self { config, http: crate::http::client()?, tokens, accounts, locks_dir, endpoints: OnceCell::new() })
    }

    /// Replaces the HTTP client, e.g. with one whose timeouts suit a test.
    #[must_use]
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    #[must_use]
    pub fn tokens(&self) -> &TokenStore {
        &self.tokens
    }

    #[must_use]
    pub fn account_store(&self) -> &AccountStore {
        &self.accounts
    }

    /// Returns the endpoints from discovery, fetched once per process.
    async fn endpoints(&self) -> Result<&Endpoints, discovery::DiscoveryError> {
        self.endpoints.get_or_try_init(|| discovery::discover(&self.http, &self.config.authority)).await
    }

    /// Lists accounts with their last known state, without contacting anyone.
    ///
    /// # Errors
    ///
    /// Returns an [`AccountsError`] when the metadata file cannot be read.
    pub fn last_known(&self) -> Result<Vec<AccountStatus>, AccountsError> {
        Ok(self.accounts.load()?.iter().map(status_from_record).collect())
    }

    /// Checks every account now, concurrently.
    ///
    /// # Errors
    ///
    /// Returns an [`AccountsError`] when the metadata file cannot be read.
    pub async fn check_all(&self) -> Result<Vec<AccountStatus>, AccountsError> {
        let records = self.accounts.load()?;
        Ok(futures_util::future::join_all(records.iter().map(|record| self.check(record))).await)
    }

    /// Removes accounts matching `selector` (account key or username; all when
    /// `None`) and their keyring entries. Returns the removed accounts.
    ///
    /// # Errors
    ///
    /// Fails before changing anything when the keyring cannot delete the
    /// token, so no orphaned secret is left behind.
    pub async fn disconnect(&self, selector: Option<&str>) -> Result<Vec<AccountRecord>, DisconnectError> {
        let matching: Vec<AccountRecord> = self
            .accounts
            .load()?
            .into_iter()
            .filter(|record| selector.is_none_or(|wanted| record.key == wanted || record.username.eq_ignore_ascii_case(wanted)))
            .collect();
        if matching.is_empty() {
            return Err(DisconnectError::NotFound(selector.unwrap_or_default().to_owned()));
        }
        for record in &matching {
            self.tokens.delete(&record.key).await?;
            tracing::info!(account = %record.key, "disconnected");
        }
        let keys: Vec<&str> = matching.iter().map(|record| record.key.as_str()).collect();
        self.accounts.update(|records| records.retain(|record| !keys.contains(&record.key.as_str())))?;
        Ok(matching)
    }

    /// Stores a check's verdict on the account's record. The record's link
    /// time serves as its version: a check that started before a disconnect,
    /// a reconnect or a newer check's result changes nothing.
    fn record_verdict(&self, checked: &AccountRecord, verdict: &Verdict, reason: classify::Reason, now: std::time::SystemTime) -> Result<Option<AccountRecord>, AccountsError> {
        let now = OffsetDateTime::from(now);
        self.accounts.update(|records| {
            let record = records.iter_mut().find(|record| record.key == checked.key && record.linked_at == checked.linked_at)?;
            if record.last_check.as_ref().is_some_and(|last| last.checked_at > now) {
                return None;
            }
            record.last_check = Some(crate::accounts::LastCheck {
                state: verdict.state,
                reason,
                capabilities: verdict.capabilities,
                checked_at: now,
                error: verdict.error.clone(),
            });
            if verdict.state == crate::state::LinkState::Connected {
                record.last_connected = Some(now);
            }
            Some(record.clone())
        })
    }
}

/// A failed disconnect.
#[derive(Debug, thiserror::Error)]
pub enum DisconnectError {
    #[error("no linked account matches {0:?}; run `graphlink status` to list accounts")]
    NotFound(String),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// The keyring error is part of the message and not its source, so it is printed once.
    #[error("{0}; no account was removed without its keyring entry, so run the disconnect again once the keyring works")]
    Keyring(KeyringError),
}

impl From<KeyringError> for DisconnectError {
    fn from(error: KeyringError) -> Self {
        Self::Keyring(error)
    }
}

/// Builds the status of an account from its stored record.
#[must_use]
pub fn status_from_record(record: &AccountRecord) -> AccountStatus {
    let (state, capabilities, message, error) = match &record.last_check {
        Some(last) => (last.state, last.capabilities, last.reason.message().to_owned(), last.error.clone()),
        None => (crate::state::LinkState::Checking, Default::default(), "Not checked yet.".to_owned(), None),
    };
    AccountStatus {
        account: record.key.clone(),
        username: record.username.clone(),
        tenant_id: record.tenant_id.clone().unwrap_or_default(),
        state,
        capabilities,
        message,
        action: crate::state::Action::None,
        last_checked: record.last_check.as_ref().map(|last| last.checked_at),
        last_connected: record.last_connected,
        next_check: None,
        error,
    }
}
