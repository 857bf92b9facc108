//! Opening the authorization URL in the user's browser.

use std::process::Stdio;

/// The browser that received the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A program named in `BROWSER` was started.
    Command(String),
    /// The platform's default browser was asked to open it.
    Default,
}

/// A browser program chosen by the caller, overriding `BROWSER` and the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserCommand {
    pub program: std::path::PathBuf,
    /// Arguments placed before the URL.
    pub args: Vec<String>,
    /// Extra environment variables for the program.
    pub env: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
#[error("could not open a browser ({detail}); open the address yourself")]
pub struct BrowserError {
    pub detail: String,
}

/// Opens `url`. `BROWSER` overrides the platform default, as in `git`, `gh`
/// and Python's `webbrowser`. It is a list separated by the platform's path
/// separator. `%s` in an entry is replaced by the URL, else the URL is appended.
///
/// The browser is started and not waited for: the sign-in ends when the
/// redirect reaches the loopback listener.
///
/// # Errors
///
/// Returns a [`BrowserError`] when no browser could be started.
pub fn open(url: &str, command: Option<&BrowserCommand>) -> Result<Opened, BrowserError> {
    if let Some(command) = command {
        let mut child = std::process::Command::new(&command.program);
        child.args(&command.args).arg(url).envs(command.env.iter().map(|(key, value)| (key, value)));
        return start(child)
            .map(|()| Opened::Command(command.program.display().to_string()))
            .map_err(|error| BrowserError { detail: format!("{}: {error}", command.program.display()) });
    }
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
    let mut child = std::process::Command::new(program);
    child.args(args);
    start(child)
}

fn start(mut command: std::process::Command) -> std::io::Result<()> {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::null()).spawn()?;
    // Reap the child in the background so it does not linger as a zombie.
    std::thread::spawn(move || child.wait());
    Ok(())
}
