//! The tray's icon and menu as a panel reads them: the StatusNotifierItem and
//! its `com.canonical.dbusmenu` object on the session bus, read and clicked
//! with `gdbus`.

use std::process::Command;
use std::time::{Duration, Instant};

/// One item of the tray menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
    /// `Some` for a check item: whether it is checked.
    pub checked: Option<bool>,
}

/// The tray icon of one process on the session bus.
pub struct TrayItem {
    bus_name: String,
    item_path: String,
}

impl TrayItem {
    /// Finds the tray icon exported by the process `pid`, waiting up to ten seconds.
    pub fn find(pid: u32) -> Self {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(item) = Self::try_find(pid) {
                return item;
            }
            assert!(Instant::now() < deadline, "process {pid} exports no StatusNotifierItem on the session bus");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn try_find(pid: u32) -> Option<Self> {
        let names = gdbus(&["call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ListNames"]);
        for name in quoted(&names).into_iter().filter(|name| name.starts_with(':')) {
            // A name may leave between the listing and this call, as earlier gdbus runs do.
            let Some(owner) = try_gdbus(&[
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                &name,
            ]) else {
                continue;
            };
            if !owner.contains(&format!("uint32 {pid},")) {
                continue;
            }
            // The process has other connections too (the keyring's), which export no tray icon.
            let Some(tree) = try_gdbus(&["introspect", "--session", "--dest", &name, "--object-path", "/org/ayatana/NotificationItem"]) else {
                continue;
            };
            // The children are listed by relative name, after the node itself.
            let child = tree.lines().filter_map(|line| line.trim().strip_prefix("node ")).map(|node| node.trim_end_matches(" {").trim()).find(|node| !node.starts_with('/'));
            if let Some(child) = child {
                return Some(Self { bus_name: name, item_path: format!("/org/ayatana/NotificationItem/{child}") });
            }
        }
        None
    }

    /// Returns a property of the StatusNotifierItem, in GVariant text form.
    pub fn property(&self, name: &str) -> String {
        self.call(&self.item_path, "org.freedesktop.DBus.Properties.Get", &["org.kde.StatusNotifierItem", name])
    }

    /// Returns the top-level menu items, in order, without separators.
    pub fn items(&self) -> Vec<MenuItem> {
        let layout = self.call(&self.menu_path(), "com.canonical.dbusmenu.GetLayout", &["0", "1", "[]"]);
        parse_items(&layout)
    }

    /// Waits up to `timeout` for a menu item whose label starts with `prefix`.
    pub fn wait_for_item(&self, prefix: &str, timeout: Duration) -> MenuItem {
        let deadline = Instant::now() + timeout;
        loop {
            let items = self.items();
            if let Some(item) = items.iter().find(|item| item.label.starts_with(prefix)) {
                return item.clone();
            }
            assert!(Instant::now() < deadline, "no menu item starts with {prefix:?} after {timeout:?}: {items:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Clicks the menu item whose label starts with `prefix`, as a panel does.
    pub fn click(&self, prefix: &str) {
        let item = self.wait_for_item(prefix, Duration::from_secs(10));
        assert!(item.enabled, "{item:?} is disabled");
        self.call(&self.menu_path(), "com.canonical.dbusmenu.Event", &[&item.id.to_string(), "clicked", "<''>", "0"]);
    }

    /// Calls `method` on the tray's object at `path` and returns the reply.
    fn call(&self, path: &str, method: &str, args: &[&str]) -> String {
        let mut call = vec!["call", "--session", "--dest", &self.bus_name, "--object-path", path, "--method", method];
        call.extend_from_slice(args);
        gdbus(&call)
    }

    fn menu_path(&self) -> String {
        format!("{}/Menu", self.item_path)
    }
}

fn gdbus(args: &[&str]) -> String {
    let output = Command::new("gdbus").args(args).output().expect("gdbus runs (install libglib2.0-bin)");
    assert!(output.status.success(), "gdbus {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs gdbus for at most three seconds, and returns its output if it succeeded.
fn try_gdbus(args: &[&str]) -> Option<String> {
    let output = Command::new("timeout").arg("3").arg("gdbus").args(args).output().expect("timeout and gdbus run (install libglib2.0-bin)");
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Returns the single-quoted strings of a GVariant text, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

/// Parses the items of a `GetLayout` reply with depth 1: each child reads
/// `<(ID, {PROPERTIES}, @av [])>`.
fn parse_items(layout: &str) -> Vec<MenuItem> {
    let mut items = Vec::new();
    for child in layout.split("<(").skip(1) {
        let Some((id, rest)) = child.split_once(", {") else { continue };
        let Ok(id) = id.trim().parse::<i32>() else { continue };
        let properties = rest.split_once("}, ").map_or(rest, |(properties, _)| properties);
        if properties.contains("'type': <'separator'>") {
            continue;
        }
        let label = properties.split_once("'label': <'").and_then(|(_, tail)| tail.split_once("'>")).map(|(label, _)| label.to_owned()).unwrap_or_default();
        let enabled = !properties.contains("'enabled': <false>");
        let checked = properties.contains("'toggle-type': <'checkmark'>").then(|| properties.contains("'toggle-state': <1>"));
        items.push(MenuItem { id, label, enabled, checked });
    }
    items
}

#[test]
fn layout_items_parse() {
    let layout = "((uint32 7, (0, {'children-display': <'submenu'>}, [<(1, {'enabled': <false>, 'label': <'adele@contoso.example: connected'>}, @av [])>, \
                  <(2, {'type': <'separator'>}, @av [])>, <(3, {'label': <'Check now'>}, @av [])>, \
                  <(4, {'label': <'Start at login'>, 'toggle-type': <'checkmark'>, 'toggle-state': <1>}, @av [])>]),),)";

    let items = parse_items(layout);

    assert_eq!(
        items,
        [
            MenuItem { id: 1, label: "adele@contoso.example: connected".into(), enabled: false, checked: None },
            MenuItem { id: 3, label: "Check now".into(), enabled: true, checked: None },
            MenuItem { id: 4, label: "Start at login".into(), enabled: true, checked: Some(true) },
        ]
    );
}
