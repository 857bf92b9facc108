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
    let (fixer, message) = pending(status);
    report(step, StepStatus::Unknown, Some(fixer), message)
}

/// The step holds when the sign-in works, which a successful profile read in
/// the last check proves even when IT must still fix the mailbox or a
/// permission. A failed check resets every capability to unknown, so an old
/// success never counts.
fn connected_step(status: &AccountStatus) -> StepReport {
    let step = Step::Connected;
    let linked = "The account is linked and its sign-in works.";
    match status.state {
        LinkState::Connected => report(step, StepStatus::Done, None, linked),
        LinkState::ReconnectNeeded => report(step, StepStatus::Missing, Some(Fixer::Rep), "Reconnect the account and sign in again."),
        LinkState::NotConnected => report(step, StepStatus::Missing, Some(Fixer::Rep), "Connect the account and sign in."),
        LinkState::KeyringUnavailable => report(step, StepStatus::Missing, Some(Fixer::Rep), "Unlock the system keyring so Graphlink can use the saved sign-in."),
        LinkState::AdminNeeded | LinkState::Degraded if status.capabilities.profile == CapabilityStatus::Ok => {
            report(step, StepStatus::Done, None, linked)
        }
        LinkState::AdminNeeded => report(step, StepStatus::Missing, Some(Fixer::It), "IT must act first: send them the request for IT."),
        LinkState::Offline | LinkState::Checking | LinkState::Degraded => {
            let (fixer, message) = pending(status);
            report(step, StepStatus::Unknown, Some(fixer), message)
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
            let (fixer, message) = failed_capability(status, noun);
            report(step, StepStatus::Missing, Some(fixer), &message)
        }
        CapabilityStatus::Unknown => {
            let (fixer, message) = pending(status);
            report(step, StepStatus::Unknown, Some(fixer), message)
        }
    }
}

/// Returns who can make a failed capability work, and how.
fn failed_capability(status: &AccountStatus, noun: &str) -> (Fixer, String) {
    if mailbox_not_enabled(status) {
        return (
            Fixer::It,
            format!("Graphlink cannot read the {noun} because the mailbox is not available through Microsoft Graph: IT must check that it has an Exchange Online licence and is hosted in Exchange Online."),
        );
    }
    if status.action == Action::Reconnect {
        return (Fixer::Rep, format!("Graphlink cannot read the {noun}: reconnect and accept every permission; if that does not help, ask IT."));
    }
    if matches!(status.state, LinkState::Offline | LinkState::Degraded) && status.action == Action::None {
        return (Fixer::Graphlink, format!("Reading the {noun} failed for a temporary reason; Graphlink keeps trying."));
    }
    (Fixer::It, format!("Graphlink is not allowed to read the {noun}: IT must check the mailbox licence and Graphlink's permissions."))
}

/// True when Graph returned 404 `MailboxNotEnabledForRESTAPI`, which it sends
/// for a mailbox without an Exchange Online licence or not in Exchange Online.
fn mailbox_not_enabled(status: &AccountStatus) -> bool {
    status.error.as_ref().is_some_and(|error| error.code == "MailboxNotEnabledForRESTAPI")
}

