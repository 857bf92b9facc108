//! Every row of the classification table, produced by the simulator: each
//! identity-platform error in its catalogue, Graph's statuses and codes, and
//! transport failures. Each row checks the state, and whether the refresh
//! token survives: only errors that prove it dead may delete it.

mod support;

use std::time::{Duration, SystemTime};

use graphlink_core::ExposeSecret as _;
use graphlink_core::classify::Reason;
use graphlink_core::state::{CapabilityStatus, LinkState};
use graphlink_sim::{Capability, Faults, GraphFault, TokenFault};
use support::harness::Harness;

use LinkState::{AdminNeeded, Degraded, Offline, ReconnectNeeded};

/// (AADSTS code, expected state, refresh token proven dead)
const TOKEN_ROWS: &[(u32, LinkState, bool)] = &[
    (50076, ReconnectNeeded, false),
    (50079, ReconnectNeeded, false),
    (50078, ReconnectNeeded, false),
    (50158, ReconnectNeeded, false),
    (50173, ReconnectNeeded, true),
    (50132, ReconnectNeeded, true),
    (50133, ReconnectNeeded, true),
    (53003, AdminNeeded, false),
    (65001, ReconnectNeeded, false),
    (70000, ReconnectNeeded, true),
    (70008, ReconnectNeeded, true),
    (700082, ReconnectNeeded, true),
    (700084, ReconnectNeeded, true),
    (70043, ReconnectNeeded, true),
    (70011, AdminNeeded, false),
    (54005, AdminNeeded, false),
    (7_000_218, AdminNeeded, false),
    (700016, AdminNeeded, false),
    (500011, AdminNeeded, false),
    (9_002_313, AdminNeeded, false),
    (50034, ReconnectNeeded, true),
    (16000, ReconnectNeeded, false),
    (50057, AdminNeeded, false),
    (50053, AdminNeeded, false),
    (50055, ReconnectNeeded, false),
    (135010, ReconnectNeeded, false),
    (50058, ReconnectNeeded, false),
    (50194, AdminNeeded, false),
    (50196, Degraded, false),
    (90033, Degraded, false),
    (90006, Degraded, false),
    (90090, Degraded, false),
    (90024, Degraded, false),
    (50033, Degraded, false),
    (50087, Degraded, false),
    (70012, Degraded, false),
    (50126, ReconnectNeeded, false),
    (65002, AdminNeeded, false),
    (500133, AdminNeeded, false),
];

async fn stored_token(harness: &Harness) -> Option<String> {
    let tokens = harness.link.tokens();
    tokens.load(&account_key(harness)).await.expect("keyring readable").map(|token| token.expose_secret().to_owned())
}

fn account_key(harness: &Harness) -> String {
    format!("{}.{}", harness.user.oid, harness.user.tenant_id)
}

