//! Device code polling against the simulator in simulated time: the poll
//! loop's sleep advances the simulator's clock instead of waiting, so the
//! requested intervals are exact and a 15-minute expiry takes no time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use graphlink_core::oauth::TokenClient;
use graphlink_core::oauth::device::{self, DeviceAuthorization, DeviceError};
use graphlink_sim::{Faults, SimHandle, SimState, SimUser, UserSpec};
use url::Url;

const SCOPES: &str = "openid profile offline_access User.Read Mail.Read Calendars.Read";

struct Bed {
    sim: SimHandle,
    state: SimState,
    user: SimUser,
    /// Milliseconds the simulated clock is ahead of its start.
    offset_ms: Arc<AtomicU64>,
    http: reqwest::Client,
}

impl Bed {
    async fn start() -> Self {
        let state = SimState::new();
        let user = state.add_user(UserSpec { username: "adele.vance@contoso.example".into(), ..UserSpec::default() });
        let offset_ms = Arc::new(AtomicU64::new(0));
        let start = SystemTime::now();
        let offset = Arc::clone(&offset_ms);
        state.set_clock(Arc::new(move || start + Duration::from_millis(offset.load(Ordering::SeqCst))));
        let sim = graphlink_sim::serve(state.clone(), SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("simulator starts");
        Self { sim, state, user, offset_ms, http: graphlink_core::http::client().expect("client") }
    }

    fn endpoint(&self, path: &str) -> Url {
        Url::parse(&format!("{}/organizations/oauth2/v2.0/{path}", self.sim.base_url())).expect("url")
    }

    async fn request_code(&self) -> DeviceAuthorization {
        device::request_code(&self.client(), &self.endpoint("devicecode"), SCOPES).await.expect("device code")
    }

    fn client(&self) -> TokenClient {
        TokenClient::new(self.http.clone(), self.endpoint("token"), graphlink_sim::DEMO_CLIENT_ID.to_owned())
    }

    fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(u64::try_from(by.as_millis()).expect("small"), Ordering::SeqCst);
    }

    /// Signs in on the device page with the scripted browser, pressing `choices`.
    fn sign_in_on_device(&self, authorization: &DeviceAuthorization, choices: &str) {
        let output = std::process::Command::new(sim_browser())
            .arg(&authorization.verification_uri)
            .env("SIM_BROWSER_USER", &self.user.username)
            .env("SIM_BROWSER_PASSWORD", &self.user.password)
            .env("SIM_BROWSER_CODE", &authorization.user_code)
            .env("SIM_BROWSER_CHOICES", choices)
            .output()
            .expect("sim-browser runs");
        assert!(output.status.code().is_some(), "sim-browser was killed");
    }
}

/// Returns the scripted browser, built into the same target directory.
fn sim_browser() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe.parent().and_then(|deps| deps.parent()).expect("target dir").join("sim-browser");
    assert!(path.exists(), "{} is missing: run `cargo build --workspace --bins` first (make test does)", path.display());
    path
}

/// Polls with a sleep that records each wait and advances the simulated
/// clock. `on_wait(n, requested)` returns how far to advance on wait `n`
/// (from 1), and may act meanwhile, e.g. sign in.
async fn poll_with(
    bed: &Bed,
    authorization: &DeviceAuthorization,
    mut on_wait: impl FnMut(usize, Duration) -> Duration,
) -> (Result<graphlink_core::oauth::TokenResponse, DeviceError>, Vec<Duration>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&waits);
    let sleep = |requested: Duration| {
        let mut waits = recorded.lock().expect("lock");
        waits.push(requested);
        let advance = on_wait(waits.len(), requested);
        bed.advance(advance);
        std::future::ready(())
    };
    let result = device::poll(&bed.client(), authorization, sleep).await;
    let waits = waits.lock().expect("lock").clone();
    (result, waits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_down_adds_five_seconds() {
    let bed = Bed::start().await;
    let authorization = bed.request_code().await;
    assert_eq!(authorization.interval, Duration::from_secs(5));

    let (result, waits) = poll_with(&bed, &authorization, |wait, requested| match wait {
        // Poll again after one second only, so the simulator returns slow_down.
        2 => Duration::from_secs(1),
        3 => {
            bed.sign_in_on_device(&authorization, "signin,approve,accept");
            requested
        }
        _ => requested,
    })
    .await;

    let tokens = result.expect("signed in");
    assert!(tokens.refresh_token.is_some());
    assert_eq!(waits, [Duration::from_secs(5), Duration::from_secs(5), Duration::from_secs(10)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_until_expired() {
    let bed = Bed::start().await;
    let authorization = bed.request_code().await;

    let (result, waits) = poll_with(&bed, &authorization, |_, requested| requested).await;

    assert!(matches!(result, Err(DeviceError::Expired)), "{result:?}");
    assert!(waits.iter().all(|wait| *wait == Duration::from_secs(5)), "{waits:?}");
    let waited: Duration = waits.iter().sum();
    assert_eq!(waited, authorization.expires_in, "polling stops once the code's lifetime has passed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_stops_polling() {
    let bed = Bed::start().await;
    let authorization = bed.request_code().await;

    let (result, waits) = poll_with(&bed, &authorization, |wait, requested| {
        if wait == 1 {
            bed.sign_in_on_device(&authorization, "signin,approve,decline");
        }
        requested
    })
    .await;

    assert!(matches!(result, Err(DeviceError::Declined)), "{result:?}");
    assert_eq!(waits.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_block_recognised() {
    let bed = Bed::start().await;
    bed.state.set_faults(&bed.user.username, Faults { device_code_blocked: true, ..Faults::default() });
    let authorization = bed.request_code().await;

    let (result, _) = poll_with(&bed, &authorization, |wait, requested| {
        if wait == 1 {
            bed.sign_in_on_device(&authorization, "signin,approve,accept");
        }
        requested
    })
    .await;

    match result {
        Err(DeviceError::BlockedByPolicy(body)) => {
            assert_eq!(body.aadsts(), Some(53003));
            assert!(body.correlation_id.is_some(), "{body:?}");
        }
        other => panic!("expected a policy block, got {other:?}"),
    }
}
