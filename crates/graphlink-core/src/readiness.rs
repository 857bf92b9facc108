//! The migration readiness checklist of one account: consent allowed,
//! connected, mail readable, calendar readable. Only when all four hold can
//! the old EWS link be switched off. Until then the checklist names the
//! missing step and who can fix it.

use serde::{Deserialize, Serialize};

use crate::state::{AccountStatus, Action, CapabilityStatus, LinkState};

/// One item of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    ConsentAllowed,
    Connected,
    MailReadable,
    CalendarReadable,
}

/// Whether a step holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Done,
    Missing,
    /// Not known yet, e.g. while offline or before the first check.
    Unknown,
}

/// The party that can make a missing step hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fixer {
    /// The rep, by reconnecting or unlocking the keyring.
    Rep,
    /// An administrator of the Microsoft 365 tenant.
    It,
    /// Graphlink itself, by retrying.
    Graphlink,
}

/// The state of one step, with a sentence for the rep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    pub step: Step,
    pub status: StepStatus,
    /// Set unless the step is done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_by: Option<Fixer>,
    pub message: String,
}

/// The whole checklist of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub steps: Vec<StepReport>,
    /// True only when every step is done.
    pub ews_can_be_switched_off: bool,
    pub summary: String,
}

/// An account's status with its checklist, as clients of the tray receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountReport {
    #[serde(flatten)]
    pub status: AccountStatus,
    pub readiness: Readiness,
}

impl From<AccountStatus> for AccountReport {
    fn from(status: AccountStatus) -> Self {
        Self { readiness: for_status(&status), status }
    }
}

/// Builds the checklist from an account's latest status.
#[must_use]
pub fn for_status(status: &AccountStatus) -> Readiness {
    let steps = vec![consent_step(status), connected_step(status), capability_step(status, Step::MailReadable), capability_step(status, Step::CalendarReadable)];
    let ready = steps.iter().all(|step| step.status == StepStatus::Done);
    let summary = if ready {
        "All four checks pass: the old EWS link for this account can be switched off.".to_owned()
    } else {
        let next = steps.iter().find(|step| step.status == StepStatus::Missing).or_else(|| steps.iter().find(|step| step.status != StepStatus::Done));
        let next = next.map_or_else(String::new, |step| format!(" Next: {}", step.message));
        format!("Keep the old EWS link switched on until every check passes.{next}")
    };
    Readiness { steps, ews_can_be_switched_off: ready, summary }
}

fn report(step: Step, status: StepStatus, fixed_by: Option<Fixer>, message: &str) -> StepReport {
    StepReport { step, status, fixed_by: if status == StepStatus::Done { None } else { fixed_by }, message: message.to_owned() }
}

fn consent_blocked(status: &AccountStatus) -> bool {
    status.state == LinkState::AdminNeeded && matches!(status.action, Action::AskAdmin { .. })
}

fn consent_missing(status: &AccountStatus) -> bool {
    status.error.as_ref().is_some_and(|error| error.code == "consent_required" || error.aadsts == Some(65001))
}

fn consent_step(status: &AccountStatus) -> StepReport {
    let step = Step::ConsentAllowed;
    if consent_blocked(status) {
        return report(step, StepStatus::Missing, Some(Fixer::It), "IT must approve Graphlink's permissions (admin consent): send them the request for IT.");
    }
    if status.state == LinkState::ReconnectNeeded && consent_missing(status) {
        return report(step, StepStatus::Missing, Some(Fixer::Rep), "Reconnect and accept Graphlink's permissions. If Microsoft shows \"Need admin approval\", IT must approve Graphlink first.");
    }
    let proven = status.state == LinkState::Connected || status.last_connected.is_some() || status.capabilities.profile == CapabilityStatus::Ok;
    if proven {
        return report(step, StepStatus::Done, None, "Graphlink's permissions were granted.");
    }
    report(step, StepStatus::Unknown, Some(Fixer::Rep), "Not known until a sign-in succeeds: connect the account.")
}

fn connected_step(status: &AccountStatus) -> StepReport {
    let step = Step::Connected;
    match status.state {
        LinkState::Connected => report(step, StepStatus::Done, None, "The account is linked and its sign-in works."),
        LinkState::Degraded if status.capabilities.profile == CapabilityStatus::Ok => {
            report(step, StepStatus::Done, None, "The account is linked and its sign-in works.")
        }
        LinkState::ReconnectNeeded | LinkState::NotConnected => report(step, StepStatus::Missing, Some(Fixer::Rep), "Reconnect the account (graphlink connect)."),
        LinkState::KeyringUnavailable => report(step, StepStatus::Missing, Some(Fixer::Rep), "Unlock the system keyring so Graphlink can use the saved sign-in."),
        LinkState::AdminNeeded => report(step, StepStatus::Missing, Some(Fixer::It), "IT must act first: send them the request for IT."),
        LinkState::Offline | LinkState::Checking | LinkState::Degraded => {
            report(step, StepStatus::Unknown, Some(Fixer::Graphlink), "Not known while Microsoft 365 cannot be reached; Graphlink keeps trying.")
        }
    }
}

