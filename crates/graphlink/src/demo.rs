//! `graphlink demo`: the whole link against a simulator of Microsoft 365
//! running inside this process, on loopback.

use crate::output::{out, outln};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context as _;
use graphlink_core::browser::BrowserCommand;
use graphlink_core::config::Config;
use graphlink_core::link::{ConnectOptions, DisconnectError};
use graphlink_sim::{DEFAULT_PASSWORD, SimState, UserSpec};
use url::Url;

use crate::commands::{self, Context, Profile};
use crate::render;

const DEMO_USERNAME: &str = "adele.vance@contoso.example";

/// Starts the simulator, links the demo account through a browser and prints its status.
///
/// # Errors
///
/// Fails when the simulator cannot start or the demo profile cannot be loaded.
pub async fn run() -> anyhow::Result<ExitCode> {
    let state = SimState::new();
    state.add_user(UserSpec {
        username: DEMO_USERNAME.into(),
        display_name: "Adele Vance".into(),
        password: DEFAULT_PASSWORD.into(),
        tenant_id: None,
    });
    let sim = graphlink_sim::serve(state, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .context("could not start the simulator on 127.0.0.1")?;
    let base = sim.base_url();
    outln!("Started the Microsoft 365 simulator at {base}");

    let config = Config {
        client_id: graphlink_sim::DEMO_CLIENT_ID.into(),
        authority: Url::parse(&format!("{base}/organizations/v2.0"))?,
        graph_url: Url::parse(&format!("{base}/v1.0"))?,
        ..Config::default()
    };
    let context = Context::load_for_connect(Profile::Demo(Box::new(config)))?;
    // Demo accounts from an earlier run belong to a simulator that is gone.
    match context.link.disconnect(None).await {
        Ok(_) | Err(DisconnectError::NotFound(_)) => {}
        Err(error) => return Err(error).context("could not clear the previous demo account"),
    }

    let browser = scripted_browser();
    match &browser {
        Some(_) => outln!("No display found: the built-in scripted browser signs in as {DEMO_USERNAME}."),
        None => outln!("Sign in as {DEMO_USERNAME} with the password {DEFAULT_PASSWORD:?} in the browser window that opens."),
    }
    let options = ConnectOptions { browser, ..ConnectOptions::default() };
    let result = context
        .link
        .connect(&options, |url, opened| {
            if let Err(error) = opened {
                eprintln!("{error}:\n\n  {url}\n");
            }
        })
        .await;
    let code = match result {
        Ok(status) => {
            out!("{}", render::text(context.link.config(), std::slice::from_ref(&status)));
            commands::exit_code(&[status])
        }
        Err(failure) => {
            eprintln!("The demo account was not linked ({}): {}", failure.state, failure.message);
            ExitCode::FAILURE
        }
    };
    sim.stop().await;
    Ok(code)
}

/// Returns the simulator's scripted browser when no person can use a real
/// one: `BROWSER` is unset and, on Linux and BSD, no display is available.
fn scripted_browser() -> Option<BrowserCommand> {
    let has_display = cfg!(any(target_os = "macos", windows))
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if has_display || std::env::var_os("BROWSER").is_some() {
        return None;
    }
    let program = std::env::current_exe().ok()?.with_file_name(format!("sim-browser{}", std::env::consts::EXE_SUFFIX));
    program.exists().then(|| BrowserCommand {
        program,
        args: Vec::new(),
        env: vec![
            ("SIM_BROWSER_USER".into(), DEMO_USERNAME.into()),
            ("SIM_BROWSER_PASSWORD".into(), DEFAULT_PASSWORD.into()),
        ],
    })
}
