//! The device authorization grant (RFC 8628) as the Microsoft identity
//! platform implements it: `POST /devicecode`, then polling the token
//! endpoint until the user has signed in on another device.
//!
//! The wait between polls goes through an injected sleep function, so tests
//! run in simulated time.

use std::future::Future;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::error::{EntraError, TokenError};
use super::token::{TokenClient, TokenResponse, post_form};

/// Polling interval when the server sends none (RFC 8628, section 3.2).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Shortest interval honoured, so a server sending 0 cannot cause a busy loop.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Added to the interval on every `slow_down` (RFC 8628, section 3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Lifetime assumed when the server sends no `expires_in` (Entra's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(900);

/// AADSTS codes of Conditional Access blocks seen with the device code flow:
/// 53003 (blocked by policy), 53000 and 53001 (device not compliant or not
/// domain-joined), 50005 (platform not supported by policy), 50097 (device
/// authentication required), 530032 (blocked by security policy).
const POLICY_BLOCK_CODES: &[u32] = &[53_003, 53_000, 53_001, 50_005, 50_097, 530_032];

/// A device code the user must enter at `verification_uri`.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// Secret, because any holder can redeem the sign-in.
    pub device_code: SecretString,
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in: Duration,
    pub interval: Duration,
    /// The server's own instruction text, localised by Entra.
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct RawDeviceAuthorization {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

/// The reason polling ended without tokens.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeviceError {
    #[error("the sign-in with the code was declined")]
    Declined,
    #[error("the code expired before the sign-in finished")]
    Expired,
    /// A Conditional Access policy blocks sign-in from another device.
    #[error("an organisation policy blocks sign-in with a device code")]
    BlockedByPolicy(EntraError),
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// Requests a device code for `scope` from the device authorization `endpoint`.
///
/// # Errors
///
/// Returns a [`TokenError`] for transport failures and error responses.
pub async fn request_code(client: &TokenClient, endpoint: &Url, scope: &str) -> Result<DeviceAuthorization, TokenError> {
    let body = post_form(client.http(), endpoint, &[("client_id", client.client_id()), ("scope", scope)]).await?;
    // The serde error text is dropped because it can quote the device code.
    let raw: RawDeviceAuthorization = serde_json::from_slice(&body)
        .map_err(|_| TokenError::Malformed(format!("{} bytes that are not a device authorization response", body.len())))?;
    Ok(DeviceAuthorization {
        device_code: raw.device_code.into(),
        user_code: raw.user_code,
        verification_uri: raw.verification_uri,
        expires_in: raw.expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs),
        interval: raw.interval.map_or(DEFAULT_INTERVAL, Duration::from_secs).max(MIN_INTERVAL),
        message: raw.message,
    })
}

/// Polls the token endpoint every `interval` until the user finishes,
/// declines or the code expires. `slow_down` adds five seconds to the
/// interval for the rest of the polling.
///
/// # Errors
///
/// Returns a [`DeviceError`]: declined, expired, blocked by a policy, or any
/// other token endpoint or transport failure.
pub async fn poll<S, F>(client: &TokenClient, authorization: &DeviceAuthorization, mut sleep: S) -> Result<TokenResponse, DeviceError>
where
    S: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut interval = authorization.interval.max(MIN_INTERVAL);
    let mut waited = Duration::ZERO;
    loop {
        if waited >= authorization.expires_in {
            return Err(DeviceError::Expired);
        }
        sleep(interval).await;
        waited += interval;

        let error = match client.redeem_device_code(&authorization.device_code).await {
            Ok(tokens) => return Ok(tokens),
            Err(error) => error,
        };
        let TokenError::Rejected { body: Some(body), .. } = &error else {
            return Err(DeviceError::Token(error));
        };
        match body.error.as_str() {
            "authorization_pending" => {}
            "slow_down" => {
                interval += SLOW_DOWN_STEP;
                tracing::debug!(interval_secs = interval.as_secs(), "device code polling slowed down");
            }
            "authorization_declined" => return Err(DeviceError::Declined),
            "expired_token" | "code_expired" => return Err(DeviceError::Expired),
            _ if is_policy_block(body) => return Err(DeviceError::BlockedByPolicy(body.clone())),
            _ => return Err(DeviceError::Token(error)),
        }
    }
}

/// True when an error body is a Conditional Access block.
#[must_use]
pub fn is_policy_block(body: &EntraError) -> bool {
    body.suberror.as_deref() == Some("message_only") || body.aadsts().is_some_and(|code| POLICY_BLOCK_CODES.contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_block_by_code_or_suberror() {
        let blocked = EntraError { error: "invalid_grant".into(), error_codes: vec![53003], ..EntraError::default() };
        assert!(is_policy_block(&blocked));
        let message_only = EntraError { error: "invalid_grant".into(), suberror: Some("message_only".into()), ..EntraError::default() };
        assert!(is_policy_block(&message_only));
        let pending = EntraError { error: "authorization_pending".into(), error_codes: vec![70016], ..EntraError::default() };
        assert!(!is_policy_block(&pending));
    }
}
