//! The subcommands: thin wrappers that load the context, call
//! `graphlink-core` and print the result.

use crate::output::{out, outln};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use graphlink_core::accounts::AccountStore;
use graphlink_core::config::{self, Config};
use graphlink_core::link::{Attempt, ConnectOptions, Link};
use graphlink_core::paths::{self, Paths};
use graphlink_core::state::{AccountStatus, LinkState};
use graphlink_core::token_store::{self, TokenStore};
use tracing_appender::non_blocking::WorkerGuard;

use crate::render;

/// Keyring service of real accounts.
pub(crate) const KEYRING_SERVICE: &str = "graphlink";
/// A person may be typing the keyring password while `connect` waits.
const CONNECT_KEYRING_DEADLINE: Duration = Duration::from_secs(60);

/// The set of accounts a command works on.
#[derive(Debug, Clone)]
pub enum Profile {
    /// The user's real accounts and configuration.
    Default,
    /// The demo's accounts, kept apart, with a configuration pointing at the simulator.
    Demo(Box<Config>),
}

/// Configuration, stores and logging shared by every command.
#[derive(Debug)]
pub struct Context {
    pub link: Link,
    _log: Option<WorkerGuard>,
}

impl Context {
    /// Loads paths, configuration, logging and stores for a profile.
    ///
    /// # Errors
    ///
    /// Fails on invalid configuration (the error names file, key and fix) or
    /// when no home directory exists.
    pub fn load(profile: Profile) -> anyhow::Result<Self> {
        Self::load_with_deadline(profile, token_store::DEFAULT_DEADLINE)
    }

    fn load_with_deadline(profile: Profile, deadline: Duration) -> anyhow::Result<Self> {
        let paths = Paths::from_platform()?;
        let log = crate::logging::init(&paths.log_dir);
        let (paths, config, service) = match profile {
            Profile::Default => {
                // Logged too, because a tray started at login has no terminal to show it.
                let config = config::load(&paths::managed_config_file(), &paths.user_config_file())
                    .inspect_err(|error| tracing::error!(%error, "invalid configuration"))?;
                (paths, config, KEYRING_SERVICE.to_owned())
            }
            Profile::Demo(config) => (paths.with_profile("demo"), *config, format!("{KEYRING_SERVICE}-demo")),
        };
        let tokens = TokenStore::new(service, deadline);
        let accounts = AccountStore::new(paths.accounts_file());
        let link = Link::new(config, tokens, accounts).context("could not set up HTTPS")?;
        Ok(Self { link, _log: log })
    }

    /// Loads a context whose keyring calls may wait for an unlock prompt.
    ///
    /// # Errors
    ///
    /// As [`Context::load`].
    pub fn load_for_connect(profile: Profile) -> anyhow::Result<Self> {
        Self::load_with_deadline(profile, CONNECT_KEYRING_DEADLINE)
    }

    /// Splits the context for a long-running process that shares the link
    /// between tasks. Keep the guard alive to keep logging.
    pub fn into_shared(self) -> (std::sync::Arc<Link>, Option<WorkerGuard>) {
        (std::sync::Arc::new(self.link), self._log)
    }
}

/// The options of one `graphlink connect` run.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub timeout_secs: u64,
    pub login_hint: Option<String>,
    /// Key or username of the account to reconnect.
    pub account: Option<String>,
    pub device_code: bool,
}

