//! `graphlink doctor`: a diagnosis of configuration, keyring, network, proxy,
//! TLS and clock that is safe to paste into a support ticket.

use crate::output::{out, outln};
use std::process::ExitCode;

use anyhow::Context as _;
use graphlink_core::accounts::AccountStore;
use graphlink_core::config;
use graphlink_core::doctor;
use graphlink_core::paths::{self, Paths};
use graphlink_core::token_store::{self, TokenStore};

/// Runs every check and prints the report. Exits with 0 when nothing needs
/// attention, 1 otherwise.
///
/// # Errors
///
/// Fails on invalid configuration (the error names file, line, key and fix)
/// or when no home directory exists.
pub async fn run(json: bool) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_platform()?;
    let _log = crate::logging::init(&paths.log_dir);
    let managed = paths::managed_config_file();
    let loaded = config::load_detailed(&managed, &paths.user_config_file(), |name| std::env::var(name).ok())?;
    let tokens = TokenStore::new(crate::commands::KEYRING_SERVICE, token_store::DEFAULT_DEADLINE);
    let accounts = AccountStore::new(paths.accounts_file());
    let http = graphlink_core::http::client().context("could not set up HTTPS")?;

    let report = doctor::run(&loaded, &managed, &tokens, &accounts, &http).await;
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!("{}", report.text());
    }
    Ok(if report.healthy() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
