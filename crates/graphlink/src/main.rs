//! `graphlink`: links a Microsoft 365 mailbox to Microsoft Graph and reports,
//! truthfully, whether the link works.

mod commands;
mod demo;
mod doctor;
mod hardening;
mod logging;
mod output;
mod remote;
mod render;
mod tray;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "graphlink", version, about = "Keeps your Microsoft 365 mailbox linked to Microsoft Graph")]
struct Cli {
    /// Without a command, Graphlink runs as the tray app.
    #[command(subcommand)]
    command: Option<Command>,
    /// Start the tray as the start-at-login entry does: when Graphlink is
    /// already running, exit without opening its window.
    #[arg(long)]
    at_login: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Link a Microsoft 365 account by signing in through the browser.
    Connect {
        /// Seconds to wait for the sign-in (browser or device code) before giving up.
        #[arg(long, default_value_t = 300, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
        /// Username to pre-fill on the sign-in page. A reconnect fills in the
        /// account's own, and a device code sign-in has no page to fill.
        #[arg(long, value_name = "USERNAME", conflicts_with_all = ["account", "device_code"])]
        login_hint: Option<String>,
        /// Reconnect this linked account (key or username): only a sign-in as
        /// that same user is accepted.
        #[arg(long, value_name = "ACCOUNT")]
        account: Option<String>,
        /// Sign in on another device with a code instead of a browser on this one.
        #[arg(long)]
        device_code: bool,
    },
    /// Check every linked account now and print its state.
    ///
    /// Exits with 0 when every account is connected, 1 otherwise (also when
    /// no account is linked).
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Print only the request for IT of accounts that need an administrator.
        #[arg(long, conflicts_with = "json")]
        it_request: bool,
    },
    /// Diagnose configuration, keyring, network, proxy, TLS and clock, printing no secret.
    Doctor {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a linked account and its keyring entries.
    ///
    /// Without ACCOUNT, the only linked account is removed; with several
    /// linked, name one or pass --all.
    Disconnect {
        /// Account key or username, as `graphlink status` shows them.
        account: Option<String>,
        /// Remove every linked account.
        #[arg(long, conflicts_with = "account")]
        all: bool,
    },
    /// Run the tray app against a built-in simulator of Microsoft 365, with a
    /// Demo menu that breaks the link on purpose. Without a display, link a
    /// demo account, print its status and exit.
    Demo,
}

fn main() -> ExitCode {
    hardening::disable_core_dumps();
    let cli = Cli::parse();
    // The tray owns the main thread, which desktop event loops require.
    match &cli.command {
        None if tray::has_display() => return tray::run(tray::Mode::User, cli.at_login),
        None => {
            eprintln!(
                "graphlink: no display found, and the tray needs a desktop session.\n\
                 Use `graphlink status` to check the link or `graphlink connect` to link an account; `graphlink --help` lists every command."
            );
            return ExitCode::from(2);
        }
        Some(Command::Demo) if tray::has_display() => return tray::run(tray::Mode::Demo, cli.at_login),
        Some(_) => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("graphlink: could not start: {error}");
            return ExitCode::from(2);
        }
    };
    let json = matches!(cli.command, Some(Command::Status { json: true, .. } | Command::Doctor { json: true }));
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("graphlink: {error:#}");
            if runtime.block_on(only_demo_configured(&error)) {
                eprintln!("The demo keeps its account apart from yours: `graphlink demo` shows it, in its tray menu and window when it runs with a display.");
            }
            // A script that asked for JSON still gets JSON to parse.
            if json {
                output::outln!("{}", failure_json(&error));
            }
            ExitCode::from(2)
        }
    }
}

/// Returns true when a command failed for want of a client ID after the demo
/// linked its account or while it runs, so the user most likely expected the
/// demo's account.
async fn only_demo_configured(error: &anyhow::Error) -> bool {
    let missing_client_id = error
        .downcast_ref::<graphlink_core::config::ConfigError>()
        .is_some_and(|config| config.key == "client_id" && config.origin == graphlink_core::config::Origin::Defaults);
    if !missing_client_id {
        return false;
    }
    let demo_linked = graphlink_core::paths::Paths::from_platform().is_ok_and(|paths| paths.with_profile("demo").accounts_file().exists());
    if demo_linked {
        return true;
    }
    match tray::Mode::Demo.endpoint() {
        Ok(endpoint) => graphlink_core::ipc::is_running(&endpoint).await,
        Err(_) => false,
    }
}

/// Describes a command that could not run, for `--json` output: the message,
/// and for invalid configuration its source, line, setting and fix.
fn failure_json(error: &anyhow::Error) -> serde_json::Value {
    let mut value = serde_json::json!({ "error": { "message": format!("{error:#}") } });
    if let Some(config) = error.downcast_ref::<graphlink_core::config::ConfigError>() {
        value["error"]["configuration"] = serde_json::json!({
            "source": config.origin.to_string(),
            "line": config.line,
            "key": config.key,
            "problem": config.problem,
            "fix": config.fix,
        });
    }
    value
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else { return Ok(ExitCode::SUCCESS) };
    // A running tray handles the subcommands, so two engines never refresh the same account.
    if let Some(tray) = remote::running_tray().await {
        match &command {
            Command::Connect { login_hint, device_code, account, timeout } => {
                let request = commands::ConnectRequest { timeout_secs: *timeout, login_hint: login_hint.clone(), account: account.clone(), device_code: *device_code };
                return remote::connect(&tray, request).await;
            }
            Command::Status { json, it_request } => return remote::status(&tray, commands::StatusFormat::of(*json, *it_request)).await,
            Command::Disconnect { account, all } => return remote::disconnect(&tray, account.clone(), *all).await,
            _ => {}
        }
    }
    match command {
        Command::Connect { timeout, login_hint, account, device_code } => {
            let context = commands::Context::load_for_connect(commands::Profile::Default)?;
            let request = commands::ConnectRequest { timeout_secs: timeout, login_hint, account, device_code };
            commands::connect(&context, request).await
        }
        Command::Status { json, it_request } => {
            let context = commands::Context::load(commands::Profile::Default)?;
            commands::status(&context, commands::StatusFormat::of(json, it_request)).await
        }
        Command::Doctor { json } => doctor::run(json).await,
        Command::Disconnect { account, all } => {
            let context = commands::Context::load(commands::Profile::Default)?;
            commands::disconnect(&context, account.as_deref(), all).await
        }
        Command::Demo => demo::run().await,
    }
}
