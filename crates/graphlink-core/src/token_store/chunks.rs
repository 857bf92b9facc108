//! Splitting secrets across keyring entries.
//!
//! Windows Credential Manager rejects secrets over 2560 bytes, which it stores
//! as UTF-16, so 1280 characters; Entra refresh tokens can be longer. A token
//! that fits is stored as is under the account's entry. A longer one is
//! first written as numbered chunk entries of a new generation. Then the
//! account's entry is switched to a header naming that generation, and the
//! old generation is deleted. A crash at any point leaves one complete token.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use keyring_core::{CredentialStore, Entry};
use secrecy::{ExposeSecret, SecretString};

use super::KeyringError;
use super::platform::{delete_quietly, map_error, read};

/// Characters per entry: under 1280 UTF-16 units with room to spare.
pub(super) const CHUNK_CHARS: usize = 1200;
const HEADER_PREFIX: &str = "graphlink-chunks:v1:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    generation: u64,
    count: usize,
}

impl Header {
    fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix(HEADER_PREFIX)?;
        let (generation, count) = rest.split_once(':')?;
        Some(Self { generation: generation.parse().ok()?, count: count.parse().ok()? })
    }

    fn render(self) -> String {
        format!("{HEADER_PREFIX}{}:{}", self.generation, self.count)
    }
}

fn chunk_user(account: &str, generation: u64, index: usize) -> String {
    format!("{account}#{generation}.{index}")
}

fn entry(store: &Arc<CredentialStore>, service: &str, user: &str) -> Result<Entry, KeyringError> {
    Entry::new_in_store(store, service, user).map_err(map_error)
}

pub(super) fn load(store: &Arc<CredentialStore>, service: &str, account: &str) -> Result<Option<SecretString>, KeyringError> {
    let Some(text) = read(&entry(store, service, account)?)? else {
        return Ok(None);
    };
    let Some(header) = Header::parse(&text) else {
        return Ok(Some(text.into()));
    };
    let mut token = String::with_capacity(header.count * CHUNK_CHARS);
    for index in 0..header.count {
        let chunk = read(&entry(store, service, &chunk_user(account, header.generation, index))?)?
            .ok_or_else(|| KeyringError::Damaged(format!("part {} of {} is missing", index + 1, header.count)))?;
        token.push_str(&chunk);
    }
    Ok(Some(token.into()))
}

pub(super) fn save(store: &Arc<CredentialStore>, service: &str, account: &str, token: &SecretString) -> Result<(), KeyringError> {
    let main = entry(store, service, account)?;
    let previous = read(&main)?.as_deref().and_then(Header::parse);
    let secret = token.expose_secret();

    if secret.chars().count() <= CHUNK_CHARS {
        main.set_password(secret).map_err(map_error)?;
    } else {
        let chars: Vec<char> = secret.chars().collect();
        let parts: Vec<String> = chars.chunks(CHUNK_CHARS).map(|part| part.iter().collect()).collect();
        let generation = next_generation(previous);
        for (index, part) in parts.iter().enumerate() {
            entry(store, service, &chunk_user(account, generation, index))?.set_password(part).map_err(map_error)?;
        }
        main.set_password(&Header { generation, count: parts.len() }.render()).map_err(map_error)?;
    }

    if let Some(old) = previous {
        delete_chunks(store, service, account, old)?;
    }
    Ok(())
}

pub(super) fn delete(store: &Arc<CredentialStore>, service: &str, account: &str) -> Result<(), KeyringError> {
    let main = entry(store, service, account)?;
    if let Some(header) = read(&main)?.as_deref().and_then(Header::parse) {
        delete_chunks(store, service, account, header)?;
    }
    delete_quietly(&main)
}

fn delete_chunks(store: &Arc<CredentialStore>, service: &str, account: &str, header: Header) -> Result<(), KeyringError> {
    for index in 0..header.count {
        delete_quietly(&entry(store, service, &chunk_user(account, header.generation, index))?)?;
    }
    Ok(())
}

/// Returns a generation that differs from the previous one, so new chunks
/// never overwrite the chunks the current header points at.
fn next_generation(previous: Option<Header>) -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_nanos() as u64);
    match previous {
        Some(header) if header.generation >= now => header.generation + 1,
        _ => now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let header = Header { generation: 42, count: 5 };
        assert_eq!(Header::parse(&header.render()), Some(header));
    }

    #[test]
    fn plain_token_is_not_header() {
        assert_eq!(Header::parse("0.AXEA-refresh-token"), None);
    }

    #[test]
    fn generation_always_changes() {
        let far_future = Header { generation: u64::MAX - 1, count: 1 };
        assert_eq!(next_generation(Some(far_future)), u64::MAX);
    }
}
