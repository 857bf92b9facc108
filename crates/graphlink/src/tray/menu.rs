//! The tray menu as data: which lines and items to show for a list of
//! account statuses, and the action each item stands for. `app.rs` builds
//! the platform menu from it.

use graphlink_core::ipc::DemoFault;
use graphlink_core::state::{AccountStatus, Action, LinkState};

/// The action behind a menu item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuAction {
    Reconnect { account: String },
    Connect,
    CheckNow,
    OpenWindow,
    ToggleStartAtLogin,
    Demo(DemoFault),
    Quit,
}

impl MenuAction {
    /// Returns the menu item ID that stands for this action.
    pub fn id(&self) -> String {
        match self {
            Self::Reconnect { account } => format!("reconnect:{account}"),
            Self::Connect => "connect".into(),
            Self::CheckNow => "check_now".into(),
            Self::OpenWindow => "open_window".into(),
            Self::ToggleStartAtLogin => "start_at_login".into(),
            Self::Demo(fault) => format!("demo:{}", fault_name(*fault)),
            Self::Quit => "quit".into(),
        }
    }

    /// Parses a menu item ID made by [`MenuAction::id`].
    pub fn from_id(id: &str) -> Option<Self> {
        if let Some(account) = id.strip_prefix("reconnect:") {
            return Some(Self::Reconnect { account: account.to_owned() });
        }
        if let Some(name) = id.strip_prefix("demo:") {
            return DemoFault::ALL.into_iter().find(|fault| fault_name(*fault) == name).map(Self::Demo);
        }
        match id {
            "connect" => Some(Self::Connect),
            "check_now" => Some(Self::CheckNow),
            "open_window" => Some(Self::OpenWindow),
            "start_at_login" => Some(Self::ToggleStartAtLogin),
            "quit" => Some(Self::Quit),
            _ => None,
        }
    }
}

fn fault_name(fault: DemoFault) -> String {
    serde_json::to_value(fault).ok().and_then(|value| value.as_str().map(str::to_owned)).unwrap_or_default()
}

/// One entry of the tray menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A line that only informs, such as an account and its state.
    Line(String),
    Item { label: String, action: MenuAction },
    Check { label: String, checked: bool, action: MenuAction },
    Submenu { label: String, entries: Vec<Entry> },
    Separator,
}

/// Returns the menu for these statuses. Reconnect items are always in the
/// menu, because notification actions and tray clicks are unreliable on
/// some desktops.
pub fn entries(statuses: &[AccountStatus], start_at_login: bool, demo: bool) -> Vec<Entry> {
    let mut entries = Vec::new();
    if statuses.is_empty() {
        entries.push(Entry::Line("No account linked".into()));
    }
    for status in statuses {
        entries.push(Entry::Line(format!("{}: {}", status.username, state_words(status.state))));
    }
    for status in statuses {
        // An account waiting for IT may need a new sign-in once IT has acted.
        let label = match status.action {
            Action::Reconnect => format!("Reconnect {}…", status.username),
            Action::AskAdmin { .. } => format!("Reconnect {} after IT approved…", status.username),
            _ => continue,
        };
        entries.push(Entry::Item { label, action: MenuAction::Reconnect { account: status.account.clone() } });
    }
    entries.push(Entry::Separator);
    entries.push(Entry::Item { label: "Connect an account…".into(), action: MenuAction::Connect });
    entries.push(Entry::Item { label: "Check now".into(), action: MenuAction::CheckNow });
    entries.push(Entry::Item { label: "Open Graphlink".into(), action: MenuAction::OpenWindow });
    entries.push(Entry::Separator);
    if demo {
        let faults = DemoFault::ALL.into_iter().map(|fault| Entry::Item { label: fault.label().into(), action: MenuAction::Demo(fault) }).collect();
        entries.push(Entry::Submenu { label: "Demo".into(), entries: faults });
    }
    entries.push(Entry::Check { label: "Start at login".into(), checked: start_at_login, action: MenuAction::ToggleStartAtLogin });
    entries.push(Entry::Item { label: "Quit".into(), action: MenuAction::Quit });
    entries
}

