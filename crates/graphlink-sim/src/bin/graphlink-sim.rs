//! `graphlink-sim`: runs the simulator until Ctrl-C or SIGTERM.
//!
//! The first line on stdout is the base URL (`http://127.0.0.1:PORT`), so a script can
//! start it with `--port 0` and read where it listens. Logs go to stderr, and
//! `RUST_LOG` sets their level (default `info`).

use std::io::{IsTerminal as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use graphlink_sim::{SimState, UserSpec, serve};
use tracing_subscriber::EnvFilter;

/// A local stand-in for the Microsoft identity platform v2.0 and Microsoft Graph.
#[derive(Debug, Parser)]
#[command(version, about, after_help = AFTER_HELP)]
struct Args {
    /// TCP port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Address to listen on. Only loopback addresses are allowed without --allow-remote.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,

    /// Allow a non-loopback --host. The simulator accepts any password you configure
    /// and has no TLS, so expose it only on networks you control.
    #[arg(long)]
    allow_remote: bool,

    /// Create a user at start, as USERNAME or USERNAME:PASSWORD. Repeatable.
    #[arg(long = "user", value_name = "USERNAME[:PASSWORD]")]
    users: Vec<String>,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "SECS")]
    access_token_lifetime: Option<u64>,
}

const AFTER_HELP: &str = "Users created without a password get the password 'sim-password'.\n\
Authority for clients: BASE/organizations/v2.0; Graph: BASE/v1.0; control API: BASE/_sim/.";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();

    if !args.host.is_loopback() && !args.allow_remote {
        eprintln!(
            "graphlink-sim: --host {} is not a loopback address. Use 127.0.0.1 or ::1, or add --allow-remote.",
            args.host
        );
        return ExitCode::from(2);
    }

    let state = SimState::new();
    for entry in &args.users {
        let (username, password) = entry.split_once(':').unwrap_or((entry, ""));
        if username.trim().is_empty() {
            eprintln!(
                "graphlink-sim: --user {entry:?} has no username. Use --user NAME or --user NAME:PASSWORD."
            );
            return ExitCode::from(2);
        }
        let user = state.add_user(UserSpec {
            username: username.to_owned(),
            password: password.to_owned(),
            ..UserSpec::default()
        });
        tracing::info!(
            username = %user.username,
            oid = %user.oid,
            tenant = %user.tenant_id,
            default_password = password.is_empty(),
            "user created"
        );
    }
    if let Some(secs) = args.access_token_lifetime {
        state.set_access_token_lifetime(secs);
    }

    let handle = match serve(state, SocketAddr::new(args.host, args.port)).await {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!(
                "graphlink-sim: cannot listen on {}:{}: {error}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };

    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", handle.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        tracing::warn!("could not write the base URL to stdout");
    }

    wait_for_shutdown().await;
    handle.stop().await;
    ExitCode::SUCCESS
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM, so only Ctrl-C stops the simulator");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}
