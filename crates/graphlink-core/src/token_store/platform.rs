//! The platform's credential store and the mapping of its errors.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error};

use super::KeyringError;

/// Opens the native store of this platform.
pub(super) fn open_store() -> Result<Arc<CredentialStore>, KeyringError> {
    #[cfg(target_os = "macos")]
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new().map_err(map_error)?;
    #[cfg(target_os = "windows")]
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new().map_err(map_error)?;
    #[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
    let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new().map_err(map_error)?;
    #[cfg(not(any(target_os = "macos", target_os = "windows", all(unix, not(any(target_os = "ios", target_os = "android"))))))]
    let store: Arc<CredentialStore> = return Err(KeyringError::Unavailable("this platform has no supported keyring".into()));
    Ok(store)
}

/// Maps a keyring error to ours. Variants that carry secret bytes
/// (`BadEncoding`, `BadDataFormat`) are described without them.
pub(super) fn map_error(error: Error) -> KeyringError {
    match error {
        Error::NoStorageAccess(cause) => KeyringError::Locked(cause.to_string()),
        Error::PlatformFailure(cause) => KeyringError::Unavailable(cause.to_string()),
        Error::NoDefaultStore => KeyringError::Unavailable("no credential store is configured".into()),
        Error::BadEncoding(_) | Error::BadDataFormat(..) => KeyringError::Damaged("the stored value is not text".into()),
        Error::Ambiguous(entries) => KeyringError::Damaged(format!("{} entries match this account", entries.len())),
        Error::NoEntry => KeyringError::Damaged("an entry is missing".into()),
        Error::BadStoreFormat(detail) => KeyringError::Unavailable(detail),
        Error::TooLong(field, limit) => KeyringError::Damaged(format!("{field} is longer than the keyring's limit of {limit}")),
        Error::Invalid(field, detail) => KeyringError::Damaged(format!("{field}: {detail}")),
        Error::NotSupportedByStore(detail) => KeyringError::Unavailable(detail),
        other => KeyringError::Unavailable(other.to_string()),
    }
}

/// Deletes an entry; one that is already gone counts as deleted.
pub(super) fn delete_quietly(entry: &Entry) -> Result<(), KeyringError> {
    match entry.delete_credential() {
        Ok(()) | Err(Error::NoEntry) => Ok(()),
        Err(error) => Err(map_error(error)),
    }
}

/// Reads an entry's text; a missing entry is `Ok(None)`.
pub(super) fn read(entry: &Entry) -> Result<Option<String>, KeyringError> {
    match entry.get_password() {
        Ok(text) => Ok(Some(text)),
        Err(Error::NoEntry) => Ok(None),
        Err(error) => Err(map_error(error)),
    }
}
