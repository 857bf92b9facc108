use super::*;
use crate::state::LinkState::*;

fn entra(error: &str, suberror: Option<&str>, code: u32) -> EntraError {
    EntraError {
        error: error.to_owned(),
        error_description: Some(format!("AADSTS{code}: description")),
        error_codes: vec![code],
        suberror: suberror.map(ToOwned::to_owned),
        ..EntraError::default()
    }
}

#[test]
fn token_errors_map_to_states() {
    // (error, suberror, AADSTS, state, refresh token dead)
    let cases: &[(&str, Option<&str>, u32, LinkState, bool)] = &[
        ("invalid_grant", Some("bad_token"), 50173, ReconnectNeeded, true),
        ("invalid_grant", Some("bad_token"), 700082, ReconnectNeeded, true),
        ("invalid_grant", Some("basic_action"), 50076, ReconnectNeeded, false),
        ("invalid_grant", Some("consent_required"), 65001, ReconnectNeeded, false),
        ("invalid_grant", Some("message_only"), 53003, AdminNeeded, false),
        ("invalid_grant", None, 70043, ReconnectNeeded, true),
        ("invalid_grant", None, 50057, AdminNeeded, false),
        ("interaction_required", None, 50158, ReconnectNeeded, false),
        ("invalid_client", None, 7_000_218, AdminNeeded, false),
        ("temporarily_unavailable", None, 90033, Degraded, false),
    ];
    for (error, suberror, code, state, dead) in cases {
        let result = token_error(400, Some(&entra(error, *suberror, *code)), None);
        assert_eq!(result.state, *state, "{error}/{suberror:?}/{code}");
        assert_eq!(result.refresh_token_dead, *dead, "{error}/{suberror:?}/{code}");
    }
}

#[test]
fn password_change_reason_names_password() {
    let result = token_error(400, Some(&entra("invalid_grant", Some("bad_token"), 50173)), None);
    assert_eq!(result.reason, Reason::PasswordChanged);
    assert!(result.reason.message().contains("password was changed"));
}

#[test]
fn server_errors_never_kill_token() {
    for status in [500, 502, 503, 504] {
        let body = entra("invalid_grant", Some("bad_token"), 50173);
        let result = token_error(status, Some(&body), None);
        assert_eq!(result.state, Degraded, "{status}");
        assert!(!result.refresh_token_dead, "{status}");
    }
}

#[test]
fn throttling_keeps_retry_after() {
    let wait = Some(Duration::from_secs(7));
    let result = token_error(429, None, wait);
    assert_eq!(result.state, Degraded);
    assert_eq!(result.retry_after, wait);
}

#[test]
fn unparseable_body_is_transient() {
    let result = token_error(400, None, None);
    assert_eq!(result.state, Degraded);
    assert!(!result.refresh_token_dead);
}

#[test]
fn transport_failures_are_offline() {
    for kind in [TransportKind::Dns, TransportKind::Connect, TransportKind::Timeout, TransportKind::Reset, TransportKind::Tls] {
        let error = TransportError { kind, host: "login.example".into(), detail: String::new() };
        assert_eq!(transport(&error).state, Offline, "{kind:?}");
    }
}

#[test]
fn consent_denied_redirect_needs_admin() {
    let result = authorize_error("access_denied", Some("AADSTS65004: User declined to consent to access the app."));
    assert_eq!(result.state, AdminNeeded);
    assert_eq!(result.reason, Reason::ConsentNotGranted);
}

#[test]
fn every_reason_has_a_sentence() {
    for rule in TOKEN_RULES {
        let message = rule.reason.message();
        assert!(message.ends_with('.'), "{:?}: {message}", rule.reason);
    }
}