async fn check(harness: &Harness) -> graphlink_core::link::CheckReport {
    let record = harness.link.account_store().load().expect("accounts").into_iter().next().expect("one account");
    harness.link.check_cached(&record, None, SystemTime::now()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_identity_error_row() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    let known = graphlink_sim::entra_error_codes();
    for code in &known {
        assert!(TOKEN_ROWS.iter().any(|(row, _, _)| row == code), "the simulator knows AADSTS{code}, which has no row here");
    }

    for (code, state, dead) in TOKEN_ROWS {
        let sent = graphlink_sim::entra_error_for(*code).unwrap_or_else(|| panic!("the simulator lacks AADSTS{code}"));
        harness.state.set_faults(&harness.user.username, Faults { refresh_error: Some(*code), ..Faults::default() });
        let before = stored_token(&harness).await;
        assert!(before.is_some(), "AADSTS{code}: a token to start with");

        let report = check(&harness).await;
        assert_eq!(report.status.state, *state, "AADSTS{code} sent as {sent:?}: {}", report.status.message);
        assert_eq!(stored_token(&harness).await.is_none(), *dead, "AADSTS{code} sent as {sent:?}: token deleted?");
        assert_eq!(report.status.error.as_ref().and_then(|error| error.aadsts), Some(*code), "AADSTS{code}: kept for support");
        assert!(report.status.error.as_ref().is_some_and(|error| error.correlation_id.is_some()), "AADSTS{code}: correlation ID kept");

        // Restore the link for the next row: a dead token is put back as it was.
        if *dead {
            let token = before.expect("token");
            harness.link.tokens().save(&account_key(&harness), &token.into()).await.expect("restore");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasons_name_the_cause() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    for (code, reason) in [(50173, Reason::PasswordChanged), (700082, Reason::LinkExpired), (70043, Reason::SignInFrequency), (50076, Reason::MfaRequired), (50194, Reason::SingleTenantAuthority)] {
        harness.state.set_faults(&harness.user.username, Faults { refresh_error: Some(code), ..Faults::default() });
        let report = check(&harness).await;
        assert!(report.status.message.starts_with(reason.message()), "AADSTS{code}: {}", report.status.message);
        if let Some(token) = harness.state.latest_refresh_token(&harness.user.username) {
            harness.link.tokens().save(&account_key(&harness), &token.into()).await.expect("restore");
        }
    }
}

/// (fault, expected state, capabilities profile/mail/calendar ok)
fn graph_rows() -> Vec<(&'static str, Faults, LinkState, [bool; 3])> {
    let item = |capability, status, code: &str, retry| Faults {
        graph_errors: vec![GraphFault { capability, status, code: code.into(), retry_after_secs: retry }],
        ..Faults::default()
    };
    vec![
        ("calendar 403 ErrorAccessDenied", Faults { graph_forbidden: vec![Capability::Calendar], ..Faults::default() }, Degraded, [true, true, false]),
        ("profile 403 Authorization_RequestDenied", Faults { graph_forbidden: vec![Capability::Profile], ..Faults::default() }, AdminNeeded, [false, true, true]),
        ("mail 404 MailboxNotEnabledForRESTAPI", item(Capability::Mail, 404, "MailboxNotEnabledForRESTAPI", None), AdminNeeded, [true, false, true]),
        ("calendar 429 item", item(Capability::Calendar, 429, "TooManyRequests", Some(30)), Degraded, [true, true, false]),
        ("mail 503 item", item(Capability::Mail, 503, "serviceNotAvailable", None), Degraded, [true, false, true]),
        ("batch 503", Faults { graph_outage: Some(503), graph_outage_retry_after_secs: Some(20), ..Faults::default() }, Degraded, [false, false, false]),
        ("batch reset", Faults { graph_reset: true, ..Faults::default() }, Offline, [false, false, false]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_graph_row() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    for (name, faults, state, capabilities) in graph_rows() {
        harness.state.set_faults(&harness.user.username, faults);
        let report = check(&harness).await;
        assert_eq!(report.status.state, state, "{name}: {}", report.status.message);
        let seen = [report.status.capabilities.profile, report.status.capabilities.mail, report.status.capabilities.calendar];
        let ok = seen.map(|status| status == CapabilityStatus::Ok);
        assert_eq!(ok, capabilities, "{name}");
        assert!(stored_token(&harness).await.is_some(), "{name}: Graph failures never cost the token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_item_honours_retry_after() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    harness.state.set_faults(&harness.user.username, Faults {
        graph_errors: vec![GraphFault { capability: Capability::Calendar, status: 429, code: "TooManyRequests".into(), retry_after_secs: Some(30) }],
        ..Faults::default()
    });
    let report = check(&harness).await;
    assert!(report.transient);
    assert_eq!(report.retry_after, Some(Duration::from_secs(30)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_transport_rows() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    let rows = [
        ("HTML 502 page", TokenFault::ServerErrorHtml { status: 502 }, Degraded),
        ("JSON 503", TokenFault::ServerError { status: 503 }, Degraded),
        ("429", TokenFault::Throttled { retry_after_secs: 7 }, Degraded),
        ("connection closed", TokenFault::Reset, Offline),
    ];
    for (name, fault, state) in rows {
        harness.state.set_faults(&harness.user.username, Faults { token_error: Some(fault), ..Faults::default() });
        let report = check(&harness).await;
        assert_eq!(report.status.state, state, "{name}: {}", report.status.message);
        assert!(stored_token(&harness).await.is_some(), "{name}: the token is kept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_token_endpoint_times_out_offline() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().expect("client");
    let record = harness.link.account_store().load().expect("accounts").remove(0);
    harness.state.set_faults(&harness.user.username, Faults { token_error: Some(TokenFault::Hang { secs: 3 }), ..Faults::default() });
    let slow = harness.relink_with_client(impatient);
    let report = slow.check_cached(&record, None, SystemTime::now()).await;
    assert_eq!(report.status.state, Offline, "{}", report.status.message);
    assert!(stored_token(&harness).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_challenge_answered_by_refresh() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    let record = harness.link.account_store().load().expect("accounts").remove(0);
    let first = harness.link.check_cached(&record, None, SystemTime::now()).await;
    assert_eq!(first.status.state, LinkState::Connected);

    harness.state.set_faults(&harness.user.username, Faults { cae_challenge: true, ..Faults::default() });
    let before = harness.state.user_stats(&harness.user.username);
    let second = harness.link.check_cached(&record, first.access_token, SystemTime::now()).await;
    let after = harness.state.user_stats(&harness.user.username);
    assert_eq!(second.status.state, LinkState::Connected, "{}", second.status.message);
    assert_eq!(after.token_requests - before.token_requests, 1, "one refresh carrying the claims");
    assert_eq!(after.graph_requests - before.graph_requests, 2, "the challenged probe and the one after the refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_cae_token_asks_reconnect_with_claims() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    let record = harness.link.account_store().load().expect("accounts").remove(0);
    let first = harness.link.check_cached(&record, None, SystemTime::now()).await;

    harness.state.revoke(&harness.user.username);
    let second = harness.link.check_cached(&record, first.access_token, SystemTime::now()).await;
    assert_eq!(second.status.state, LinkState::ReconnectNeeded, "{}", second.status.message);
    let stored = harness.link.account_store().load().expect("accounts").remove(0);
    let claims = stored.claims_challenge.expect("claims kept for the reconnect");
    assert!(claims.contains("nbf"), "{claims}");
    assert!(stored_token(&harness).await.is_none(), "a revoked token is dead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_failure_is_offline() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    // The simulator speaks plain HTTP, so a TLS handshake with it fails.
    let mut config = harness.config.clone();
    config.authority = url::Url::parse(&format!("https://{}/organizations/v2.0", harness.addr)).expect("url");
    let tokens = graphlink_core::token_store::TokenStore::with_store("graphlink", Duration::from_secs(5), harness.keyring.as_store());
    let accounts = graphlink_core::accounts::AccountStore::new(harness.dir.path().join("accounts.json"));
    let link = graphlink_core::link::Link::new(config, tokens, accounts).expect("link");
    let record = link.account_store().load().expect("accounts").remove(0);

    let report = link.check_cached(&record, None, SystemTime::now()).await;
    assert_eq!(report.status.state, Offline, "{}", report.status.message);
    assert!(report.status.message.starts_with(Reason::TlsFailed.message()), "{}", report.status.message);
    assert!(stored_token(&harness).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_offline() {
    let mut harness = Harness::start(Duration::from_secs(300)).await;
    harness.stop_sim().await;
    let report = check(&harness).await;
    assert_eq!(report.status.state, Offline, "{}", report.status.message);
    assert!(report.status.message.starts_with(Reason::Unreachable.message()), "{}", report.status.message);
    assert!(stored_token(&harness).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_check_never_overwrites() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    let started_with = harness.link.account_store().load().expect("accounts").remove(0);

    // A reconnect happens while the check is under way: the record is replaced.
    harness.link.account_store().update(|records| {
        records[0].linked_at += time::Duration::seconds(1);
        records[0].last_check = None;
    }).expect("update");
    harness.state.set_faults(&harness.user.username, Faults { refresh_error: Some(50173), ..Faults::default() });
    let report = harness.link.check_cached(&started_with, None, SystemTime::now()).await;
    assert_eq!(report.status.state, ReconnectNeeded);

    let stored = harness.link.account_store().load().expect("accounts").remove(0);
    assert!(stored.last_check.is_none(), "the result of a check on the replaced record was stored: {:?}", stored.last_check);
}

/// Returns a link to the harness's accounts whose configured client ID is `client_id`.
fn link_with_client_id(harness: &Harness, client_id: String) -> graphlink_core::link::Link {
    let mut config = harness.config.clone();
    config.client_id = client_id;
    let tokens = graphlink_core::token_store::TokenStore::with_store("graphlink", Duration::from_secs(5), harness.keyring.as_store());
    let accounts = graphlink_core::accounts::AccountStore::new(harness.dir.path().join("accounts.json"));
    graphlink_core::link::Link::new(config, tokens, accounts).expect("link")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_id_in_other_case_still_connects() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    let link = link_with_client_id(&harness, harness.config.client_id.to_uppercase());
    let record = link.account_store().load().expect("accounts").remove(0);

    let report = link.check_cached(&record, None, SystemTime::now()).await;
    assert_eq!(report.status.state, LinkState::Connected, "{}", report.status.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_client_id_keeps_token() {
    let harness = Harness::start(Duration::from_secs(300)).await;
    let link = link_with_client_id(&harness, "00000000-0000-0000-0000-000000000000".into());
    let record = link.account_store().load().expect("accounts").remove(0);
    let before = harness.state.user_stats(&harness.user.username);

    let report = link.check_cached(&record, None, SystemTime::now()).await;
    assert_eq!(report.status.state, AdminNeeded, "{}", report.status.message);
    assert!(report.status.message.starts_with(Reason::ClientIdChanged.message()), "{}", report.status.message);
    assert!(stored_token(&harness).await.is_some(), "a changed setting never costs the token");
    assert_eq!(harness.state.user_stats(&harness.user.username).token_requests, before.token_requests, "no refresh with the wrong client");
}
