//! The health engine in simulated time against the simulator.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use graphlink_core::engine::clock::Clock as _;
use graphlink_core::engine::policy::NotificationKind;
use graphlink_core::engine::{self, EngineEvent, EngineHandle};
use graphlink_core::state::LinkState;
use graphlink_core::link::ConnectOptions;
use graphlink_sim::Faults;
use support::harness::{Harness, sim_browser};
use tokio::sync::broadcast;

const INTERVAL: Duration = Duration::from_secs(300);
const HOUR: Duration = Duration::from_secs(3600);

/// An observed event with the simulated time at which it was received.
#[derive(Debug, Clone)]
struct Seen {
    at: SystemTime,
    event: EngineEvent,
}

fn start_engine(harness: &Harness) -> (EngineHandle, broadcast::Receiver<EngineEvent>) {
    let handle = engine::spawn(Arc::clone(&harness.link), Arc::new(harness.clock.clone()));
    let events = handle.subscribe();
    (handle, events)
}

/// Advances the simulated clock to `until` a minute at a time, collecting
/// events with the minute in which they happened.
async fn run_until(harness: &Harness, events: &mut broadcast::Receiver<EngineEvent>, until: SystemTime, seen: &mut Vec<Seen>) {
    while harness.clock.now() < until {
        let step = (harness.clock.now() + Duration::from_secs(60)).min(until);
        harness.clock.advance_until(step).await;
        drain(harness, events, seen);
    }
}

fn drain(harness: &Harness, events: &mut broadcast::Receiver<EngineEvent>, seen: &mut Vec<Seen>) {
    loop {
        match events.try_recv() {
            Ok(event) => seen.push(Seen { at: harness.clock.now(), event }),
            Err(broadcast::error::TryRecvError::Lagged(count)) => panic!("lost {count} events"),
            Err(_) => return,
        }
    }
}

fn states(seen: &[Seen]) -> Vec<(SystemTime, LinkState)> {
    seen.iter()
        .filter_map(|seen| match &seen.event {
            EngineEvent::Status(status) => Some((seen.at, status.state)),
            _ => None,
        })
        .collect()
}

