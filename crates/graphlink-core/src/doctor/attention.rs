//! The findings of a diagnosis that need someone to act, each with its fix.

use super::{EndpointCheck, Report};
use crate::state::LinkState;

/// The response a correct endpoint returns to the doctor's request, and the
/// setting that chose its address.
struct Expected {
    statuses: &'static [u16],
    answer: &'static str,
    setting: &'static str,
}

fn expected(endpoint: &str) -> Expected {
    match endpoint {
        "discovery" => Expected { statuses: &[200], answer: "an OpenID Connect discovery document (HTTP 200)", setting: "authority" },
        "token" => Expected { statuses: &[400, 401], answer: "an OAuth error (HTTP 400) for the empty request", setting: "authority" },
        _ => Expected { statuses: &[401], answer: "HTTP 401, Microsoft Graph's answer to a request without a token", setting: "graph_url" },
    }
}

/// Lists everything in `report` that needs attention, in the order of the report.
pub(super) fn findings(report: &Report) -> Vec<String> {
    let mut found = Vec::new();
    if report.config.iter().any(|entry| entry.key == "client_id" && entry.value.is_none()) {
        found.push("client_id is not set: set it to the Application (client) ID of Graphlink's app registration, in the configuration file or the managed file".to_owned());
    }
    if let Some(managed) = &report.managed_file {
        found.extend(managed.problems.iter().map(|problem| format!("unsafe managed file: {problem}")));
    }
    if let Some(error) = &report.keyring.error {
        found.push(format!("the keyring failed: {error}"));
    }
    for endpoint in &report.endpoints {
        found.extend(endpoint_finding(report, endpoint));
    }
    if let Some(clock) = report.clock.as_ref().filter(|clock| !clock.ok) {
        found.push(format!("this computer's clock is {} s off {}: set the time automatically", clock.skew_secs, clock.server));
    }
    if let Some(error) = &report.accounts_error {
        found.push(error.clone());
    }
    for account in &report.accounts {
        if let Some(state) = account.state.filter(|state| *state != LinkState::Connected) {
            found.push(format!("{} was {state} at its last check: run `graphlink status` to see what to do", account.username));
        }
    }
    found
}

fn endpoint_finding(report: &Report, endpoint: &EndpointCheck) -> Option<String> {
    let expected = expected(endpoint.name);
    let source = report.config.iter().find(|entry| entry.key == expected.setting).map(|entry| entry.source.as_str()).unwrap_or_default();
    let Some(status) = endpoint.status else {
        let error = endpoint.error.as_deref().unwrap_or("no answer");
        return Some(format!("{} {} is not reachable: {error}; check the network and the proxy", endpoint.name, endpoint.url));
    };
    if let Some(tls) = endpoint.tls.as_ref().filter(|tls| !tls.verified) {
        let error = tls.error.as_deref().unwrap_or("not verified");
        return Some(format!("the TLS certificate of {} is not trusted: {error}", endpoint.url));
    }
    if !expected.statuses.contains(&status) {
        return Some(format!(
            "{} {} answered HTTP {status} instead of {}: check {} (from {source})",
            endpoint.name, endpoint.url, expected.answer, expected.setting
        ));
    }
    None
}