/// `graphlink connect`.
///
/// # Errors
///
/// Fails when `--account` names no linked account or the metadata cannot be read.
pub async fn connect(context: &Context, request: ConnectRequest) -> anyhow::Result<ExitCode> {
    context.link.config().require_client_id()?;
    let account = match &request.account {
        Some(selector) => Some(context.link.find_account(selector)?.with_context(|| {
            format!("no linked account matches {selector:?}; run `graphlink status` to list accounts, or `graphlink connect` without --account to link a new one")
        })?),
        None => None,
    };
    let result = if request.device_code {
        let timeout = Duration::from_secs(request.timeout_secs);
        let polling = context.link.connect_device_code(
            account.as_ref(),
            show_device_code,
            tokio::time::sleep,
        );
        match tokio::time::timeout(timeout, polling).await {
            Ok(result) => result,
            Err(_) => {
                eprintln!("Not connected: no sign-in with the code within {} seconds (--timeout). Run the command again for a new code.", timeout.as_secs());
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        let options = ConnectOptions { timeout: Duration::from_secs(request.timeout_secs), login_hint: request.login_hint, ..ConnectOptions::default() };
        let on_open = |url: &url::Url, opened: Result<_, graphlink_core::browser::BrowserError>| {
            show_sign_in_page(url.as_str(), opened.err().map(|error| error.to_string()).as_deref());
        };
        match &account {
            Some(record) => context.link.reconnect(record, &options, on_open).await,
            None => context.link.connect(&options, on_open).await,
        }
    };
    match result {
        Ok(status) => {
            out!("{}", render::text(context.link.config(), std::slice::from_ref(&status)));
            Ok(exit_code(std::slice::from_ref(&status)))
        }
        Err(failure) => {
            show_connect_failure(failure.state, &failure.message, failure.it_request.as_ref().map(|request| request.text.as_str()));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Prints where to sign in, because a browser can start and still show nothing.
/// It runs once the keyring and the account list were checked, so nothing
/// mentions a browser for a sign-in that cannot be kept.
pub fn show_sign_in_page(url: &str, browser_error: Option<&str>) {
    match browser_error {
        None => eprintln!(
            "Opened the Microsoft sign-in page in your browser. If no sign-in page appeared, open this address in your browser:\n\n  {url}\n\nWaiting for you to finish signing in (press Ctrl+C to cancel)."
        ),
        Some(error) => eprintln!(
            "{error}:\n\n  {url}\n\nWaiting for you to finish signing in (press Ctrl+C to cancel). Without a browser on this computer, sign in on another device with `graphlink connect --device-code`."
        ),
    }
}

/// Prints a failed connect, with the request for IT when only IT can fix it.
pub fn show_connect_failure(state: LinkState, message: &str, it_request: Option<&str>) {
    // A failed reconnect leaves a working account as it was.
    if state == LinkState::Connected {
        eprintln!("Sign-in failed; the account stays connected: {message}");
    } else {
        eprintln!("Not connected ({state}): {message}");
    }
    if let Some(text) = it_request {
        eprintln!("\nSend this request to your IT department (also shown by `graphlink status --it-request`):\n\n{text}");
    }
}

/// Prints the code of a device code sign-in and where to enter it.
pub fn show_device_code(prompt: &graphlink_core::link::DeviceCodePrompt) {
    eprintln!("To sign in, open {} on any device and enter the code:\n\n  {}\n", prompt.verification_uri, prompt.user_code);
    eprintln!("The code works for {}. Waiting for the sign-in (press Ctrl+C to cancel).", code_lifetime(prompt.expires_in_secs));
}

/// Returns a device code's lifetime in whole minutes, rounded up, as words.
fn code_lifetime(expires_in_secs: u64) -> String {
    match expires_in_secs.div_ceil(60) {
        1 => "1 minute".to_owned(),
        minutes => format!("{minutes} minutes"),
    }
}

/// The output of `graphlink status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFormat {
    Text,
    Json,
    /// Only the requests for IT.
    ItRequest,
}

impl StatusFormat {
    /// Returns the format the flags of `graphlink status` ask for; `--json` wins.
    #[must_use]
    pub const fn of(json: bool, it_request: bool) -> Self {
        match (json, it_request) {
            (true, _) => Self::Json,
            (false, true) => Self::ItRequest,
            (false, false) => Self::Text,
        }
    }
}

/// `graphlink status`.
///
/// # Errors
///
/// Fails when the account metadata cannot be read.
pub async fn status(context: &Context, format: StatusFormat) -> anyhow::Result<ExitCode> {
    // Without a client ID every refresh would fail: report the setting, not the accounts.
    context.link.config().require_client_id()?;
    let statuses = context.link.check_all().await?;
    let attempt = context.link.last_failed_attempt();
    print_status(context.link.config(), &statuses, attempt.as_ref(), format)
}

/// Prints checked statuses, and the last failed connect when no account is
/// linked, in `format`, and returns the exit status of `graphlink status`.
///
/// # Errors
///
/// Fails only if the JSON cannot be serialised.
pub fn print_status(config: &Config, statuses: &[AccountStatus], attempt: Option<&Attempt>, format: StatusFormat) -> anyhow::Result<ExitCode> {
    match format {
        StatusFormat::Json => outln!("{}", render::json(config, statuses, attempt)?),
        StatusFormat::Text => {
            out!("{}", render::text(config, statuses));
            if let Some(attempt) = attempt {
                out!("{}", render::attempt_text(attempt));
            }
        }
        StatusFormat::ItRequest => {
            let requests = render::it_requests(config, statuses, attempt);
            if requests.is_empty() {
                outln!("No account needs IT: nothing to send.");
            }
            for request in requests {
                outln!("{}", request.text);
            }
        }
    }
    Ok(exit_code(statuses))
}

/// The error of `graphlink disconnect` when no account is linked.
pub const NOTHING_TO_DISCONNECT: &str = "no account is linked, so there is nothing to disconnect; `graphlink connect` links one";

/// `graphlink disconnect`.
///
/// # Errors
///
/// Fails when no account is linked or none matches, or when the keyring or
/// metadata cannot be changed.
pub async fn disconnect(context: &Context, account: Option<&str>, all: bool) -> anyhow::Result<ExitCode> {
    // Without a name, only a single linked account is removed: with several,
    // removing them all must be asked for.
    if account.is_none() {
        let linked = context.link.account_store().load()?;
        if linked.is_empty() {
            anyhow::bail!(NOTHING_TO_DISCONNECT);
        }
        if linked.len() > 1 && !all {
            let names: Vec<&str> = linked.iter().map(|record| record.username.as_str()).collect();
            anyhow::bail!("{} accounts are linked ({}); name the one to disconnect, or pass --all to remove every account", linked.len(), names.join(", "));
        }
    }
    let removed = context.link.disconnect(account).await?;
    for record in removed {
        outln!("Disconnected {} and removed its keyring entry.", record.username);
    }
    Ok(ExitCode::SUCCESS)
}

/// 0 when there is at least one account and every account is connected.
pub fn exit_code(statuses: &[AccountStatus]) -> ExitCode {
    if !statuses.is_empty() && statuses.iter().all(|status| status.state == LinkState::Connected) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lifetime_singular_and_plural() {
        assert_eq!(code_lifetime(1), "1 minute");
        assert_eq!(code_lifetime(60), "1 minute");
        assert_eq!(code_lifetime(61), "2 minutes");
        assert_eq!(code_lifetime(900), "15 minutes");
    }
}
