//! The token store against the session's real Secret Service (run through
//! `scripts/with-keyring.sh`, as `make test` does) and against a lockable
//! in-memory store.

mod support;

use std::process::Command;
use std::time::Duration;

use graphlink_core::SecretString;
use graphlink_core::secrecy::ExposeSecret as _;
use graphlink_core::token_store::{KeyringError, TokenStore};
use support::gated_store::GatedStore;

fn large_token(len: usize) -> SecretString {
    let token: String = (0..len).map(|index| char::from(b'A' + (index % 26) as u8)).collect();
    token.into()
}

fn secret_tool_search(service: &str) -> String {
    let output = Command::new("secret-tool")
        .args(["search", "--all", "service", service])
        .output()
        .expect("secret-tool runs (install libsecret-tools)");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[tokio::test]
async fn large_token_split_on_real_keyring() {
    let service = format!("graphlink-test-{}", std::process::id());
    let store = TokenStore::new(service.clone(), Duration::from_secs(10));
    let token = large_token(6 * 1024);

    store.save("oid.tid", &token).await.expect("save");
    let loaded = store.load("oid.tid").await.expect("load").expect("present");
    assert_eq!(loaded.expose_secret(), token.expose_secret());

    let listing = secret_tool_search(&service);
    let entries = listing.matches("attribute.username = ").count();
    assert_eq!(entries, 7, "a header and six parts of at most 1200 characters:\n{listing}");

    store.delete("oid.tid").await.expect("delete");
    assert_eq!(store.load("oid.tid").await.expect("load").map(|token| token.expose_secret().len()), None);
    assert_eq!(secret_tool_search(&service).matches("attribute.username = ").count(), 0);
}

#[tokio::test]
async fn replacing_large_token_leaves_no_parts() {
    let gated = GatedStore::new();
    let store = TokenStore::with_store("graphlink", Duration::from_secs(5), gated.as_store());
    store.save("oid.tid", &large_token(6000)).await.expect("first");
    store.save("oid.tid", &large_token(3000)).await.expect("second");
    store.save("oid.tid", &"short-token".to_owned().into()).await.expect("third");
    let loaded = store.load("oid.tid").await.expect("load").expect("present");
    assert_eq!(loaded.expose_secret(), "short-token");
}

#[tokio::test]
async fn locked_store_reports_locked_and_recovers() {
    let gated = GatedStore::new();
    let store = TokenStore::with_store("graphlink", Duration::from_secs(5), gated.as_store());
    store.save("oid.tid", &"token-1".to_owned().into()).await.expect("save");

    gated.set_locked(true);
    let error = store.load("oid.tid").await.expect_err("locked");
    assert!(matches!(error, KeyringError::Locked(_)), "{error:?}");

    gated.set_locked(false);
    let loaded = store.load("oid.tid").await.expect("unlocked").expect("kept");
    assert_eq!(loaded.expose_secret(), "token-1");
}

#[tokio::test]
async fn missing_entry_is_none() {
    let store = TokenStore::with_store("graphlink", Duration::from_secs(5), GatedStore::new().as_store());
    assert!(store.load("nobody").await.expect("load").is_none());
    store.delete("nobody").await.expect("deleting nothing succeeds");
}
