//! The simulator behind `graphlink demo` in the tray, and the faults its
//! Demo menu injects into it.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context as _;
use graphlink_core::config::Config;
use graphlink_core::ipc::{DemoFault, ErrorCode, IpcError};
use graphlink_sim::{DEFAULT_PASSWORD, Faults, SimHandle, SimState, TokenFault, UserSpec};
use tokio::sync::Mutex;
use url::Url;

/// The demo account's username.
pub const DEMO_USERNAME: &str = "adele.vance@contoso.example";
/// Lifetime of the simulator's access tokens, in seconds. It is shorter than
/// the engine's refresh margin, so every check refreshes and a fault shows
/// at the next check instead of when an hour-long token expires.
const ACCESS_TOKEN_LIFETIME_SECS: u64 = 120;
/// `Retry-After` of the throttling fault, in seconds.
const THROTTLE_RETRY_AFTER_SECS: u64 = 60;

/// The in-process simulator of the demo.
#[derive(Debug)]
pub struct DemoSim {
    state: SimState,
    addr: SocketAddr,
    /// `None` while the demo is "offline".
    server: Mutex<Option<SimHandle>>,
}

impl DemoSim {
    /// Starts the simulator on a free loopback port with the demo user.
    ///
    /// # Errors
    ///
    /// Fails when no loopback port can be bound.
    pub async fn start() -> anyhow::Result<Self> {
        let state = SimState::new();
        state.add_user(UserSpec {
            username: DEMO_USERNAME.into(),
            display_name: "Adele Vance".into(),
            password: DEFAULT_PASSWORD.into(),
            tenant_id: None,
        });
        state.set_access_token_lifetime(ACCESS_TOKEN_LIFETIME_SECS);
        let server = graphlink_sim::serve(state.clone(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .context("could not start the simulator on 127.0.0.1")?;
        let addr = server.addr();
        tracing::info!(base = %server.base_url(), "demo simulator started");
        Ok(Self { state, addr, server: Mutex::new(Some(server)) })
    }

    /// Returns the configuration that points Graphlink at the simulator.
    ///
    /// # Errors
    ///
    /// Fails only if the simulator's address does not form a URL.
    pub fn config(&self) -> anyhow::Result<Config> {
        let base = format!("http://{}", self.addr);
        Ok(Config {
            client_id: graphlink_sim::DEMO_CLIENT_ID.into(),
            authority: Url::parse(&format!("{base}/organizations/v2.0"))?,
            graph_url: Url::parse(&format!("{base}/v1.0"))?,
            ..Config::default()
        })
    }

    /// Injects a fault, or repairs everything.
    ///
    /// # Errors
    ///
    /// Fails when the simulator cannot listen again on its port after going offline.
    pub async fn apply(&self, fault: DemoFault) -> Result<(), IpcError> {
        tracing::info!(?fault, "demo fault");
        let faults = self.state.faults(DEMO_USERNAME);
        match fault {
            DemoFault::Revoke => self.state.revoke(DEMO_USERNAME),
            DemoFault::RequireMfa => self.state.set_faults(DEMO_USERNAME, Faults { mfa_required: true, ..faults }),
            DemoFault::BlockConsent => {
                self.state.set_faults(DEMO_USERNAME, Faults { consent_disabled: true, ..faults });
                self.state.clear_consent(DEMO_USERNAME);
            }
            DemoFault::Throttle => {
                let throttled = TokenFault::Throttled { retry_after_secs: THROTTLE_RETRY_AFTER_SECS };
                self.state.set_faults(DEMO_USERNAME, Faults { token_error: Some(throttled), ..faults });
            }
            DemoFault::GoOffline => {
                if let Some(server) = self.server.lock().await.take() {
                    server.stop().await;
                }
            }
            DemoFault::Repair => {
                self.state.set_faults(DEMO_USERNAME, Faults::default());
                let mut server = self.server.lock().await;
                if server.is_none() {
                    let restarted = graphlink_sim::serve(self.state.clone(), self.addr).await.map_err(|error| {
                        tracing::error!(%error, addr = %self.addr, "could not restart the demo simulator");
                        IpcError::new(ErrorCode::Unavailable, format!("Could not bring the simulator back on {}: {error}", self.addr))
                    })?;
                    *server = Some(restarted);
                }
            }
        }
        Ok(())
    }

    /// Stops the simulator.
    pub async fn stop(&self) {
        if let Some(server) = self.server.lock().await.take() {
            server.stop().await;
        }
    }
}