fn capability_step(status: &AccountStatus, step: Step) -> StepReport {
    let (capability, noun) = match step {
        Step::CalendarReadable => (status.capabilities.calendar, "calendar"),
        _ => (status.capabilities.mail, "mail"),
    };
    match capability {
        CapabilityStatus::Ok => report(step, StepStatus::Done, None, &format!("Graphlink can read the {noun} through Microsoft Graph.")),
        CapabilityStatus::Failed => {
            let (fixer, message) = if status.action == Action::Reconnect {
                (Fixer::Rep, format!("Graphlink cannot read the {noun}: reconnect and accept every permission; if that does not help, ask IT."))
            } else if matches!(status.state, LinkState::Offline | LinkState::Degraded) && status.action == Action::None {
                (Fixer::Graphlink, format!("Reading the {noun} failed for a temporary reason; Graphlink keeps trying."))
            } else {
                (Fixer::It, format!("Graphlink is not allowed to read the {noun}: IT must check the mailbox licence and Graphlink's permissions."))
            };
            report(step, StepStatus::Missing, Some(fixer), &message)
        }
        CapabilityStatus::Unknown => report(step, StepStatus::Unknown, Some(Fixer::Graphlink), &format!("Not checked yet: the {noun} is checked once the account is connected.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Capabilities, ErrorDetail};

    fn status(state: LinkState, action: Action, capability: CapabilityStatus) -> AccountStatus {
        AccountStatus {
            account: "o.t".into(),
            username: "adele@contoso.example".into(),
            tenant_id: "t".into(),
            state,
            capabilities: Capabilities { profile: capability, mail: capability, calendar: capability },
            message: String::new(),
            action,
            last_checked: None,
            last_connected: None,
            next_check: None,
            error: None,
        }
    }

    fn step(readiness: &Readiness, step: Step) -> &StepReport {
        readiness.steps.iter().find(|report| report.step == step).expect("step listed")
    }

    #[test]
    fn connected_account_is_ready() {
        let readiness = for_status(&status(LinkState::Connected, Action::None, CapabilityStatus::Ok));
        assert!(readiness.ews_can_be_switched_off);
        assert!(readiness.steps.iter().all(|report| report.status == StepStatus::Done && report.fixed_by.is_none()));
        assert!(readiness.summary.contains("can be switched off"), "{}", readiness.summary);
    }

    #[test]
    fn consent_block_names_it() {
        let admin = Action::AskAdmin { admin_consent_url: "https://x".into() };
        let readiness = for_status(&status(LinkState::AdminNeeded, admin, CapabilityStatus::Unknown));
        assert!(!readiness.ews_can_be_switched_off);
        let consent = step(&readiness, Step::ConsentAllowed);
        assert_eq!((consent.status, consent.fixed_by), (StepStatus::Missing, Some(Fixer::It)));
        assert!(readiness.summary.contains("Keep the old EWS link"), "{}", readiness.summary);
        assert!(readiness.summary.contains("IT must approve"), "{}", readiness.summary);
    }

    #[test]
    fn missing_consent_on_refresh_is_rep_step() {
        let mut account = status(LinkState::ReconnectNeeded, Action::Reconnect, CapabilityStatus::Unknown);
        account.error = Some(ErrorDetail { code: "invalid_grant".into(), aadsts: Some(65001), ..ErrorDetail::default() });
        let readiness = for_status(&account);
        let consent = step(&readiness, Step::ConsentAllowed);
        assert_eq!((consent.status, consent.fixed_by), (StepStatus::Missing, Some(Fixer::Rep)));
        assert_eq!(step(&readiness, Step::Connected).fixed_by, Some(Fixer::Rep));
    }

    #[test]
    fn calendar_denied_blocks_switch_off() {
        let mut account = status(LinkState::AdminNeeded, Action::FixConfiguration, CapabilityStatus::Ok);
        account.capabilities.calendar = CapabilityStatus::Failed;
        account.last_connected = Some(time::OffsetDateTime::UNIX_EPOCH);
        let readiness = for_status(&account);
        assert!(!readiness.ews_can_be_switched_off);
        assert_eq!(step(&readiness, Step::MailReadable).status, StepStatus::Done);
        let calendar = step(&readiness, Step::CalendarReadable);
        assert_eq!((calendar.status, calendar.fixed_by), (StepStatus::Missing, Some(Fixer::It)));
    }

    #[test]
    fn offline_is_unknown_not_missing() {
        let mut account = status(LinkState::Offline, Action::None, CapabilityStatus::Unknown);
        account.last_connected = Some(time::OffsetDateTime::UNIX_EPOCH);
        let readiness = for_status(&account);
        assert_eq!(step(&readiness, Step::ConsentAllowed).status, StepStatus::Done);
        assert_eq!(step(&readiness, Step::Connected).status, StepStatus::Unknown);
        assert!(!readiness.ews_can_be_switched_off);
    }
}
