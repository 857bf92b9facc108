//! A simulated week of a laptop's life: nightly offline periods, Microsoft
//! incidents, throttling, sleeps, keyring locks and one real revocation. The
//! engine must never ask for a reconnect that is not needed, never send a
//! burst of notifications, and notice the revocation within a check interval.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use graphlink_core::engine::clock::Clock as _;
use graphlink_core::engine::{self, EngineEvent};
use graphlink_core::state::LinkState;
use graphlink_sim::{Capability, Faults, GraphFault, TokenFault};
use support::harness::Harness;

const INTERVAL: Duration = Duration::from_secs(300);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// A disruption of the week, with its simulated start and length.
#[derive(Debug, Clone, Copy)]
enum Disruption {
    Offline,
    TokenOutage,
    GraphOutage,
    Throttled,
    Sleep,
    KeyringLocked,
}

#[derive(Debug, Clone, Copy)]
struct Planned {
    start: Duration,
    length: Duration,
    kind: Disruption,
}

/// Plans random disruptions for six days; the seventh has the revocation.
fn plan(seed: u64) -> Vec<Planned> {
    let mut random = fastrand::Rng::with_seed(seed);
    let mut planned = Vec::new();
    for day in 0..6u32 {
        let base = DAY * day;
        // Nightly: off the VPN or the network for one to eight hours.
        planned.push(Planned { start: base + HOUR * 20 + MINUTE * random.u32(0..60), length: HOUR * random.u32(1..=8), kind: Disruption::Offline });
        let kinds = [Disruption::TokenOutage, Disruption::GraphOutage, Disruption::Throttled, Disruption::Sleep, Disruption::KeyringLocked];
        for _ in 0..3 {
            let kind = kinds[random.usize(..kinds.len())];
            let length = match kind {
                Disruption::Sleep => HOUR * random.u32(1..=6),
                _ => MINUTE * random.u32(5..=40),
            };
            planned.push(Planned { start: base + HOUR * random.u32(1..18), length, kind });
        }
    }
    planned.sort_by_key(|planned| planned.start);
    // One disruption at a time keeps the expectations simple to state.
    let mut sequential: Vec<Planned> = Vec::new();
    for item in planned {
        if sequential.last().is_none_or(|last| last.start + last.length + HOUR <= item.start) {
            sequential.push(item);
        }
    }
    sequential
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_week_never_cries_wolf() {
    let mut harness = Harness::start(INTERVAL).await;
    let start = harness.clock.now();
    let engine = engine::spawn(Arc::clone(&harness.link), Arc::new(harness.clock.clone()));
    let mut events = engine.subscribe();
    let username = harness.user.username.clone();

    let mut seen: Vec<(SystemTime, EngineEvent)> = Vec::new();
    let mut windows: Vec<(SystemTime, SystemTime, Disruption)> = Vec::new();
    for planned in plan(7) {
        wait_until(&harness, &mut events, &mut seen, start + planned.start).await;
        let began = harness.clock.now();
        match planned.kind {
            Disruption::Offline => harness.stop_sim().await,
            Disruption::TokenOutage => harness.state.set_faults(&username, Faults { token_error: Some(TokenFault::ServerError { status: 503 }), ..Faults::default() }),
            Disruption::GraphOutage => harness.state.set_faults(&username, Faults { graph_outage: Some(503), ..Faults::default() }),
            Disruption::Throttled => harness.state.set_faults(&username, Faults {
                graph_errors: vec![GraphFault { capability: Capability::Calendar, status: 429, code: "TooManyRequests".into(), retry_after_secs: Some(30) }],
                ..Faults::default()
            }),
            Disruption::Sleep => harness.clock.jump(planned.length),
            Disruption::KeyringLocked => harness.keyring.set_locked(true),
        }
        wait_until(&harness, &mut events, &mut seen, began + planned.length).await;
        match planned.kind {
            Disruption::Offline => harness.restart_sim().await,
            Disruption::KeyringLocked => harness.keyring.set_locked(false),
            Disruption::Sleep => {}
            _ => harness.state.set_faults(&username, Faults::default()),
        }
        windows.push((began, harness.clock.now(), planned.kind));
    }

    // Day seven: an administrator resets the password.
    wait_until(&harness, &mut events, &mut seen, start + 6 * DAY + 10 * HOUR).await;
    let before_revocation = seen.clone();
    let revoked = harness.clock.now();
    harness.state.revoke(&username);
    wait_until(&harness, &mut events, &mut seen, start + 7 * DAY).await;
    drop(engine);

    let statuses: Vec<(SystemTime, LinkState)> = seen.iter().filter_map(|(at, event)| match event {
        EngineEvent::Status(status) => Some((*at, status.state)),
        _ => None,
    }).collect();
    let false_alarms: Vec<_> = before_revocation.iter().filter_map(|(at, event)| match event {
        EngineEvent::Status(status) if matches!(status.state, LinkState::ReconnectNeeded | LinkState::AdminNeeded) => Some((*at, status.state, status.message.clone())),
        _ => None,
    }).collect();
    assert!(false_alarms.is_empty(), "false alarms: {false_alarms:?}\ndisruptions: {windows:?}");

    let last_before = before_revocation.iter().rev().find_map(|(_, event)| match event {
        EngineEvent::Status(status) => Some(status.state),
        _ => None,
    });
    assert_eq!(last_before, Some(LinkState::Connected), "the link is intact after every disruption");

    let detected = statuses.iter().find(|(at, state)| *at >= revoked && *state == LinkState::ReconnectNeeded).expect("revocation detected");
    assert!(detected.0.duration_since(revoked).expect("after") <= INTERVAL.mul_f64(1.1), "detected after {:?}", detected.0.duration_since(revoked));

    let notified: Vec<SystemTime> = seen.iter().filter_map(|(at, event)| matches!(event, EngineEvent::Notify(_)).then_some(*at)).collect();
    for window in notified.windows(3) {
        assert!(window[2].duration_since(window[0]).expect("ordered") >= HOUR, "three notifications within an hour: {notified:?}");
    }
    let keyring_locks = windows.iter().filter(|(_, _, kind)| matches!(kind, Disruption::KeyringLocked)).count();
    // Each lock may notify once and restore once; the revocation notifies and reminds.
    assert!(notified.len() <= 2 * keyring_locks + 6, "{} notifications: {notified:?}", notified.len());
}

async fn wait_until(
    harness: &Harness,
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    seen: &mut Vec<(SystemTime, EngineEvent)>,
    until: SystemTime,
) {
    while harness.clock.now() < until {
        let step = (harness.clock.now() + MINUTE).min(until);
        harness.clock.advance_until(step).await;
        loop {
            match events.try_recv() {
                Ok(event) => seen.push((harness.clock.now(), event)),
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(count)) => panic!("lost {count} events"),
                Err(_) => break,
            }
        }
    }
}
