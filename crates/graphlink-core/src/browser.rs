//! Opening the authorization URL in the user's browser.

use std::process::Stdio;

/// How the URL was handed to a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A program named in `BROWSER` was started.
    Command(String),
    /// The platform's default browser was asked to open it.
    Default,
}

#[derive(Debug, thiserror::Error)]
#[error("could not open a browser ({detail}); open the address yourself")]
pub struct BrowserError {
    pub detail: String,
}

/// Opens `url`. `BROWSER` (a list separated by the platform's path separator,
/// as in `git`, `gh` and Python's `webbrowser`) overrides the platform
/// default; `%s` in an entry is replaced by the URL, else the URL is appended.
///
/// The browser is started and not waited for: the sign-in ends when the
/// redirect reaches the loopback listener.
///
/// # Errors
///
/// Returns a [`BrowserError`] when no browser could be started.
pub fn open(url: &str) -> Result<Opened, BrowserError> {
    if let Some(list) = std::env::var_os("BROWSER").filter(|value| !value.is_empty()) {
        let mut failures = Vec::new();
        for command in std::env::split_paths(&list) {
            let command = command.to_string_lossy().into_owned();
            match spawn(&command, url) {
                Ok(()) => return Ok(Opened::Command(command)),
                Err(error) => failures.push(format!("{command}: {error}")),
            }
        }
        return Err(BrowserError { detail: failures.join("; ") });
    }
    webbrowser::open(url).map(|()| Opened::Default).map_err(|error| BrowserError { detail: error.to_string() })
}

fn spawn(command: &str, url: &str) -> std::io::Result<()> {
    let mut words = command.split_whitespace();
    let program = words.next().ok_or_else(|| std::io::Error::other("empty command"))?;
    let mut args: Vec<String> = words.map(|word| word.replace("%s", url)).collect();
    if !command.contains("%s") {
        args.push(url.to_owned());
    }
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()?;
    // Reap the child in the background so it does not linger as a zombie.
    std::thread::spawn(move || child.wait());
    Ok(())
}
