//! Helpers shared by the integration tests: a simulator on `127.0.0.1:0`, a form-driving
//! browser, PKCE, token, Graph and control API requests, and assertions on Entra's and
//! Graph's error shapes.

#![allow(
    dead_code,
    unused_imports,
    reason = "each test binary uses a different subset"
)]

use std::net::SocketAddr;

use graphlink_sim::{Faults, SimHandle, SimState, UserSpec, serve};
use reqwest::redirect::Policy;
use serde_json::Value;

mod browser;
mod control;
mod device;
mod errors;
mod graph;
mod token;

pub use browser::*;
pub use control::*;
pub use device::*;
pub use errors::*;
pub use graph::*;
pub use token::*;

pub const ALICE: &str = "alice@contoso.example";
pub const ALICE_PASSWORD: &str = "alice-password";
pub const BOB: &str = "bob@contoso.example";
/// Nothing listens here: the tests read the redirect instead of following it.
pub const REDIRECT_URI: &str = "http://localhost:53100/callback";
pub const GRAPH_SCOPES: &str = "openid profile offline_access User.Read Mail.Read Calendars.Read";

pub struct Sim {
    pub handle: SimHandle,
    pub state: SimState,
    pub base: String,
    pub client: reqwest::Client,
}

/// Starts a simulator with the user alice on a free loopback port.
pub async fn start() -> Sim {
    let state = SimState::new();
    state.add_user(UserSpec {
        username: ALICE.to_owned(),
        display_name: "Alice Example".to_owned(),
        password: ALICE_PASSWORD.to_owned(),
        tenant_id: None,
    });
    start_with(state).await
}

pub async fn start_with(state: SimState) -> Sim {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("valid address");
    let handle = serve(state.clone(), addr).await.expect("simulator binds");
    let base = handle.base_url();
    Sim {
        handle,
        state,
        base,
        client: no_redirect_client(),
    }
}

pub fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("HTTP client")
}

/// Replaces alice's faults with the defaults as changed by `change`.
pub fn set_alice_faults(sim: &Sim, change: impl FnOnce(&mut Faults)) {
    let mut faults = Faults::default();
    change(&mut faults);
    sim.state.set_faults(ALICE, faults);
}

/// Adds the user bob with the simulator's defaults.
pub fn add_bob(sim: &Sim) {
    sim.state.add_user(UserSpec {
        username: BOB.to_owned(),
        ..UserSpec::default()
    });
}

pub fn string_field<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("no string '{name}' in {body}"))
}

/// Fetches `url` and parses its JSON body, whatever the status.
pub async fn get_json(sim: &Sim, url: &str) -> Value {
    let response = sim.client.get(url).send().await.expect("GET request");
    response.json().await.expect("JSON body")
}