fn notifications(seen: &[Seen]) -> Vec<(SystemTime, NotificationKind, LinkState)> {
    seen.iter()
        .filter_map(|seen| match &seen.event {
            EngineEvent::Notify(notification) => Some((seen.at, notification.kind, notification.state)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_costs_one_round_trip() {
    let harness = Harness::start(INTERVAL).await;
    let before = harness.state.user_stats(&harness.user.username);
    let (engine, mut events) = start_engine(&harness);
    let mut seen = Vec::new();
    run_until(&harness, &mut events, harness.clock.now() + 12 * HOUR, &mut seen).await;
    drop(engine);

    let after = harness.state.user_stats(&harness.user.username);
    let checks = states(&seen).len() as u64;
    let batches = after.graph_requests - before.graph_requests;
    let refreshes = after.token_requests - before.token_requests;
    assert!(checks >= 12 * 12 * 9 / 10, "about one check per five minutes, got {checks}");
    assert!(states(&seen).iter().all(|(_, state)| *state == LinkState::Connected), "{:?}", states(&seen));
    assert_eq!(batches, checks, "every check is exactly one Graph request");
    assert!(refreshes <= 12 + 2, "a refresh only when the access token is near expiry, got {refreshes}");
    assert!(refreshes >= 10, "the access token was refreshed ahead of expiry, got {refreshes}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wake_from_sleep_checks_at_once() {
    let harness = Harness::start(INTERVAL).await;
    let (engine, mut events) = start_engine(&harness);
    let mut seen = Vec::new();
    run_until(&harness, &mut events, harness.clock.now() + HOUR, &mut seen).await;

    // The laptop sleeps for ten hours, long past the access token's expiry.
    harness.clock.jump(10 * HOUR);
    let woke = harness.clock.now();
    run_until(&harness, &mut events, woke + Duration::from_secs(120), &mut seen).await;
    drop(engine);

    let after_wake: Vec<_> = states(&seen).into_iter().filter(|(at, _)| *at >= woke).collect();
    let (first_at, first_state) = after_wake.first().copied().expect("a check after wake-up");
    assert_eq!(first_state, LinkState::Connected);
    assert!(first_at.duration_since(woke).expect("after") <= Duration::from_secs(60), "checked within a minute of waking");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_then_back_within_seconds() {
    let mut harness = Harness::start(INTERVAL).await;
    let (engine, mut events) = start_engine(&harness);
    let mut seen = Vec::new();
    run_until(&harness, &mut events, harness.clock.now() + HOUR, &mut seen).await;

    harness.stop_sim().await;
    run_until(&harness, &mut events, harness.clock.now() + 12 * HOUR, &mut seen).await;
    assert!(states(&seen).iter().any(|(_, state)| *state == LinkState::Offline));
    assert!(notifications(&seen).is_empty(), "offline for twelve hours notifies nobody: {:?}", notifications(&seen));

    harness.restart_sim().await;
    let back = harness.clock.now();
    run_until(&harness, &mut events, back + Duration::from_secs(120), &mut seen).await;
    drop(engine);

    let last = states(&seen).last().copied().expect("states");
    assert_eq!(last.1, LinkState::Connected);
    let reconnected = states(&seen).into_iter().find(|(at, state)| *at >= back && *state == LinkState::Connected).expect("connected again");
    assert!(reconnected.0.duration_since(back).expect("after") <= OFFLINE_RETRY_MAX, "offline retries are at most 30 s apart");
    assert!(harness.link.account_store().load().expect("accounts").len() == 1);
}

/// The engine's longest offline retry wait, 30 s, plus 10 % jitter and a minute step of the test.
const OFFLINE_RETRY_MAX: Duration = Duration::from_secs(33 + 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_detected_within_interval() {
    let harness = Harness::start(INTERVAL).await;
    let (engine, mut events) = start_engine(&harness);
    let mut seen = Vec::new();
    run_until(&harness, &mut events, harness.clock.now() + 2 * HOUR, &mut seen).await;

    let revoked = harness.clock.now();
    harness.state.revoke(&harness.user.username);
    run_until(&harness, &mut events, revoked + 2 * INTERVAL, &mut seen).await;
    drop(engine);

    let detected = states(&seen).into_iter().find(|(at, state)| *at >= revoked && *state == LinkState::ReconnectNeeded).expect("revocation detected");
    assert!(detected.0.duration_since(revoked).expect("after") <= INTERVAL.mul_f64(1.1), "within one check interval plus jitter");
    let sent = notifications(&seen);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].1, NotificationKind::ActionNeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_says_when_the_next_check_runs() {
    let harness = Harness::start(INTERVAL).await;
    let (engine, mut events) = start_engine(&harness);
    let mut seen = Vec::new();
    run_until(&harness, &mut events, harness.clock.now() + HOUR, &mut seen).await;

    let planned: Vec<(SystemTime, SystemTime)> = seen
        .iter()
        .filter_map(|seen| match &seen.event {
            EngineEvent::Status(status) => Some((seen.at, SystemTime::from(status.next_check.expect("a planned check")))),
            _ => None,
        })
        .collect();
    assert!(planned.len() >= 10, "{planned:?}");
    for (at, next) in &planned {
        let wait = next.duration_since(*at).expect("the next check is in the future");
        assert!(wait >= INTERVAL.mul_f64(0.9) - Duration::from_secs(60), "wait {wait:?}");
        assert!(wait <= INTERVAL.mul_f64(1.1), "wait {wait:?}");
    }
    // Each planned time is when the next check happened, to the minute the clock advances by.
    for pair in planned.windows(2) {
        let (_, next) = pair[0];
        let (happened, _) = pair[1];
        assert!(happened >= next, "{pair:?}");
        assert!(happened.duration_since(next).expect("after") <= Duration::from_secs(60), "{pair:?}");
    }
    let published = engine.statuses();
    assert_eq!(published[0].next_check.map(SystemTime::from), planned.last().map(|(_, next)| *next));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_reconnect_turns_to_admin_needed() {
    let harness = Harness::start(INTERVAL).await;
    let username = harness.user.username.clone();
    let (engine, mut events) = start_engine(&harness);
    let mut seen = Vec::new();
    run_until(&harness, &mut events, harness.clock.now() + Duration::from_secs(120), &mut seen).await;

    // IT withdraws the grant and blocks user consent; Graph's challenge forces a refresh.
    harness.state.clear_consent(&username);
    harness.state.set_faults(&username, Faults { consent_disabled: true, cae_challenge: true, ..Faults::default() });
    engine.check_now();
    run_until(&harness, &mut events, harness.clock.now() + Duration::from_secs(120), &mut seen).await;
    assert_eq!(states(&seen).last().map(|(_, state)| *state), Some(LinkState::ReconnectNeeded));

    // The rep reconnects and meets "Need admin approval".
    let record = harness.link.find_account(&username).expect("accounts").expect("linked");
    let options = ConnectOptions { browser: Some(sim_browser(&harness.user)), timeout: Duration::from_secs(30), ..ConnectOptions::default() };
    let failure = harness.link.reconnect(&record, &options, |_, _| {}).await.expect_err("the tenant blocks consent");
    assert_eq!(failure.state, LinkState::AdminNeeded);
    engine.reload();
    run_until(&harness, &mut events, harness.clock.now() + Duration::from_secs(120), &mut seen).await;
    drop(engine);

    assert_eq!(states(&seen).last().map(|(_, state)| *state), Some(LinkState::AdminNeeded), "{:?}", states(&seen));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_now_waits_for_retry_after_but_answers() {
    use graphlink_sim::{Capability, GraphFault};
    let harness = Harness::start(INTERVAL).await;
    let (engine, mut events) = start_engine(&harness);
    let mut seen = Vec::new();
    run_until(&harness, &mut events, harness.clock.now() + Duration::from_secs(60), &mut seen).await;

    let throttled = GraphFault { capability: Capability::Mail, status: 429, code: "TooManyRequests".into(), retry_after_secs: Some(600) };
    harness.state.set_faults(&harness.user.username, Faults { graph_errors: vec![throttled], ..Faults::default() });
    engine.check_now();
    run_until(&harness, &mut events, harness.clock.now() + Duration::from_secs(60), &mut seen).await;
    let throttled_at = harness.clock.now();
    let requests = harness.state.user_stats(&harness.user.username).graph_requests;

    // Check now within the Retry-After sends nothing, and still replies at once, without the clock moving.
    while events.try_recv().is_ok() {}
    engine.check_now();
    let answer = loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Ok(EngineEvent::Status(status))) => break status,
            Ok(Ok(_)) => {}
            other => panic!("Check now got no answer: {other:?}"),
        }
    };
    run_until(&harness, &mut events, harness.clock.now() + Duration::from_secs(60), &mut seen).await;
    drop(engine);
    assert_eq!(harness.state.user_stats(&harness.user.username).graph_requests, requests, "a check ran within Retry-After");
    assert_eq!(answer.state, LinkState::Degraded, "{}", answer.message);
    let next = SystemTime::from(answer.next_check.expect("a planned check"));
    assert!(next >= throttled_at + Duration::from_secs(500), "the next check honours Retry-After: {next:?}");
}
