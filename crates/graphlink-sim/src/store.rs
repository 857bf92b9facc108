//! In-memory records behind [`crate::SimState`]: users, consent grants, pending
//! sign-ins, codes and tokens.

use std::collections::HashMap;
use std::time::SystemTime;

use crate::clock::{Clock, unix_seconds};
use crate::ids;
use crate::model::{Faults, Settings, SimUser, Stats};
use crate::scopes::{RequestedScopes, ScopeSet};

/// Pending sign-ins older than this are dropped, in seconds.
const FLOW_LIFETIME_SECS: u64 = 3600;

/// Authorization codes are redeemable for this long, in seconds (Entra: about 10 min).
pub(crate) const CODE_LIFETIME_SECS: u64 = 600;

/// A moment in the token history: tokens issued before `seq` are affected.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cutoff {
    pub seq: u64,
    pub at_unix: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct UserRecord {
    pub user: SimUser,
    pub faults: Faults,
    /// Set by an admin password reset: older refresh tokens fail with AADSTS50173.
    pub revoked: Option<Cutoff>,
    /// Set to simulate 90 days of inactivity: older refresh tokens fail with AADSTS700082.
    pub expired: Option<Cutoff>,
    pub latest_refresh_token: Option<String>,
    /// Set when the `cae_challenge` fault is switched on: Graph challenges CAE-capable
    /// access tokens issued before it.
    pub policy_changed: Option<Cutoff>,
    /// Requests attributed to this user.
    pub stats: Stats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PkceMethod {
    S256,
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

/// The parts of an `/authorize` request that its redirect needs.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizeRequest {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub method: PkceMethod,
    pub response_mode: ResponseMode,
    pub nonce: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum FlowKind {
    Authorize(AuthorizeRequest),
    Device {
        device_code: String,
    },
    AdminConsent {
        redirect_uri: String,
        state: Option<String>,
    },
}

/// Page a pending sign-in is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    SignIn,
    Mfa,
    AdminApproval,
    Consent,
    AdminConsent,
}

/// A pending interactive sign-in, named by the hidden `flow` field of every page.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub kind: FlowKind,
    pub client_id: String,
    /// Tenant segment of the URL the sign-in started at.
    pub tenant: String,
    pub scopes: RequestedScopes,
    pub login_hint: Option<String>,
    pub prompt: Option<String>,
    pub domain_hint: Option<String>,
    pub claims: Option<String>,
    /// Lower-case username, once the credentials were accepted.
    pub username: Option<String>,
    pub step: Step,
    pub consent_shown: bool,
    pub created_unix: u64,
}

