//! Random identifiers, codes and tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;

/// Generates a random GUID in Entra's lower-case hyphenated form.
pub(crate) fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Checks that `value` is a GUID such as `2b5a3e64-7a4f-4c1a-9d0e-4f1b6c2e8a71`.
pub(crate) fn is_guid(value: &str) -> bool {
    value.len() == 36 && uuid::Uuid::parse_str(value).is_ok()
}

/// Generates `bytes` random bytes, base64url-encoded without padding, for codes and
/// tokens, which are opaque to clients as Entra's are.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill(buffer.as_mut_slice());
    URL_SAFE_NO_PAD.encode(buffer)
}

/// Generates a device-flow user code: nine characters from an alphabet without
/// look-alikes.
pub(crate) fn user_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..9)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Encodes base64url without padding, as JWTs and `client_info` use.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
