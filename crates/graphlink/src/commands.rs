//! The subcommands: thin wrappers that load the context, call
//! `graphlink-core` and print the result.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use graphlink_core::accounts::AccountStore;
use graphlink_core::config::{self, Config};
use graphlink_core::link::{ConnectOptions, Link};
use graphlink_core::paths::{self, Paths};
use graphlink_core::state::{AccountStatus, LinkState};
use graphlink_core::token_store::{self, TokenStore};
use tracing_appender::non_blocking::WorkerGuard;

use crate::render;

/// Keyring service of real accounts.
const KEYRING_SERVICE: &str = "graphlink";
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
                let config = config::load(&paths::managed_config_file(), &paths.user_config_file())?;
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

/// `graphlink connect`.
pub async fn connect(context: &Context, timeout_secs: u64, login_hint: Option<String>) -> ExitCode {
    let options = ConnectOptions { timeout: Duration::from_secs(timeout_secs), login_hint, ..ConnectOptions::default() };
    eprintln!("Opening the Microsoft sign-in page in your browser…");
    let result = context
        .link
        .connect(&options, |url, opened| match opened {
            Ok(_) => eprintln!("Waiting for you to finish signing in (press Ctrl+C to cancel)."),
            Err(error) => eprintln!("{error}:\n\n  {url}\n"),
        })
        .await;
    match result {
        Ok(status) => {
            print!("{}", render::text(std::slice::from_ref(&status)));
            exit_code(std::slice::from_ref(&status))
        }
        Err(failure) => {
            eprintln!("Not connected ({}): {}", failure.state, failure.message);
            ExitCode::FAILURE
        }
    }
}

/// `graphlink status`.
///
/// # Errors
///
/// Fails when the account metadata cannot be read.
pub async fn status(context: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let statuses = context.link.check_all().await?;
    if json {
        println!("{}", render::json(&statuses)?);
    } else {
        print!("{}", render::text(&statuses));
    }
    Ok(exit_code(&statuses))
}

/// `graphlink disconnect`.
///
/// # Errors
///
/// Fails when no account matches, or the keyring or metadata cannot be changed.
pub async fn disconnect(context: &Context, account: Option<&str>) -> anyhow::Result<ExitCode> {
    let removed = context.link.disconnect(account).await?;
    for record in removed {
        println!("Disconnected {} and removed its keyring entry.", record.username);
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
