//! The refresh token in the OS keyring (Keychain, Credential Manager, Secret
//! Service), and nowhere else.
//!
//! Every call runs on a blocking thread under a deadline, so a locked or hung
//! keyring can never freeze the caller. Large tokens are split across entries
//! by [`chunks`], through the same code on every platform.

mod chunks;
mod platform;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};
use secrecy::SecretString;

/// Deadline for one keyring operation when no person is waiting on a prompt.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// A keyring failure. Messages never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("the system keyring is not available: {0}")]
    Unavailable(String),
    #[error("the system keyring is locked or access was denied: {0}")]
    Locked(String),
    #[error("the system keyring did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("the keyring entry for this account is damaged: {0}")]
    Damaged(String),
}

/// Refresh tokens per account key, in one keyring service.
#[derive(Clone)]
pub struct TokenStore {
    service: String,
    deadline: Duration,
    store: Arc<StoreCache>,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore").field("service", &self.service).field("deadline", &self.deadline).finish_non_exhaustive()
    }
}

impl TokenStore {
    /// Creates a store for a keyring service name. Nothing is contacted yet.
    #[must_use]
    pub fn new(service: impl Into<String>, deadline: Duration) -> Self {
        Self { service: service.into(), deadline, store: Arc::new(StoreCache(Mutex::new(None))) }
    }

    /// Creates a store over a given credential store instead of the
    /// platform's, e.g. an in-memory one for tests of the engine.
    #[must_use]
    pub fn with_store(service: impl Into<String>, deadline: Duration, store: Arc<CredentialStore>) -> Self {
        Self { service: service.into(), deadline, store: Arc::new(StoreCache(Mutex::new(Some(store)))) }
    }

    #[must_use]
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Writes and deletes a probe entry, proving the keyring accepts secrets
    /// before a browser sign-in produces one.
    ///
    /// # Errors
    ///
    /// Returns the [`KeyringError`] that a real save would hit.
    pub async fn probe(&self) -> Result<(), KeyringError> {
        // A name of its own per call, so two processes probing at once never
        // delete each other's entry mid-write.
        let user = format!("graphlink-probe-{}-{:016x}", std::process::id(), fastrand::u64(..));
        self.run(move |store, service| {
            let entry = Entry::new_in_store(store, service, &user).map_err(platform::map_error)?;
            entry.set_password("probe").map_err(platform::map_error)?;
            platform::delete_quietly(&entry)
        })
        .await
    }

    /// Reads an account's refresh token. A missing entry is `Ok(None)`.
    ///
    /// # Errors
    ///
    /// Returns a [`KeyringError`] when the keyring cannot be read.
    pub async fn load(&self, account: &str) -> Result<Option<SecretString>, KeyringError> {
        let account = account.to_owned();
        self.run(move |store, service| chunks::load(store, service, &account)).await
    }

    /// Saves an account's refresh token, replacing the previous one only once
    /// the new one is completely written.
    ///
    /// # Errors
    ///
    /// Returns a [`KeyringError`] when the keyring cannot be written.
    pub async fn save(&self, account: &str, token: &SecretString) -> Result<(), KeyringError> {
        let account = account.to_owned();
        let token = token.clone();
        self.run(move |store, service| chunks::save(store, service, &account, &token)).await
    }

    /// Deletes an account's entries. Deleting what is already gone succeeds.
    ///
    /// # Errors
    ///
    /// Returns a [`KeyringError`] when the keyring cannot be written.
    pub async fn delete(&self, account: &str) -> Result<(), KeyringError> {
        let account = account.to_owned();
        self.run(move |store, service| chunks::delete(store, service, &account)).await
    }

    async fn run<T, F>(&self, operation: F) -> Result<T, KeyringError>
    where
        T: Send + 'static,
        F: FnOnce(&Arc<CredentialStore>, &str) -> Result<T, KeyringError> + Send + 'static,
    {
        let cache = Arc::clone(&self.store);
        let service = self.service.clone();
        let task = tokio::task::spawn_blocking(move || {
            let store = cached_store(&cache)?;
            operation(&store, &service)
        });
        match tokio::time::timeout(self.deadline, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => Err(KeyringError::Unavailable(format!("keyring call failed: {join_error}"))),
            // The blocking thread is left to finish on its own: a keyring call cannot be cancelled.
            Err(_) => Err(KeyringError::TimedOut(self.deadline)),
        }
    }
}

/// The credential store shared by every clone of a [`TokenStore`], opened on
/// first use.
struct StoreCache(Mutex<Option<Arc<CredentialStore>>>);

impl Drop for StoreCache {
    /// Closes the store on a thread without a Tokio runtime. The Secret
    /// Service store closes its D-Bus proxies with blocking zbus calls, which
    /// zbus 5 runs with `block_on` on a Tokio runtime of its own, and Tokio
    /// panics when a thread that runs async tasks calls `block_on`. The last
    /// clone is often dropped on such a thread: at the end of a command, or
    /// when the runtime shuts down with the engine's task.
    fn drop(&mut self) {
        let Some(store) = self.0.get_mut().unwrap_or_else(PoisonError::into_inner).take() else { return };
        if tokio::runtime::Handle::try_current().is_err() {
            drop(store);
            return;
        }
        // The slot keeps the store out of the closure, so a failed spawn
        // cannot drop it here.
        let slot = Arc::new(Mutex::new(Some(store)));
        let closing = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name("keyring-close".into())
            .spawn(move || drop(closing.lock().unwrap_or_else(PoisonError::into_inner).take()));
        if let Err(error) = spawned {
            tracing::warn!(%error, "failed to start a thread to close the keyring connection, so it stays open until the process exits");
            std::mem::forget(slot.lock().unwrap_or_else(PoisonError::into_inner).take());
        }
    }
}

/// Opens the platform store once and keeps it. A failed open is retried on
/// the next call, so a keyring that appears later is picked up.
fn cached_store(cache: &StoreCache) -> Result<Arc<CredentialStore>, KeyringError> {
    let mut guard = cache.0.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(store) = guard.as_ref() {
        return Ok(Arc::clone(store));
    }
    let store = platform::open_store()?;
    *guard = Some(Arc::clone(&store));
    Ok(store)
}
