//! A local stand-in for the Microsoft identity platform v2.0 and Microsoft Graph.
//!
//! One HTTP server serves the identity endpoints at `{base}/{tenant}/…` (`tenant` is
//! `organizations`, `common`, a tenant ID or a user's domain), Graph at `{base}/v1.0/…`
//! and a control API at `{base}/_sim/…`. A client configured with the authority
//! `{base}/organizations/v2.0` and the Graph URL `{base}/v1.0` talks to it as it would
//! to Entra ID and Graph. Responses, error bodies and headers follow Entra's and Graph's.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use graphlink_sim::{SimState, UserSpec, serve};
//!
//! let state = SimState::new();
//! state.add_user(UserSpec { username: "adele@contoso.example".into(), ..UserSpec::default() });
//! let sim = serve(state, "127.0.0.1:0".parse().expect("valid address")).await?;
//! println!("authority: {}/organizations/v2.0", sim.base_url());
//! sim.stop().await;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;

mod aadsts;
mod batch;
mod clock;
mod control;
mod entra_errors;
mod errors;
mod graph;
pub mod html_form;
mod identity;
mod ids;
mod jwt;
mod model;
mod scopes;
mod server;
mod state;
mod store;

pub use entra_errors::{entra_error_codes, entra_error_for};
pub use model::{
    Capability, DEFAULT_PASSWORD, Faults, GraphFault, Settings, SettingsUpdate, SimUser, Stats,
    TokenFault, UserSpec,
};
pub use server::{SimHandle, serve};
pub use state::SimState;

/// Client ID of the app registration used in demo mode. The simulator accepts any GUID
/// as a client ID, and shows this one by name ("Graphlink") on its pages.
pub const DEMO_CLIENT_ID: &str = "6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40";

/// Shared by every handler: the state and the externally visible base URL.
#[derive(Clone, Debug)]
pub(crate) struct App {
    pub state: SimState,
    pub base_url: Arc<str>,
}

impl App {
    /// Display name of a client on sign-in and consent pages.
    pub(crate) fn app_name(client_id: &str) -> String {
        if client_id.eq_ignore_ascii_case(DEMO_CLIENT_ID) {
            "Graphlink".to_owned()
        } else {
            client_id.to_owned()
        }
    }

    /// Sleeps for the `latency_ms` fault of `username`, if any.
    pub(crate) async fn apply_latency(&self, username: &str) {
        let latency_ms = self.state.faults(username).latency_ms;
        if latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
        }
    }
}

/// Builds the simulator's router. `base_url` (`http://127.0.0.1:PORT`, no trailing
/// slash) is the address clients reach it at. It appears in discovery documents,
/// issuers, redirects and `error_uri` values.
pub fn router(state: SimState, base_url: String) -> Router {
    let app = App {
        state,
        base_url: Arc::from(base_url.trim_end_matches('/')),
    };

    identity::routes()
        .merge(graph::routes())
        .merge(control::routes())
        .with_state(app)
        .layer(middleware::from_fn(log_request))
}

/// Logs method, path and status of each request. The query string is left out because
/// it carries codes and state values.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();

    let response = next.run(request).await;

    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_millis();
    tracing::debug!(%method, %path, status, elapsed_ms, "request");
    response
}
