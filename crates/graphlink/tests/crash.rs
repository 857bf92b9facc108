//! Crash safety: `graphlink status` refreshes and rotates the refresh token,
//! and is killed with SIGKILL at a random moment of that work, again and
//! again. After every kill the link must be intact: the keyring contains a
//! refresh token the simulator accepts, and the next `status` is connected.
//!
//! `GRAPHLINK_CRASH_KILLS` sets the number of kills (default 10);
//! `scripts/crash-test.sh` runs 100.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use common::{TestEnv, describe};
use graphlink_sim::Faults;

/// Delay the simulator adds to every token and Graph response, so a kill
/// can land while a request is in flight.
const LATENCY_MS: u64 = 300;

/// A small xorshift generator: kill points need spread, not quality.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

/// Redeems `refresh_token` at the simulator's token endpoint, as Entra
/// would be asked, and returns whether it was accepted.
async fn simulator_accepts(env: &TestEnv, refresh_token: &str) -> bool {
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", graphlink_sim::DEMO_CLIENT_ID),
        ("refresh_token", refresh_token),
        ("scope", "openid profile offline_access User.Read"),
    ];
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .post(format!("{}/organizations/oauth2/v2.0/token", env.base_url()))
        .form(&form)
        .send()
        .await
        .expect("the simulator answers");
    response.status().is_success()
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_refresh_keeps_link() {
    let kills: u32 = std::env::var("GRAPHLINK_CRASH_KILLS").ok().and_then(|value| value.parse().ok()).unwrap_or(10);
    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("clock").as_nanos() as u64 | 1;
    let mut random = Random(seed);
    let env = TestEnv::start().await;
    let runtime = env.dir.path().join("runtime");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    let output = env.connect().await;
    assert!(output.status.success(), "{}", describe(&output));
    env.state.set_faults(&env.user.username, Faults { latency_ms: LATENCY_MS, ..Faults::default() });

    // An undisturbed run sets the range of kill points.
    let started = Instant::now();
    let (code, document) = env.status().await;
    assert_eq!(code, 0, "{document}");
    let full_run = started.elapsed();

    let mut killed_while_running = 0;
    let mut killed_after_rotation = 0;
    for kill in 1..=kills {
        let rotations_before = env.state.user_stats(&env.user.username).tokens_issued;
        let delay = Duration::from_millis(random.below(full_run.as_millis() as u64 + 100));
        let mut child = env
            .command(&["status", "--json"])
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("graphlink starts");
        tokio::time::sleep(delay).await;
        let running = child.try_wait().expect("try_wait").is_none();
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        if running {
            killed_while_running += 1;
        }
        let rotated = env.state.user_stats(&env.user.username).tokens_issued > rotations_before;
        if running && rotated {
            killed_after_rotation += 1;
        }

        let context = format!("kill {kill} of {kills} after {delay:?} (seed {seed}, {}, token {})", if running { "while running" } else { "after exit" }, if rotated { "rotated" } else { "not rotated" });
        let stored = env.keyring_secret().unwrap_or_else(|| panic!("{context}: the keyring lost the refresh token"));
        assert!(simulator_accepts(&env, &stored).await, "{context}: the simulator rejects the stored refresh token");
        let (code, document) = env.status().await;
        assert_eq!(code, 0, "{context}: the next status is not connected: {document}");
        assert_eq!(TestEnv::only_account(&document)["state"], "connected", "{context}");
    }

    eprintln!(
        "crash test: {kills} kills, {killed_while_running} while graphlink was running, {killed_after_rotation} of them after the simulator rotated the token; an undisturbed status took {full_run:?}; seed {seed}"
    );
    assert!(killed_while_running * 2 >= kills, "too few kills landed mid-run ({killed_while_running} of {kills}): the kill points miss the refresh");
}