impl Flow {
    /// Creates a flow at the sign-in step, without hints, claims or a signed-in user.
    pub(crate) fn new(
        kind: FlowKind,
        client_id: String,
        tenant: String,
        scopes: RequestedScopes,
        created_unix: u64,
    ) -> Self {
        Self {
            kind,
            client_id,
            tenant,
            scopes,
            login_hint: None,
            prompt: None,
            domain_hint: None,
            claims: None,
            username: None,
            step: Step::SignIn,
            consent_shown: false,
            created_unix,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub method: PkceMethod,
    pub username: String,
    pub scopes: RequestedScopes,
    pub nonce: Option<String>,
    pub issued_unix: u64,
    pub redeemed: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub username: String,
    pub client_id: String,
    pub scopes: RequestedScopes,
    pub issued_seq: u64,
    pub issued_unix: u64,
    /// Last successful redemption, or the issue time. Refresh tokens unused for 90 days
    /// expire (AADSTS700082).
    pub last_used_unix: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    pub username: String,
    pub audience: String,
    pub scopes: ScopeSet,
    pub issued_seq: u64,
    pub expires_unix: u64,
    /// The `xms_cc` values the token request declared. `cp1` makes the token
    /// CAE-capable, so Graph may reject it with a claims challenge.
    pub client_capabilities: Vec<String>,
}

impl AccessGrant {
    pub(crate) fn is_cae_capable(&self) -> bool {
        self.client_capabilities
            .iter()
            .any(|capability| capability.eq_ignore_ascii_case("cp1"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved {
        username: String,
    },
    Declined,
    /// A Conditional Access policy blocked the sign-in (`device_code_blocked` fault).
    Blocked,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceGrant {
    pub client_id: String,
    pub tenant: String,
    pub scopes: RequestedScopes,
    pub user_code: String,
    pub expires_unix: u64,
    pub interval_secs: u64,
    pub last_poll: Option<SystemTime>,
    pub status: DeviceStatus,
    /// The `claims` parameter of the device code request.
    pub claims: Option<String>,
}

/// Everything the simulator remembers. Guarded by one mutex in [`crate::SimState`];
/// every method is synchronous, so the lock is never held across an `.await`.
#[derive(Debug)]
pub(crate) struct Store {
    pub default_tenant: String,
    /// Keyed by lower-case username.
    pub users: HashMap<String, UserRecord>,
    /// User consent, keyed by (oid, lower-case client ID).
    pub user_grants: HashMap<(String, String), ScopeSet>,
    /// Admin consent for a whole tenant, keyed by (tenant ID, lower-case client ID).
    pub tenant_grants: HashMap<(String, String), ScopeSet>,
    pub flows: HashMap<String, Flow>,
    pub codes: HashMap<String, CodeGrant>,
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    pub access_tokens: HashMap<String, AccessGrant>,
    pub device_codes: HashMap<String, DeviceGrant>,
    pub settings: Settings,
    pub stats: Stats,
    pub clock: Clock,
    /// Prepended to every access token, refresh token, authorization code and
    /// device code issued from now on, so a leak test can search for it.
    pub token_prefix: String,
    /// The `code_verifier` of the latest authorization code redemption.
    pub last_code_verifier: Option<String>,
    /// The ID token most recently issued.
    pub last_id_token: Option<String>,
    seq: u64,
}

impl Store {
    pub(crate) fn new() -> Self {
        Self {
            default_tenant: ids::guid(),
            users: HashMap::new(),
            user_grants: HashMap::new(),
            tenant_grants: HashMap::new(),
            flows: HashMap::new(),
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            device_codes: HashMap::new(),
            settings: Settings::default(),
            stats: Stats::default(),
            clock: Clock::system(),
            token_prefix: String::new(),
            last_code_verifier: None,
            last_id_token: None,
            seq: 0,
        }
    }

    /// Generates a random code or token of `bytes` random bytes behind [`Self::token_prefix`].
    pub(crate) fn new_secret(&self, bytes: usize) -> String {
        format!("{}{}", self.token_prefix, ids::random_token(bytes))
    }

    /// Returns the next number in the issue history. Later events get larger numbers.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Returns the simulator's current time. The clock function runs with the store
    /// locked, so it must not call back into the simulator.
    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    pub(crate) fn now_unix(&self) -> u64 {
        unix_seconds(self.now())
    }

    /// Applies `update` to the global counters and, when the user is known, to the
    /// user's own.
    pub(crate) fn count(&mut self, username: Option<&str>, update: impl Fn(&mut Stats)) {
        update(&mut self.stats);
        if let Some(record) = username.and_then(|username| self.user_mut(username)) {
            update(&mut record.stats);
        }
    }

    pub(crate) fn user(&self, username: &str) -> Option<&UserRecord> {
        self.users.get(&username.to_ascii_lowercase())
    }

    pub(crate) fn user_mut(&mut self, username: &str) -> Option<&mut UserRecord> {
        self.users.get_mut(&username.to_ascii_lowercase())
    }

    /// Resolves the tenant segment of a URL: `organizations` and `common` give `None`
    /// (any tenant), a known tenant ID or a user's domain gives that tenant's ID.
    /// `Err(())` means the tenant does not exist here.
    pub(crate) fn resolve_tenant(&self, segment: &str) -> Result<Option<String>, ()> {
        if segment.eq_ignore_ascii_case("organizations") || segment.eq_ignore_ascii_case("common") {
            return Ok(None);
        }
        let lower = segment.to_ascii_lowercase();
        if lower == self.default_tenant
            || self
                .users
                .values()
                .any(|record| record.user.tenant_id == lower)
        {
            return Ok(Some(lower));
        }
        let domain_suffix = format!("@{lower}");
        self.users
            .values()
            .find(|record| {
                record
                    .user
                    .username
                    .to_ascii_lowercase()
                    .ends_with(&domain_suffix)
            })
            .map(|record| Some(record.user.tenant_id.clone()))
            .ok_or(())
    }

    /// Scopes the user may get tokens for: admin consent for the tenant, plus the user's
    /// own consent unless user consent is disabled for them.
    pub(crate) fn effective_grants(&self, username: &str, client_id: &str) -> ScopeSet {
        let Some(record) = self.user(username) else {
            return ScopeSet::default();
        };
        let client = client_id.to_ascii_lowercase();
        let mut granted = self
            .tenant_grants
            .get(&(record.user.tenant_id.clone(), client.clone()))
            .cloned()
            .unwrap_or_default();
        if !record.faults.consent_disabled
            && let Some(own) = self.user_grants.get(&(record.user.oid.clone(), client))
        {
            granted.extend(own.iter());
        }
        granted
    }

    /// Scopes granted by an admin for the user's whole tenant.
    pub(crate) fn tenant_grants_for(&self, username: &str, client_id: &str) -> ScopeSet {
        self.user(username)
            .and_then(|record| {
                self.tenant_grants.get(&(
                    record.user.tenant_id.clone(),
                    client_id.to_ascii_lowercase(),
                ))
            })
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn grant_user_consent(
        &mut self,
        username: &str,
        client_id: &str,
        scopes: &ScopeSet,
    ) {
        let Some(record) = self.user(username) else {
            return;
        };
        let key = (record.user.oid.clone(), client_id.to_ascii_lowercase());
        self.user_grants
            .entry(key)
            .or_default()
            .extend(scopes.iter());
    }

    /// Drops pending sign-ins older than an hour, so abandoned ones do not pile up.
    pub(crate) fn prune_flows(&mut self) {
        let now = self.now_unix();
        self.flows
            .retain(|_, flow| now.saturating_sub(flow.created_unix) < FLOW_LIFETIME_SECS);
    }
}