/// Returns who must act before a step that is not known yet can be checked,
/// with a sentence for the rep. It follows the link's state: nothing is
/// checked until the rep or IT has fixed what blocks the link, and only
/// transient states leave the next step to Graphlink's own retries.
fn pending(status: &AccountStatus) -> (Fixer, &'static str) {
    match status.state {
        LinkState::ReconnectNeeded => (Fixer::Rep, "Not known until you reconnect the account."),
        LinkState::NotConnected => (Fixer::Rep, "Not known until you connect the account."),
        LinkState::KeyringUnavailable => (Fixer::Rep, "Not known until the system keyring is unlocked."),
        LinkState::AdminNeeded => (Fixer::It, "Not known until IT has fixed what the request for IT describes."),
        LinkState::Degraded if status.action == Action::Reconnect => (Fixer::Rep, "Not known until you reconnect the account."),
        LinkState::Offline => (Fixer::Graphlink, "Not known while Microsoft 365 cannot be reached; Graphlink keeps trying."),
        LinkState::Degraded => (Fixer::Graphlink, "Not known while Microsoft 365 reports a temporary problem; Graphlink keeps trying."),
        LinkState::Checking | LinkState::Connected => (Fixer::Graphlink, "Not checked yet; Graphlink checks it shortly."),
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
    fn unknown_steps_wait_for_fixer_of_state() {
        let cases = [
            (LinkState::ReconnectNeeded, Action::Reconnect, Fixer::Rep),
            (LinkState::NotConnected, Action::Reconnect, Fixer::Rep),
            (LinkState::KeyringUnavailable, Action::UnlockKeyring, Fixer::Rep),
            (LinkState::AdminNeeded, Action::FixConfiguration, Fixer::It),
            (LinkState::AdminNeeded, Action::AskAdmin { admin_consent_url: "https://x".into() }, Fixer::It),
            (LinkState::Degraded, Action::Reconnect, Fixer::Rep),
            (LinkState::Offline, Action::None, Fixer::Graphlink),
            (LinkState::Degraded, Action::None, Fixer::Graphlink),
            (LinkState::Checking, Action::None, Fixer::Graphlink),
        ];
        for (state, action, fixer) in cases {
            let readiness = for_status(&status(state, action.clone(), CapabilityStatus::Unknown));
            for checked in [Step::MailReadable, Step::CalendarReadable] {
                let report = step(&readiness, checked);
                assert_eq!((report.status, report.fixed_by), (StepStatus::Unknown, Some(fixer)), "{state} {action:?} {checked:?}: {}", report.message);
            }
        }
    }

    #[test]
    fn reconnect_needed_is_rep_step() {
        let readiness = for_status(&status(LinkState::ReconnectNeeded, Action::Reconnect, CapabilityStatus::Unknown));
        for report in &readiness.steps {
            assert_eq!(report.fixed_by, Some(Fixer::Rep), "{report:?}");
        }
        assert_eq!(step(&readiness, Step::Connected).status, StepStatus::Missing);
        assert_eq!(step(&readiness, Step::MailReadable).message, "Not known until you reconnect the account.");
        assert!(readiness.summary.ends_with("Next: Reconnect the account and sign in again."), "{}", readiness.summary);
    }

    #[test]
    fn mailbox_not_enabled_is_it_mail_step() {
        let mut account = status(LinkState::AdminNeeded, Action::FixConfiguration, CapabilityStatus::Ok);
        account.capabilities.mail = CapabilityStatus::Failed;
        account.error = Some(ErrorDetail { code: "MailboxNotEnabledForRESTAPI".into(), ..ErrorDetail::default() });
        let readiness = for_status(&account);

        assert_eq!(step(&readiness, Step::ConsentAllowed).status, StepStatus::Done);
        let connected = step(&readiness, Step::Connected);
        assert_eq!((connected.status, connected.fixed_by), (StepStatus::Done, None), "the sign-in works: {}", connected.message);
        assert_eq!(step(&readiness, Step::CalendarReadable).status, StepStatus::Done);
        let mail = step(&readiness, Step::MailReadable);
        assert_eq!((mail.status, mail.fixed_by), (StepStatus::Missing, Some(Fixer::It)));
        assert!(mail.message.contains("Exchange Online licence"), "{}", mail.message);
        assert!(!readiness.ews_can_be_switched_off);
        assert!(readiness.summary.contains("Next: Graphlink cannot read the mail"), "{}", readiness.summary);
    }

    #[test]
    fn admin_needed_without_sign_in_is_it_step() {
        let readiness = for_status(&status(LinkState::AdminNeeded, Action::FixConfiguration, CapabilityStatus::Failed));
        let connected = step(&readiness, Step::Connected);
        assert_eq!((connected.status, connected.fixed_by), (StepStatus::Missing, Some(Fixer::It)));
    }

    /// The window shows these messages to reps, so none may name a command;
    /// the terminal prints the command on its own "To fix:" line.
    #[test]
    fn messages_name_no_command() {
        let states = [
            LinkState::Connected,
            LinkState::Checking,
            LinkState::Offline,
            LinkState::Degraded,
            LinkState::ReconnectNeeded,
            LinkState::AdminNeeded,
            LinkState::KeyringUnavailable,
            LinkState::NotConnected,
        ];
        let actions = [Action::None, Action::Reconnect, Action::AskAdmin { admin_consent_url: "https://x".into() }, Action::UnlockKeyring, Action::FixConfiguration];
        let capabilities = [CapabilityStatus::Ok, CapabilityStatus::Failed, CapabilityStatus::Unknown];
        for state in states {
            for action in &actions {
                for capability in capabilities {
                    let readiness = for_status(&status(state, action.clone(), capability));
                    for report in &readiness.steps {
                        assert!(!report.message.contains("graphlink "), "{state} {action:?}: {}", report.message);
                        assert!(!report.message.contains('`'), "{state} {action:?}: {}", report.message);
                        assert_eq!(report.fixed_by.is_none(), report.status == StepStatus::Done, "{state} {action:?}: {report:?}");
                    }
                    let all_done = readiness.steps.iter().all(|report| report.status == StepStatus::Done);
                    assert_eq!(readiness.ews_can_be_switched_off, all_done, "{state} {action:?} {capability:?}");
                }
            }
        }
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
