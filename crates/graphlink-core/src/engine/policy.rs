//! When to notify: once on entering a state that needs the user, reminders at
//! growing intervals, a short notice when the link is restored, and transient
//! trouble only once it has lasted a day. A pure state machine driven by
//! state observations and time, so it is tested without a desktop.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::state::{AccountStatus, Action, LinkState};

/// Gaps between consecutive notifications of one episode; the last repeats.
pub const REMINDER_GAPS: [Duration; 3] =
    [Duration::from_secs(3600), Duration::from_secs(4 * 3600), Duration::from_secs(24 * 3600)];
/// How long `offline` or `degraded` must last before the user hears of it.
pub const TRANSIENT_GRACE: Duration = Duration::from_secs(24 * 3600);

/// The reason a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The account entered a state that needs the user.
    ActionNeeded,
    /// The same state still needs the user.
    Reminder,
    /// Transient trouble has lasted [`TRANSIENT_GRACE`].
    Lasting,
    /// The link works again after the user was notified that it did not.
    Restored,
}

/// A notification for one account, ready for the desktop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub account: String,
    pub kind: NotificationKind,
    pub state: LinkState,
    pub summary: String,
    pub body: String,
    pub action: Action,
}

/// One account's current episode: a run of observations in one state family.
#[derive(Debug, Clone)]
struct Episode {
    state: LinkState,
    since: SystemTime,
    notifications: u32,
    last_notified: Option<SystemTime>,
}

/// The notification policy for every account of a process.
#[derive(Debug, Default)]
pub struct NotificationPolicy {
    episodes: HashMap<String, Episode>,
}

impl NotificationPolicy {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a check result and returns the notification it calls for, if any.
    pub fn observe(&mut self, status: &AccountStatus, now: SystemTime) -> Option<Notification> {
        if status.state == LinkState::Checking {
            return None;
        }
        let previous = self.episodes.get(&status.account).cloned();
        let same_episode = previous.as_ref().is_some_and(|episode| family(episode.state) == family(status.state));

        if !same_episode {
            let told = previous.as_ref().is_some_and(|episode| episode.notifications > 0);
            let episode = Episode { state: status.state, since: now, notifications: 0, last_notified: None };
            self.episodes.insert(status.account.clone(), episode);
            if status.state == LinkState::Connected {
                return told.then(|| self.notify(status, NotificationKind::Restored, now));
            }
        } else if let Some(episode) = self.episodes.get_mut(&status.account) {
            episode.state = status.state;
        }
        self.due_for(status, now)
    }

    /// Forgets an account, e.g. after a disconnect.
    pub fn forget(&mut self, account: &str) {
        self.episodes.remove(account);
    }

    /// Returns the notification `status` is due for now: the first one of an
    /// episode, a reminder, or the notice that transient trouble has lasted.
    pub fn due_for(&mut self, status: &AccountStatus, now: SystemTime) -> Option<Notification> {
        let episode = self.episodes.get(&status.account)?;
        let kind = match family(status.state) {
            Family::Action if episode.notifications == 0 => NotificationKind::ActionNeeded,
            Family::Action => {
                let gap = REMINDER_GAPS[(episode.notifications as usize - 1).min(REMINDER_GAPS.len() - 1)];
                let last = episode.last_notified?;
                if now.duration_since(last).ok()? < gap {
                    return None;
                }
                NotificationKind::Reminder
            }
            Family::Transient if episode.notifications == 0 => {
                if now.duration_since(episode.since).ok()? < TRANSIENT_GRACE {
                    return None;
                }
                NotificationKind::Lasting
            }
            Family::Transient | Family::Quiet => return None,
        };
        Some(self.notify(status, kind, now))
    }

    fn notify(&mut self, status: &AccountStatus, kind: NotificationKind, now: SystemTime) -> Notification {
        if let Some(episode) = self.episodes.get_mut(&status.account) {
            episode.notifications += 1;
            episode.last_notified = Some(now);
        }
        let (summary, body) = text(status, kind);
        Notification { account: status.account.clone(), kind, state: status.state, summary, body, action: status.action.clone() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Quiet,
    Transient,
    Action,
}

const fn family(state: LinkState) -> Family {
    match state {
        LinkState::Connected | LinkState::Checking | LinkState::NotConnected => Family::Quiet,
        LinkState::Offline | LinkState::Degraded => Family::Transient,
        LinkState::ReconnectNeeded | LinkState::AdminNeeded | LinkState::KeyringUnavailable => Family::Action,
    }
}

fn text(status: &AccountStatus, kind: NotificationKind) -> (String, String) {
    let who = &status.username;
    let summary = match (kind, status.state) {
        (NotificationKind::Restored, _) => format!("{who} is connected again"),
        (_, LinkState::ReconnectNeeded) => format!("Reconnect {who}"),
        (_, LinkState::AdminNeeded) => format!("{who} needs your IT department"),
        (_, LinkState::KeyringUnavailable) => "Unlock your keyring for Graphlink".to_owned(),
        (_, LinkState::Offline) => format!("{who} has been offline for a day"),
        (_, LinkState::Degraded) => format!("{who} has had problems for a day"),
        _ => format!("{who}: {}", status.state),
    };
    let body = match kind {
        NotificationKind::Restored => "Mail and calendar are readable again.".to_owned(),
        _ => status.message.clone(),
    };
    (summary, body)
}

#[cfg(test)]
mod tests;
