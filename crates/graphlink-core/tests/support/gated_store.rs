//! An in-memory credential store that can be locked and unlocked, standing
//! in for a keyring that a user locks for a while.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use keyring_core::api::{CredentialApi, CredentialStoreApi};
use keyring_core::{Credential, CredentialStore, Entry, Error, Result};

/// The store; clones share the lock switch.
#[derive(Debug, Clone)]
pub struct GatedStore {
    inner: Arc<CredentialStore>,
    locked: Arc<AtomicBool>,
}

impl GatedStore {
    pub fn new() -> Self {
        Self { inner: keyring_core::mock::Store::new().expect("mock store"), locked: Arc::new(AtomicBool::new(false)) }
    }

    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::SeqCst);
    }

    pub fn as_store(&self) -> Arc<CredentialStore> {
        Arc::new(self.clone())
    }
}

impl CredentialStoreApi for GatedStore {
    fn vendor(&self) -> String {
        "graphlink test".into()
    }

    fn id(&self) -> String {
        "gated".into()
    }

    fn build(&self, service: &str, user: &str, modifiers: Option<&HashMap<&str, &str>>) -> Result<Entry> {
        let inner = self.inner.build(service, user, modifiers)?;
        Ok(Entry::new_with_credential(Arc::new(GatedCred { inner, locked: Arc::clone(&self.locked) })))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct GatedCred {
    inner: Entry,
    locked: Arc<AtomicBool>,
}

impl GatedCred {
    fn gate(&self) -> Result<()> {
        if self.locked.load(Ordering::SeqCst) {
            return Err(Error::NoStorageAccess("the collection is locked".into()));
        }
        Ok(())
    }
}

impl CredentialApi for GatedCred {
    fn set_secret(&self, secret: &[u8]) -> Result<()> {
        self.gate()?;
        self.inner.set_secret(secret)
    }

    fn get_secret(&self) -> Result<Vec<u8>> {
        self.gate()?;
        self.inner.get_secret()
    }

    fn delete_credential(&self) -> Result<()> {
        self.gate()?;
        self.inner.delete_credential()
    }

    fn get_credential(&self) -> Result<Option<Arc<Credential>>> {
        self.gate()?;
        self.inner.get_credential().map(|_| None)
    }

    fn get_specifiers(&self) -> Option<(String, String)> {
        self.inner.get_specifiers()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
