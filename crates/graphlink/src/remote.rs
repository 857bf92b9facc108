//! The subcommands, carried out by a running tray over IPC, so that two
//! health engines never refresh the same account.

use crate::output::{out, outln};
use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;

use graphlink_core::accounts::AccountStore;
use graphlink_core::ipc::{self, ConnectOutcome, Endpoint, Event, IpcError, Request, Subscription};
use graphlink_core::link::Attempt;
use graphlink_core::state::AccountStatus;

use crate::commands::{ConnectRequest, StatusFormat, exit_code, print_status, show_connect_failure, show_device_code, show_sign_in_page};
use crate::render;
use crate::tray::Mode;

/// How long `status` waits for the tray to finish checking every account.
const STATUS_TIMEOUT: Duration = Duration::from_secs(60);

/// Returns the endpoint of the user's running tray, or `None` when none runs.
pub async fn running_tray() -> Option<Endpoint> {
    let endpoint = Mode::User.endpoint().ok()?;
    ipc::is_running(&endpoint).await.then_some(endpoint)
}

/// `graphlink status` through the tray: requests a check of every account
/// and prints the results as they arrive.
///
/// # Errors
///
/// Fails when the tray goes away or does not finish within a minute.
pub async fn status(endpoint: &Endpoint, format: StatusFormat) -> anyhow::Result<ExitCode> {
    let statuses = tokio::time::timeout(STATUS_TIMEOUT, check_all(endpoint))
        .await
        .map_err(|_| anyhow::anyhow!("the running Graphlink did not finish checking within {} seconds", STATUS_TIMEOUT.as_secs()))??;
    let config = load_config()?;
    let attempt = Attempt::last_failed(&account_store()?);
    print_status(&config, &statuses, attempt.as_ref(), format)
}

async fn check_all(endpoint: &Endpoint) -> Result<Vec<AccountStatus>, IpcError> {
    let mut subscription = Subscription::open(endpoint).await?;
    let Some(Event::Snapshot { accounts }) = subscription.next().await? else {
        return Err(IpcError::new(ipc::ErrorCode::Unavailable, "the running Graphlink sent no snapshot"));
    };
    let mut statuses: Vec<AccountStatus> = accounts.into_iter().map(|report| report.status).collect();
    ipc::request(endpoint, &Request::CheckNow).await?;

    let mut pending: HashSet<String> = statuses.iter().map(|status| status.account.clone()).collect();
    while !pending.is_empty() {
        match subscription.next().await? {
            Some(Event::Status { status: report }) => {
                let status = report.status;
                pending.remove(&status.account);
                match statuses.iter_mut().find(|known| known.account == status.account) {
                    Some(known) => *known = status,
                    None => statuses.push(status),
                }
            }
            Some(Event::Removed { account }) => {
                pending.remove(&account);
                statuses.retain(|status| status.account != account);
            }
            Some(_) => {}
            None => return Err(IpcError::new(ipc::ErrorCode::Unavailable, "the running Graphlink closed the connection")),
        }
    }
    Ok(statuses)
}

/// `graphlink connect` through the tray. The tray signs the user in (in the
/// browser or with a device code) and links the account. This prints the
/// code to enter and the outcome.
///
/// # Errors
///
/// Fails when the tray goes away or rejects the request.
pub async fn connect(endpoint: &Endpoint, request: ConnectRequest) -> anyhow::Result<ExitCode> {
    let device_code = request.device_code;
    let timeout = Duration::from_secs(request.timeout_secs);
    let request = match (request.account, device_code) {
        (account, true) => Request::ConnectDeviceCode { account },
        (Some(account), false) => Request::Reconnect { account },
        (None, false) => Request::Connect { login_hint: request.login_hint },
    };
    let on_progress = |event: &Event| match event {
        Event::DeviceCode { prompt } => show_device_code(prompt),
        Event::SignInPage { url, browser_error } => show_sign_in_page(url, browser_error.as_deref()),
        _ => {}
    };
    // Dropping the request on timeout closes the connection, which cancels the tray's sign-in.
    let Ok(reply) = tokio::time::timeout(timeout, ipc::request_with_progress(endpoint, &request, on_progress)).await else {
        eprintln!("Not connected: the sign-in did not finish within {} seconds (--timeout). Run the command again to retry.", timeout.as_secs());
        return Ok(ExitCode::FAILURE);
    };
    match reply? {
        Event::ConnectResult { outcome: ConnectOutcome::Connected { status: report } } => {
            let status = report.status;
            out!("{}", render::text(&load_config()?, std::slice::from_ref(&status)));
            Ok(exit_code(std::slice::from_ref(&status)))
        }
        Event::ConnectResult { outcome: ConnectOutcome::Failed { state, message, it_request, .. } } => {
            show_connect_failure(state, &message, it_request.as_deref());
            Ok(ExitCode::FAILURE)
        }
        other => anyhow::bail!("the running Graphlink sent an unexpected reply: {other:?}"),
    }
}

/// Opens the account list of this user, which the tray reads too.
fn account_store() -> anyhow::Result<AccountStore> {
    let paths = graphlink_core::paths::Paths::from_platform()?;
    Ok(AccountStore::new(paths.accounts_file()))
}

/// Loads the configuration the output needs, as the in-process commands do.
fn load_config() -> anyhow::Result<graphlink_core::config::Config> {
    let paths = graphlink_core::paths::Paths::from_platform()?;
    Ok(graphlink_core::config::load(&graphlink_core::paths::managed_config_file(), &paths.user_config_file())?)
}

/// `graphlink disconnect` through the tray.
///
/// # Errors
///
/// Fails when no account matches or the tray could not remove it.
pub async fn disconnect(endpoint: &Endpoint, account: Option<String>, all: bool) -> anyhow::Result<ExitCode> {
    // The account file, not the tray's snapshot, because the tray removes what the file lists.
    let before = account_store()?.load()?;
    if before.is_empty() {
        anyhow::bail!(crate::commands::NOTHING_TO_DISCONNECT);
    }
    if account.is_none() && !all && before.len() > 1 {
        let names: Vec<&str> = before.iter().map(|record| record.username.as_str()).collect();
        anyhow::bail!("{} accounts are linked ({}); name the one to disconnect, or pass --all to remove every account", before.len(), names.join(", "));
    }
    ipc::request(endpoint, &Request::Disconnect { account: account.clone() }).await?;
    let removed = before.iter().filter(|record| {
        account.as_deref().is_none_or(|wanted| record.key == wanted || record.username.eq_ignore_ascii_case(wanted))
    });
    for record in removed {
        outln!("Disconnected {} and removed its keyring entry.", record.username);
    }
    Ok(ExitCode::SUCCESS)
}
