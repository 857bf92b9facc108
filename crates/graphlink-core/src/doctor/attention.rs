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
        found.push(format!("the keyring failed ({error}): unlock the keyring, or install one such as GNOME Keyring or KWallet, then run doctor again"));
    }
    let mut discovery_answered = false;
    for endpoint in &report.endpoints {
        let finding = endpoint_finding(report, endpoint);
        if endpoint.name == "discovery" {
            discovery_answered = finding.is_none();
        }
        found.extend(finding);
    }
    // A discovery address that returns 200 with something else is found only here.
    if let Some(error) = report.discovery_error.as_ref().filter(|_| discovery_answered) {
        found.push(format!("{error}: check authority (from {})", source_of(report, "authority")));
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

fn source_of<'a>(report: &'a Report, setting: &str) -> &'a str {
    report.config.iter().find(|entry| entry.key == setting).map(|entry| entry.source.as_str()).unwrap_or_default()
}

fn endpoint_finding(report: &Report, endpoint: &EndpointCheck) -> Option<String> {
    let expected = expected(endpoint.name);
    let source = source_of(report, expected.setting);
    // A certificate that is not trusted also makes the request fail, so it is named first.
    if let Some(tls) = endpoint.tls.as_ref().filter(|tls| !tls.verified) {
        let detail = tls.untrusted_message().unwrap_or_else(|| format!("The TLS certificate of {} is not trusted: {}.", endpoint.url, tls.error.as_deref().unwrap_or("not verified")));
        return Some(detail);
    }
    let Some(status) = endpoint.status else {
        let error = endpoint.error.as_deref().unwrap_or("no answer");
        return Some(format!(
            "{} {} is not reachable ({error}): check the network and the proxy, and {} (from {source})",
            endpoint.name, endpoint.url, expected.setting
        ));
    };
    if !expected.statuses.contains(&status) {
        return Some(format!(
            "{} {} answered HTTP {status} instead of {}: check {} (from {source})",
            endpoint.name, endpoint.url, expected.answer, expected.setting
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{ConfigEntry, KeyringCheck};
    use super::*;

    fn endpoint(name: &'static str, status: u16) -> EndpointCheck {
        EndpointCheck { name, url: format!("https://login.example/{name}"), reachable: true, status: Some(status), proxy: None, elapsed_ms: 1, error: None, tls: None, date: None }
    }

    fn report(endpoints: Vec<EndpointCheck>, discovery_error: Option<&str>) -> Report {
        Report {
            config: vec![ConfigEntry { key: "authority", value: Some("https://login.example/v2.0".into()), source: "/etc/graphlink/config.toml".into(), locked: true, ignored: Vec::new() }],
            managed_file: None,
            keyring: KeyringCheck { ok: true, service: "graphlink".into(), elapsed_ms: 1, error: None },
            proxy_variables: Vec::new(),
            endpoints,
            clock: None,
            accounts: Vec::new(),
            accounts_error: None,
            discovery_error: discovery_error.map(str::to_owned),
            attention: Vec::new(),
        }
    }

    #[test]
    fn healthy_endpoints_need_nothing() {
        let healthy = report(vec![endpoint("discovery", 200), endpoint("token", 400), endpoint("graph", 401)], None);
        assert_eq!(findings(&healthy), Vec::<String>::new());
    }

    #[test]
    fn discovery_page_that_is_no_document_names_authority() {
        let html = report(vec![endpoint("discovery", 200), endpoint("graph", 401)], Some("the discovery document is not JSON"));
        assert_eq!(findings(&html), ["the discovery document is not JSON: check authority (from /etc/graphlink/config.toml)"]);
    }
}
