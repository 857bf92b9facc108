//! [`SimState`]: the simulator's shared state and the operations of the control API.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use crate::clock::{Clock, unix_seconds};
use crate::ids;
use crate::jwt::SigningKey;
use crate::model::{DEFAULT_PASSWORD, Faults, Settings, SettingsUpdate, SimUser, Stats, UserSpec};
use crate::store::{Cutoff, Store, UserRecord};

/// All users, consent grants, codes, tokens, faults and counters of one simulated
/// identity platform. Cloning is cheap and every clone shares the same state, so a
/// simulator stopped and served again with a clone keeps its users and tokens.
#[derive(Clone)]
pub struct SimState {
    shared: Arc<Shared>,
}

struct Shared {
    store: Mutex<Store>,
    signing_key: SigningKey,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("default_tenant", &self.default_tenant_id())
            .finish_non_exhaustive()
    }
}

impl Default for SimState {
    fn default() -> Self {
        Self::new()
    }
}

impl SimState {
    /// Creates an empty state with a fresh default tenant ID and ID-token signing key.
    ///
    /// # Panics
    ///
    /// Panics if the Ed25519 signing key cannot be built, which only happens when the
    /// jsonwebtoken crypto backend is missing from the build.
    pub fn new() -> Self {
        let signing_key = SigningKey::generate().expect("jsonwebtoken crypto backend is available");
        Self {
            shared: Arc::new(Shared {
                store: Mutex::new(Store::new()),
                signing_key,
            }),
        }
    }

