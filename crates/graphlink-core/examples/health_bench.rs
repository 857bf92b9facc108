//! Health-engine benchmark against the simulator on loopback. Prints:
//! requests per check and checks per simulated day (simulated clock), the
//! real time from a wake-up or network signal to the correct state, and the
//! real time to check 100 accounts in one process.
//!
//! Run with `scripts/bench-engine.sh`, which builds in release mode first;
//! the method is described on docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use graphlink_core::accounts::AccountStore;
use graphlink_core::engine::clock::{Clock as _, SystemClock};
use graphlink_core::engine::{self, EngineEvent};
use graphlink_core::link::{ConnectOptions, Link};
use graphlink_core::state::LinkState;
use graphlink_core::token_store::TokenStore;
use graphlink_sim::UserSpec;
use support::gated_store::GatedStore;
use support::harness::{Harness, sim_browser};

const INTERVAL: Duration = Duration::from_secs(300);
const DAY: Duration = Duration::from_secs(24 * 3600);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    requests_per_check().await;
    time_to_correct_state().await;
    many_accounts(100).await;
}

async fn requests_per_check() {
    let harness = Harness::start(INTERVAL).await;
    let before = harness.state.user_stats(&harness.user.username);
    let engine = engine::spawn(Arc::clone(&harness.link), Arc::new(harness.clock.clone()));
    let mut events = engine.subscribe();
    let started = harness.clock.now();
    let mut checks = 0u64;
    for hour in 1..=24 {
        harness.clock.advance_until(started + DAY / 24 * hour).await;
        while let Ok(event) = events.try_recv() {
            if matches!(event, EngineEvent::Status(_)) {
                checks += 1;
            }
        }
    }
    drop(engine);
    let after = harness.state.user_stats(&harness.user.username);
    let graph = after.graph_requests - before.graph_requests;
    let token = after.token_requests - before.token_requests;
    println!("checks per simulated day: {checks} (interval {} s with ±10 % jitter)", INTERVAL.as_secs());
    println!("Graph requests per check: {:.3}", graph as f64 / checks as f64);
    println!("token requests per check: {:.3} ({token} refreshes in the day)", token as f64 / checks as f64);
    println!("HTTP round trips per check: {:.3}", (graph + token) as f64 / checks as f64);
}

async fn time_to_correct_state() {
    let mut harness = Harness::start(INTERVAL).await;
    let engine = engine::spawn(Arc::clone(&harness.link), Arc::new(SystemClock));
    let mut events = engine.subscribe();
    wait_for(&mut events, LinkState::Connected).await;

    // A resume signal: the check runs at once instead of at the next interval.
    let started = Instant::now();
    engine.check_now();
    wait_for(&mut events, LinkState::Connected).await;
    println!("resume signal to checked state: {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);

    harness.stop_sim().await;
    engine.check_now();
    wait_for(&mut events, LinkState::Offline).await;
    harness.restart_sim().await;
    let started = Instant::now();
    engine.check_now();
    wait_for(&mut events, LinkState::Connected).await;
    println!("network signal to connected: {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);

    // Without any OS signal, the first offline retry comes 4 s (±10 %) later.
    harness.stop_sim().await;
    engine.check_now();
    wait_for(&mut events, LinkState::Offline).await;
    harness.restart_sim().await;
    let started = Instant::now();
    wait_for(&mut events, LinkState::Connected).await;
    println!("network return to connected without a signal: {:.2} s", started.elapsed().as_secs_f64());
    drop(engine);
}

async fn wait_for(events: &mut tokio::sync::broadcast::Receiver<EngineEvent>, state: LinkState) {
    tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            if let Ok(EngineEvent::Status(status)) = events.recv().await
                && status.state == state
            {
                return;
            }
        }
    })
    .await
    .expect("state reached within two minutes");
}

async fn many_accounts(count: usize) {
    let harness = Harness::start(INTERVAL).await;
    let tokens = TokenStore::with_store("graphlink", Duration::from_secs(5), GatedStore::new().as_store());
    let accounts = AccountStore::new(harness.dir.path().join("many.json"));
    let link = Link::new(harness.config.clone(), tokens, accounts).expect("link");

    let linking = Instant::now();
    for index in 0..count {
        let user = harness.state.add_user(UserSpec {
            username: format!("rep{index:03}@contoso.example"),
            display_name: format!("Rep {index}"),
            password: "bench-password".into(),
            tenant_id: None,
        });
        let options = ConnectOptions { browser: Some(sim_browser(&user)), ..ConnectOptions::default() };
        let status = link.connect(&options, |_, _| {}).await.expect("linked");
        assert_eq!(status.state, LinkState::Connected);
    }
    let linked = linking.elapsed();

    let before = harness.state.stats();
    let started = Instant::now();
    let statuses = link.check_all().await.expect("accounts");
    let elapsed = started.elapsed();
    let after = harness.state.stats();
    let connected = statuses.iter().filter(|status| status.state == LinkState::Connected).count();
    println!("{count} accounts linked through the browser flow in {:.2} s", linked.as_secs_f64());
    println!(
        "{count} accounts checked (refresh + batch each) in {:.3} s: {connected} connected, {} token and {} Graph requests",
        elapsed.as_secs_f64(),
        after.token_requests - before.token_requests,
        after.graph_requests - before.graph_requests,
    );
}
