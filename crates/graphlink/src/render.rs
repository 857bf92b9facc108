//! Text and JSON output of account statuses, with each account's migration
//! readiness checklist and, when an administrator must act, the request for IT.

use graphlink_core::config::Config;
use graphlink_core::consent::{self, ItRequest};
use graphlink_core::link::Attempt;
use graphlink_core::readiness::{self, AccountReport, Fixer, Readiness, StepStatus};
use graphlink_core::state::{AccountStatus, Action, CapabilityStatus};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `status --json`: `{"accounts": [...], "last_connect_attempt": ...}`.
#[derive(Serialize)]
struct StatusDocument<'a> {
    accounts: Vec<AccountDocument>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_connect_attempt: Option<&'a Attempt>,
}

#[derive(Serialize)]
struct AccountDocument {
    #[serde(flatten)]
    report: AccountReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    it_request: Option<ItRequest>,
}

/// Renders the JSON document of `status --json`.
///
/// # Errors
///
/// Fails only if serialisation fails, which these types do not.
pub fn json(config: &Config, statuses: &[AccountStatus], attempt: Option<&Attempt>) -> serde_json::Result<String> {
    let accounts = statuses
        .iter()
        .map(|status| AccountDocument { report: status.clone().into(), it_request: consent::for_status(config, status) })
        .collect();
    serde_json::to_string_pretty(&StatusDocument { accounts, last_connect_attempt: attempt })
}

/// Returns the requests for IT of every account that needs an
/// administrator, and of the last failed connect attempt.
pub fn it_requests(config: &Config, statuses: &[AccountStatus], attempt: Option<&Attempt>) -> Vec<ItRequest> {
    let mut requests: Vec<ItRequest> = statuses.iter().filter_map(|status| consent::for_status(config, status)).collect();
    requests.extend(attempt.and_then(|attempt| attempt.it_request.clone()));
    requests
}

/// Renders statuses as short paragraphs for a terminal.
pub fn text(config: &Config, statuses: &[AccountStatus]) -> String {
    if statuses.is_empty() {
        return "No account is linked yet. Run `graphlink connect` to link your Microsoft 365 account.\n".to_owned();
    }
    let mut out = String::new();
    for status in statuses {
        out.push_str(&format!("{}  {}\n", status.username, status.state));
        let capabilities = &status.capabilities;
        out.push_str(&format!(
            "  profile {} · mail {} · calendar {}",
            word(capabilities.profile),
            word(capabilities.mail),
            word(capabilities.calendar)
        ));
        if let Some(checked) = status.last_checked.and_then(format_to_the_second) {
            out.push_str(&format!(" · checked {checked}"));
        }
        if let Some(next) = status.next_check.and_then(format_to_the_second) {
            out.push_str(&format!(" · next check {next}"));
        }
        out.push('\n');
        out.push_str(&format!("  {}\n", status.message));
        match &status.action {
            Action::Reconnect => out.push_str(&format!("  To fix: run `graphlink connect --account {}`.\n", status.username)),
            Action::AskAdmin { .. } => out.push_str("  To fix: send the request for IT below to your IT department.\n"),
            Action::UnlockKeyring => out.push_str("  To fix: unlock the keyring, then run `graphlink status` again.\n"),
            Action::FixConfiguration | Action::None => {}
        }
        out.push_str(&readiness_text(&readiness::for_status(status)));
        if let Some(request) = consent::for_status(config, status) {
            out.push_str("\n  Request for IT (also printed alone by `graphlink status --it-request`):\n\n");
            for line in request.text.lines() {
                out.push_str(&format!("    {line}\n").replace("    \n", "\n"));
            }
        }
        out.push('\n');
    }
    out
}

/// Renders the checklist as indented lines, one per step.
fn readiness_text(readiness: &Readiness) -> String {
    let mut out = String::from("  Migration readiness:\n");
    for step in &readiness.steps {
        let mark = match step.status {
            StepStatus::Done => "[x]",
            StepStatus::Missing => "[ ]",
            StepStatus::Unknown => "[?]",
        };
        let who = match step.fixed_by {
            Some(Fixer::Rep) => " (you)",
            Some(Fixer::It) => " (IT)",
            Some(Fixer::Graphlink) | None => "",
        };
        let name = serde_json::to_value(step.step).ok().and_then(|value| value.as_str().map(|name| name.replace('_', " "))).unwrap_or_default();
        out.push_str(&format!("    {mark} {name}{who}: {}\n", step.message));
    }
    out.push_str(&format!("  {}\n", readiness.summary));
    out
}

/// Renders the last failed connect attempt shown when no account is linked.
pub fn attempt_text(attempt: &Attempt) -> String {
    let at = format_to_the_second(attempt.at).unwrap_or_default();
    let mut out = format!("\nThe last connect attempt ({at}) ended with {}: {}\n", attempt.state, attempt.message);
    if let Some(request) = &attempt.it_request {
        out.push_str("\n  Request for IT (also printed alone by `graphlink status --it-request`):\n\n");
        for line in request.text.lines() {
            out.push_str(&format!("    {line}\n").replace("    \n", "\n"));
        }
    }
    out
}

/// Formats a time as RFC 3339 to the second for a terminal, where the
/// nanoseconds that `status --json` keeps would only be noise.
fn format_to_the_second(at: OffsetDateTime) -> Option<String> {
    at.replace_nanosecond(0).ok()?.format(&Rfc3339).ok()
}

const fn word(status: CapabilityStatus) -> &'static str {
    match status {
        CapabilityStatus::Ok => "ok",
        CapabilityStatus::Failed => "failed",
        CapabilityStatus::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use graphlink_core::state::{Capabilities, LinkState};

    fn status_checked_at(at: OffsetDateTime) -> AccountStatus {
        AccountStatus {
            account: "o.t".into(),
            username: "adele.vance@contoso.example".into(),
            tenant_id: "t".into(),
            state: LinkState::Connected,
            capabilities: Capabilities { profile: CapabilityStatus::Ok, mail: CapabilityStatus::Ok, calendar: CapabilityStatus::Ok },
            message: "Connected. Mail and calendar are readable.".into(),
            action: Action::None,
            last_checked: Some(at),
            last_connected: Some(at),
            next_check: Some(at + time::Duration::minutes(5)),
            error: None,
        }
    }

    /// 2026-12-04T23:34:08.971993023Z, a time as the system clock gives it.
    fn checked_at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(1_796_427_248_971_993_023).expect("valid time")
    }

    #[test]
    fn text_prints_times_to_the_second() {
        let at = checked_at();
        let text = text(&Config::default(), &[status_checked_at(at)]);
        assert!(text.contains("checked 2026-12-04T23:34:08Z"), "{text}");
        assert!(text.contains("next check 2026-12-04T23:39:08Z"), "{text}");
        assert!(!text.contains(".971"), "{text}");
    }

    #[test]
    fn json_keeps_nanoseconds() {
        let at = checked_at();
        let document = json(&Config::default(), &[status_checked_at(at)], None).expect("serialises");
        assert!(document.contains("\"last_checked\": \"2026-12-04T23:34:08.971993023Z\""), "{document}");
        assert!(document.contains("\"next_check\": \"2026-12-04T23:39:08.971993023Z\""), "{document}");
    }
}