    /// Runs `f` with the store locked. `f` is synchronous, so the lock cannot be held
    /// across an `.await`.
    pub(crate) fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self
            .shared
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut store)
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.shared.signing_key
    }

    /// Tenant ID given to users created without one.
    pub fn default_tenant_id(&self) -> String {
        self.with_store(|store| store.default_tenant.clone())
    }

    /// Creates a user, or updates the display name and password of an existing one
    /// (usernames compare case-insensitively), keeping its `oid`, consent and tokens.
    /// Empty fields get the defaults described on [`UserSpec`].
    pub fn add_user(&self, spec: UserSpec) -> SimUser {
        let username = spec.username.trim().to_owned();
        let display_name = if spec.display_name.trim().is_empty() {
            display_name_from(&username)
        } else {
            spec.display_name
        };
        let password = if spec.password.is_empty() {
            DEFAULT_PASSWORD.to_owned()
        } else {
            spec.password
        };

        self.with_store(|store| {
            let tenant_id = spec
                .tenant_id
                .map(|tenant| tenant.to_ascii_lowercase())
                .unwrap_or_else(|| store.default_tenant.clone());
            let record = store
                .users
                .entry(username.to_ascii_lowercase())
                .or_insert_with(|| UserRecord {
                    user: SimUser {
                        username: username.clone(),
                        display_name: String::new(),
                        password: String::new(),
                        oid: ids::guid(),
                        tenant_id: tenant_id.clone(),
                    },
                    faults: Faults::default(),
                    revoked: None,
                    expired: None,
                    latest_refresh_token: None,
                    policy_changed: None,
                    stats: Stats::default(),
                });
            record.user.display_name = display_name;
            record.user.password = password;
            record.user.clone()
        })
    }

    /// Returns the user named `username` (case-insensitive), if it exists.
    pub fn user(&self, username: &str) -> Option<SimUser> {
        self.with_store(|store| store.user(username).map(|record| record.user.clone()))
    }

    /// Returns all users, sorted by username.
    pub fn users(&self) -> Vec<SimUser> {
        let mut users: Vec<SimUser> =
            self.with_store(|store| store.users.values().map(|r| r.user.clone()).collect());
        users.sort_by(|a, b| a.username.cmp(&b.username));
        users
    }

    /// Simulates an admin password reset: every refresh token issued so far fails with
    /// AADSTS50173 (`invalid_grant`, `bad_token`). Graph rejects CAE-capable access
    /// tokens issued so far with a claims challenge. Other access tokens stay valid
    /// until they expire, as on Entra without continuous access evaluation. Unknown
    /// users are ignored.
    pub fn revoke(&self, username: &str) {
        self.with_store(|store| {
            let cutoff = Cutoff {
                seq: store.next_seq(),
                at_unix: store.now_unix(),
            };
            if let Some(record) = store.user_mut(username) {
                record.revoked = Some(cutoff);
            }
        });
    }

    /// Simulates 90 days without use: every refresh token issued so far fails with
    /// AADSTS700082 (`invalid_grant`, `bad_token`). Unknown users are ignored.
    pub fn expire(&self, username: &str) {
        self.with_store(|store| {
            let cutoff = Cutoff {
                seq: store.next_seq(),
                at_unix: store.now_unix(),
            };
            if let Some(record) = store.user_mut(username) {
                record.expired = Some(cutoff);
            }
        });
    }

    /// Replaces the faults of a user. Unknown users are ignored. Switching
    /// `cae_challenge` on marks the moment of the policy change: access tokens issued
    /// before it are challenged. [`Faults::validate`] lists the values the control API
    /// rejects.
    pub fn set_faults(&self, username: &str, faults: Faults) {
        self.with_store(|store| {
            let cutoff = Cutoff {
                seq: store.next_seq(),
                at_unix: store.now_unix(),
            };
            if let Some(record) = store.user_mut(username) {
                if !faults.cae_challenge {
                    record.policy_changed = None;
                } else if !record.faults.cae_challenge {
                    record.policy_changed = Some(cutoff);
                }
                record.faults = faults;
            }
        });
    }

    /// Returns the faults of a user, or no faults for an unknown user.
    pub fn faults(&self, username: &str) -> Faults {
        self.with_store(|store| {
            store
                .user(username)
                .map(|r| r.faults.clone())
                .unwrap_or_default()
        })
    }

    /// Withdraws the user's own consent to every app, as when a user removes an app's
    /// permissions. Admin consent for the tenant stays.
    pub fn clear_consent(&self, username: &str) {
        self.with_store(|store| {
            if let Some(oid) = store.user(username).map(|r| r.user.oid.clone()) {
                store
                    .user_grants
                    .retain(|(grant_oid, _), _| *grant_oid != oid);
            }
        });
    }

    /// Returns the refresh token most recently issued to the user, by any grant.
    pub fn latest_refresh_token(&self, username: &str) -> Option<String> {
        self.with_store(|store| {
            store
                .user(username)
                .and_then(|r| r.latest_refresh_token.clone())
        })
    }

    /// Starts every access token, refresh token, authorization code and device code
    /// issued from now on with `prefix`, a canary that a leak test can search logs
    /// and files for. The prefix should use base64url characters (`A-Z a-z 0-9 - _`)
    /// so the values stay valid in URLs and forms.
    pub fn set_token_prefix(&self, prefix: &str) {
        self.with_store(|store| store.token_prefix = prefix.to_owned());
    }

    /// Returns the PKCE `code_verifier` of the latest authorization code redemption,
    /// whether or not it matched the code's challenge.
    pub fn last_code_verifier(&self) -> Option<String> {
        self.with_store(|store| store.last_code_verifier.clone())
    }

    /// Returns the ID token most recently issued, to any user.
    pub fn last_id_token(&self) -> Option<String> {
        self.with_store(|store| store.last_id_token.clone())
    }

    /// Returns the counters of every request since the state was created.
    pub fn stats(&self) -> Stats {
        self.with_store(|store| store.stats.clone())
    }

    /// Returns the counters of the requests attributed to one user: token requests
    /// once the code, refresh token or device code names the user, sign-ins, and Graph
    /// requests whose access token belongs to the user (valid, expired or challenged).
    /// `authorize_requests` and `device_code_requests` stay 0, because those requests
    /// do not name a user yet. An unknown user gets zeros.
    pub fn user_stats(&self, username: &str) -> Stats {
        self.with_store(|store| {
            store
                .user(username)
                .map(|record| record.stats.clone())
                .unwrap_or_default()
        })
    }

    /// Replaces the clock that the simulator reads for token lifetimes, code and
    /// device code expiry, refresh token inactivity, revocation times and the
    /// timestamps of error responses. The default is the system clock. The function
    /// is called with the state locked, so it must not call into this `SimState`.
    pub fn set_clock(&self, clock: Arc<dyn Fn() -> SystemTime + Send + Sync>) {
        self.with_store(|store| store.clock = Clock::new(clock));
    }

    /// Returns the simulator's current time in Unix seconds.
    pub(crate) fn now_unix(&self) -> u64 {
        let clock = self.with_store(|store| store.clock.clone());
        unix_seconds(clock.now())
    }

    /// Returns the client capabilities (`xms_cc` values, such as `cp1`) that the
    /// request for `access_token` declared, or `None` for an unknown token.
    pub fn client_capabilities(&self, access_token: &str) -> Option<Vec<String>> {
        self.with_store(|store| {
            store
                .access_tokens
                .get(access_token)
                .map(|grant| grant.client_capabilities.clone())
        })
    }

    /// Sets `expires_in` of access tokens issued from now on, in seconds.
    pub fn set_access_token_lifetime(&self, secs: u64) {
        self.with_store(|store| store.settings.access_token_lifetime_secs = secs);
    }

    /// Sets `interval` of device codes issued from now on, in seconds.
    pub fn set_device_code_interval(&self, secs: u64) {
        self.with_store(|store| store.settings.device_code_interval_secs = secs);
    }

    pub fn settings(&self) -> Settings {
        self.with_store(|store| store.settings)
    }

    /// Applies the fields present in `update` and returns the resulting settings.
    pub fn update_settings(&self, update: SettingsUpdate) -> Settings {
        self.with_store(|store| {
            let settings = &mut store.settings;
            if let Some(secs) = update.access_token_lifetime_secs {
                settings.access_token_lifetime_secs = secs;
            }
            if let Some(secs) = update.device_code_interval_secs {
                settings.device_code_interval_secs = secs;
            }
            if let Some(secs) = update.device_code_lifetime_secs {
                settings.device_code_lifetime_secs = secs;
            }
            *settings
        })
    }
}