/// Returns a state in the words the tray and the window show.
pub const fn state_words(state: LinkState) -> &'static str {
    match state {
        LinkState::Connected => "connected",
        LinkState::Checking => "checking",
        LinkState::Offline => "offline",
        LinkState::Degraded => "having problems",
        LinkState::ReconnectNeeded => "reconnect needed",
        LinkState::AdminNeeded => "needs IT",
        LinkState::KeyringUnavailable => "keyring locked",
        LinkState::NotConnected => "not connected",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use graphlink_core::state::Capabilities;

    use super::*;

    fn status(username: &str, state: LinkState, action: Action) -> AccountStatus {
        AccountStatus {
            account: format!("{username}-key"),
            username: username.into(),
            tenant_id: String::new(),
            state,
            capabilities: Capabilities::default(),
            message: String::new(),
            action,
            last_checked: None,
            last_connected: None,
            next_check: None,
            error: None,
        }
    }

    fn labels(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|entry| match entry {
                Entry::Line(text) => text.clone(),
                Entry::Item { label, .. } | Entry::Check { label, .. } | Entry::Submenu { label, .. } => label.clone(),
                Entry::Separator => "---".into(),
            })
            .collect()
    }

    #[test]
    fn menu_lists_accounts_and_reconnects() {
        let statuses = [
            status("adele@contoso.example", LinkState::Connected, Action::None),
            status("megan@contoso.example", LinkState::ReconnectNeeded, Action::Reconnect),
        ];

        let menu = entries(&statuses, false, false);

        assert_eq!(
            labels(&menu),
            [
                "adele@contoso.example: connected",
                "megan@contoso.example: reconnect needed",
                "Reconnect megan@contoso.example…",
                "---",
                "Connect an account…",
                "Check now",
                "Open Graphlink",
                "---",
                "Start at login",
                "Quit"
            ]
        );
        assert!(menu.contains(&Entry::Item {
            label: "Reconnect megan@contoso.example…".into(),
            action: MenuAction::Reconnect { account: "megan@contoso.example-key".into() }
        }));
    }

    #[test]
    fn account_waiting_for_it_can_reconnect() {
        let statuses = [status("adele@contoso.example", LinkState::AdminNeeded, Action::AskAdmin { admin_consent_url: "https://x/adminconsent".into() })];

        let menu = entries(&statuses, false, false);

        assert!(menu.contains(&Entry::Item {
            label: "Reconnect adele@contoso.example after IT approved…".into(),
            action: MenuAction::Reconnect { account: "adele@contoso.example-key".into() }
        }));
    }

    #[test]
    fn menu_without_accounts_says_so() {
        let menu = entries(&[], true, false);

        assert_eq!(labels(&menu)[0], "No account linked");
        assert!(menu.contains(&Entry::Check { label: "Start at login".into(), checked: true, action: MenuAction::ToggleStartAtLogin }));
    }

    #[test]
    fn demo_menu_offers_every_fault() {
        let menu = entries(&[], false, true);

        let Some(Entry::Submenu { entries: faults, .. }) = menu.iter().find(|entry| matches!(entry, Entry::Submenu { .. })) else {
            panic!("no Demo submenu: {menu:?}");
        };
        assert_eq!(faults.len(), DemoFault::ALL.len());
    }

    #[test]
    fn action_ids_round_trip() {
        let actions = [
            MenuAction::Reconnect { account: "oid.tid".into() },
            MenuAction::Connect,
            MenuAction::CheckNow,
            MenuAction::OpenWindow,
            MenuAction::ToggleStartAtLogin,
            MenuAction::Quit,
        ];
        for action in actions.into_iter().chain(DemoFault::ALL.map(MenuAction::Demo)) {
            assert_eq!(MenuAction::from_id(&action.id()), Some(action.clone()), "{}", action.id());
        }
        assert_eq!(MenuAction::from_id("unknown"), None);
    }
}
