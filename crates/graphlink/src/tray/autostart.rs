//! "Start at login": an XDG autostart entry on Linux, a launch agent on
//! macOS, a Run registry value on Windows, through the `auto-launch` crate.

use auto_launch::{AutoLaunch, AutoLaunchBuilder};

// NOTE: on Linux, auto-launch writes to ~/.config/autostart even when
// XDG_CONFIG_HOME names another folder, where desktops then do not look.
fn entry() -> anyhow::Result<AutoLaunch> {
    let exe = std::env::current_exe()?;
    let path = exe.to_str().ok_or_else(|| anyhow::anyhow!("the path of graphlink is not valid UTF-8: {}", exe.display()))?;
    let path = installed_path(path);
    Ok(AutoLaunchBuilder::new().set_app_name("Graphlink").set_app_path(path).set_args(&["--at-login"]).build()?)
}

/// Returns the path the next login should start. After an upgrade replaced
/// the running program, Linux reports its path with " (deleted)" appended,
/// and the new program is at the path without it.
fn installed_path(path: &str) -> &str {
    path.strip_suffix(" (deleted)").unwrap_or(path)
}

/// Returns true when Graphlink starts at login. Errors count as off.
pub fn is_enabled() -> bool {
    entry().and_then(|entry| Ok(entry.is_enabled()?)).unwrap_or(false)
}

/// Turns start at login on or off and returns the new setting.
///
/// # Errors
///
/// Fails when the autostart entry cannot be written or removed.
pub fn set(enabled: bool) -> anyhow::Result<bool> {
    let entry = entry()?;
    if enabled {
        entry.enable()?;
    } else {
        entry.disable()?;
    }
    tracing::info!(enabled, "start at login changed");
    Ok(entry.is_enabled()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaced_program_starts_from_its_path() {
        assert_eq!(installed_path("/usr/bin/graphlink (deleted)"), "/usr/bin/graphlink");
        assert_eq!(installed_path("/usr/bin/graphlink"), "/usr/bin/graphlink");
    }
}