/// `adele.vance@contoso.example` gives `Adele Vance`.
fn display_name_from(username: &str) -> String {
    let local = username.split('@').next().unwrap_or(username);
    local
        .split(['.', '_', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_user_fills_defaults() {
        let state = SimState::new();

        let user = state.add_user(UserSpec {
            username: "adele.vance@contoso.example".to_owned(),
            ..UserSpec::default()
        });

        assert_eq!(user.display_name, "Adele Vance");
        assert_eq!(user.password, DEFAULT_PASSWORD);
        assert_eq!(user.tenant_id, state.default_tenant_id());
        assert!(ids::is_guid(&user.oid));
    }

    #[test]
    fn add_user_twice_keeps_oid() {
        let state = SimState::new();
        let first = state.add_user(UserSpec {
            username: "a@x.example".to_owned(),
            ..UserSpec::default()
        });

        let second = state.add_user(UserSpec {
            username: "A@X.example".to_owned(),
            password: "new".to_owned(),
            ..UserSpec::default()
        });

        assert_eq!(first.oid, second.oid);
        assert_eq!(second.password, "new");
        assert_eq!(state.users().len(), 1);
    }

    #[test]
    fn token_prefix_starts_new_secrets() {
        let state = SimState::new();

        state.set_token_prefix("CANARY-");

        let secret = state.with_store(|store| store.new_secret(16));
        assert!(secret.starts_with("CANARY-"), "{secret}");
        assert!(secret.len() > "CANARY-".len(), "{secret}");
    }

    #[test]
    fn faults_of_unknown_user_are_default() {
        let state = SimState::new();

        state.set_faults(
            "nobody@x.example",
            Faults {
                mfa_required: true,
                ..Faults::default()
            },
        );

        assert_eq!(state.faults("nobody@x.example"), Faults::default());
    }
}
