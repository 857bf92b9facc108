//! An engine test bed: the simulator on loopback driven by the same simulated
//! clock as the engine, an in-memory lockable keyring, and an account linked
//! through the real sign-in with the simulator's scripted browser.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use graphlink_core::accounts::AccountStore;
use graphlink_core::browser::BrowserCommand;
use graphlink_core::config::Config;
use graphlink_core::engine::clock::SimulatedClock;
use graphlink_core::link::{ConnectOptions, Link};
use graphlink_core::state::LinkState;
use graphlink_core::token_store::TokenStore;
use graphlink_sim::{SimHandle, SimState, SimUser, UserSpec};
use tempfile::TempDir;
use url::Url;

use super::gated_store::GatedStore;

pub struct Harness {
    pub dir: TempDir,
    pub state: SimState,
    pub sim: Option<SimHandle>,
    pub addr: SocketAddr,
    pub clock: SimulatedClock,
    pub keyring: GatedStore,
    pub link: Arc<Link>,
    pub config: Config,
    pub user: SimUser,
}

impl Harness {
    /// Starts the simulator, links one account and returns the test bed.
    pub async fn start(check_interval: Duration) -> Self {
        let clock = SimulatedClock::new(SystemTime::now());
        let state = SimState::new();
        let shared = clock.clone();
        state.set_clock(Arc::new(move || graphlink_core::engine::clock::Clock::now(&shared)));
        let user = state.add_user(UserSpec {
            username: "adele.vance@contoso.example".into(),
            display_name: "Adele Vance".into(),
            password: "correct horse battery staple".into(),
            tenant_id: None,
        });
        let sim = graphlink_sim::serve(state.clone(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("simulator");
        let addr = sim.addr();
        let base = sim.base_url();

        let config = Config {
            client_id: graphlink_sim::DEMO_CLIENT_ID.into(),
            authority: Url::parse(&format!("{base}/organizations/v2.0")).expect("url"),
            graph_url: Url::parse(&format!("{base}/v1.0")).expect("url"),
            check_interval,
            ..Config::default()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let keyring = GatedStore::new();
        let tokens = TokenStore::with_store("graphlink", Duration::from_secs(5), keyring.as_store());
        let accounts = AccountStore::new(dir.path().join("accounts.json"));
        let link = Arc::new(Link::new(config.clone(), tokens, accounts).expect("link"));

        let options = ConnectOptions { browser: Some(sim_browser(&user)), timeout: Duration::from_secs(30), ..ConnectOptions::default() };
        let status = link.connect(&options, |_, opened| assert!(opened.is_ok(), "sim-browser starts")).await.expect("connect");
        assert_eq!(status.state, LinkState::Connected, "{status:?}");

        Self { dir, state, sim: Some(sim), addr, clock, keyring, link, config, user }
    }

    /// Returns a second `Link` over the same keyring and accounts with another HTTP client.
    pub fn relink_with_client(&self, http: reqwest::Client) -> Link {
        let tokens = TokenStore::with_store("graphlink", Duration::from_secs(5), self.keyring.as_store());
        let accounts = AccountStore::new(self.dir.path().join("accounts.json"));
        Link::new(self.config.clone(), tokens, accounts).expect("link").with_http_client(http)
    }

    pub async fn stop_sim(&mut self) {
        if let Some(sim) = self.sim.take() {
            sim.stop().await;
        }
    }

    pub async fn restart_sim(&mut self) {
        if self.sim.is_none() {
            self.sim = Some(graphlink_sim::serve(self.state.clone(), self.addr).await.expect("restart on the same port"));
        }
    }
}

/// Returns the simulator's scripted browser, built next to the test binaries' directory.
pub fn sim_browser(user: &SimUser) -> BrowserCommand {
    let exe = std::env::current_exe().expect("test executable");
    let program = exe.parent().and_then(|deps| deps.parent()).expect("target directory").join("sim-browser");
    assert!(program.exists(), "{} is missing: run `cargo build --workspace --bins` first (make test does)", program.display());
    BrowserCommand {
        program,
        args: Vec::new(),
        env: vec![("SIM_BROWSER_USER".into(), user.username.clone()), ("SIM_BROWSER_PASSWORD".into(), user.password.clone())],
    }
}
