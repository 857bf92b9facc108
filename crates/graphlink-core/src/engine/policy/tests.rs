use super::*;
use crate::state::Capabilities;

const HOUR: Duration = Duration::from_secs(3600);

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn status(state: LinkState) -> AccountStatus {
    AccountStatus {
        account: "oid.tid".into(),
        username: "adele.vance@contoso.example".into(),
        tenant_id: "tid".into(),
        state,
        capabilities: Capabilities::default(),
        message: "Reconnect to sign in again.".into(),
        action: Action::Reconnect,
        last_checked: None,
        last_connected: None,
        next_check: None,
        error: None,
    }
}

/// Observes `state` every five minutes for `span` and returns the kinds sent.
fn run(policy: &mut NotificationPolicy, state: LinkState, from: SystemTime, span: Duration) -> Vec<NotificationKind> {
    let mut sent = Vec::new();
    let mut now = from;
    while now < from + span {
        if let Some(notification) = policy.observe(&status(state), now) {
            sent.push(notification.kind);
        }
        now += Duration::from_secs(300);
    }
    sent
}

#[test]
fn reconnect_notifies_once_then_reminds() {
    let mut policy = NotificationPolicy::new();
    run(&mut policy, LinkState::Connected, start(), HOUR);
    let sent = run(&mut policy, LinkState::ReconnectNeeded, start() + HOUR, 30 * HOUR);
    // At once, then after 1 h, 4 h and 24 h.
    assert_eq!(sent, [NotificationKind::ActionNeeded, NotificationKind::Reminder, NotificationKind::Reminder, NotificationKind::Reminder]);
}

#[test]
fn reminders_become_daily() {
    let mut policy = NotificationPolicy::new();
    let sent = run(&mut policy, LinkState::AdminNeeded, start(), 5 * 24 * HOUR);
    let reminders = sent.iter().filter(|kind| **kind == NotificationKind::Reminder).count();
    // 1 h, 4 h, then one a day: 5 h, 29 h, 53 h, 77 h, 101 h after the first.
    assert_eq!(reminders, 6, "{sent:?}");
}

#[test]
fn restored_only_after_notifying() {
    let mut policy = NotificationPolicy::new();
    run(&mut policy, LinkState::ReconnectNeeded, start(), HOUR / 2);
    let sent = run(&mut policy, LinkState::Connected, start() + HOUR, HOUR);
    assert_eq!(sent, [NotificationKind::Restored]);

    let quiet = run(&mut policy, LinkState::Offline, start() + 2 * HOUR, HOUR);
    assert!(quiet.is_empty());
    let back = run(&mut policy, LinkState::Connected, start() + 3 * HOUR, HOUR);
    assert!(back.is_empty(), "no restored notice for trouble the user never heard of");
}

#[test]
fn offline_waits_a_day() {
    let mut policy = NotificationPolicy::new();
    let sent = run(&mut policy, LinkState::Offline, start(), 23 * HOUR);
    assert!(sent.is_empty());
    let later = run(&mut policy, LinkState::Offline, start() + 23 * HOUR, 3 * HOUR);
    assert_eq!(later, [NotificationKind::Lasting]);
}

#[test]
fn offline_and_degraded_share_episode() {
    let mut policy = NotificationPolicy::new();
    let mut sent = run(&mut policy, LinkState::Offline, start(), 12 * HOUR);
    sent.extend(run(&mut policy, LinkState::Degraded, start() + 12 * HOUR, 13 * HOUR));
    assert_eq!(sent, [NotificationKind::Lasting]);
}

#[test]
fn notification_names_account_and_action() {
    let mut policy = NotificationPolicy::new();
    let notification = policy.observe(&status(LinkState::ReconnectNeeded), start()).expect("first notification");
    assert_eq!(notification.summary, "Reconnect adele.vance@contoso.example");
    assert_eq!(notification.action, Action::Reconnect);
}

#[test]
fn checking_changes_nothing() {
    let mut policy = NotificationPolicy::new();
    run(&mut policy, LinkState::ReconnectNeeded, start(), HOUR / 2);
    assert_eq!(policy.observe(&status(LinkState::Checking), start() + HOUR / 2), None);
    let sent = run(&mut policy, LinkState::ReconnectNeeded, start() + HOUR / 2, HOUR / 4);
    assert!(sent.is_empty(), "a check in progress must not restart the episode");
}
