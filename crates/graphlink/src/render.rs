//! Text and JSON output of account statuses.

use graphlink_core::state::{AccountStatus, Action, CapabilityStatus};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

/// `status --json`: `{"accounts": [...]}`.
#[derive(Serialize)]
struct StatusDocument<'a> {
    accounts: &'a [AccountStatus],
}

/// Renders the JSON document of `status --json`.
///
/// # Errors
///
/// Fails only if serialisation fails, which these types do not.
pub fn json(statuses: &[AccountStatus]) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&StatusDocument { accounts: statuses })
}

/// Renders statuses as short paragraphs for a terminal.
pub fn text(statuses: &[AccountStatus]) -> String {
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
        if let Some(checked) = status.last_checked.and_then(|at| at.format(&Rfc3339).ok()) {
            out.push_str(&format!(" · checked {checked}"));
        }
        out.push('\n');
        out.push_str(&format!("  {}\n", status.message));
        match &status.action {
            Action::Reconnect => out.push_str("  To fix: run `graphlink connect`.\n"),
            Action::AskAdmin { .. } => out.push_str("  To fix: send the message above, with its link, to your IT department.\n"),
            Action::UnlockKeyring => out.push_str("  To fix: unlock the keyring, then run `graphlink status` again.\n"),
            Action::FixConfiguration | Action::None => {}
        }
    }
    out
}

const fn word(status: CapabilityStatus) -> &'static str {
    match status {
        CapabilityStatus::Ok => "ok",
        CapabilityStatus::Failed => "failed",
        CapabilityStatus::Unknown => "unknown",
    }
}
