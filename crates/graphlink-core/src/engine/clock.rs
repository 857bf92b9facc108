//! Wall-clock time and sleeping, injected so the engine runs in simulated
//! time under test.
//!
//! Expiry and schedules use the wall clock (`SystemTime`) because a monotonic
//! `Instant` stops while a Linux laptop is suspended, which would leave a
//! stale "connected" after a long sleep.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A boxed future returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The source of time for the engine.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Returns the current wall-clock time.
    fn now(&self) -> SystemTime;
    /// Returns a future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A simulated clock for tests, driven by the test: sleepers wait until the
/// test advances time past their deadline. [`SimulatedClock::advance_until`]
/// wakes them one deadline at a time and waits for the engine to sleep again
/// in between, so days of schedule run in milliseconds and deterministically.
/// [`SimulatedClock::jump`] moves time without waking anyone, as a suspended
/// laptop experiences it.
#[derive(Debug, Clone)]
pub struct SimulatedClock {
    inner: Arc<Mutex<Simulated>>,
    registered: Arc<tokio::sync::Notify>,
}

#[derive(Debug)]
struct Simulated {
    now: SystemTime,
    sleepers: Vec<(SystemTime, tokio::sync::oneshot::Sender<()>)>,
}

/// How long `advance_until` waits for the engine to go back to sleep.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

impl SimulatedClock {
    #[must_use]
    pub fn new(start: SystemTime) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Simulated { now: start, sleepers: Vec::new() })),
            registered: Arc::new(tokio::sync::Notify::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Simulated> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves time forward by `duration` without waking any sleeper.
    pub fn jump(&self, duration: Duration) {
        self.lock().now += duration;
    }

    /// Advances time to `until`, waking each sleeper at its deadline and
    /// waiting for a sleeper to register again before going on.
    ///
    /// # Panics
    ///
    /// Panics when nothing sleeps on the clock for [`IDLE_TIMEOUT`], which
    /// means the engine stopped or hangs.
    pub async fn advance_until(&self, until: SystemTime) {
        loop {
            self.wait_for_sleeper().await;
            let mut inner = self.lock();
            inner.sleepers.retain(|(_, sender)| !sender.is_closed());
            let next = inner.sleepers.iter().map(|(deadline, _)| *deadline).min();
            match next {
                Some(deadline) if deadline <= until => {
                    inner.now = inner.now.max(deadline);
                    let now = inner.now;
                    let (due, waiting): (Vec<_>, Vec<_>) = inner.sleepers.drain(..).partition(|(deadline, _)| *deadline <= now);
                    inner.sleepers = waiting;
                    drop(inner);
                    for (_, sender) in due {
                        let _ = sender.send(());
                    }
                }
                _ => {
                    inner.now = inner.now.max(until);
                    return;
                }
            }
        }
    }

    async fn wait_for_sleeper(&self) {
        let deadline = tokio::time::Instant::now() + IDLE_TIMEOUT;
        loop {
            let notified = self.registered.notified();
            if self.lock().sleepers.iter().any(|(_, sender)| !sender.is_closed()) {
                return;
            }
            assert!(tokio::time::timeout_at(deadline, notified).await.is_ok(), "nothing slept on the simulated clock for {IDLE_TIMEOUT:?}");
        }
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> SystemTime {
        self.lock().now
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        {
            let mut inner = self.lock();
            let deadline = inner.now + duration;
            inner.sleepers.push((deadline, sender));
        }
        self.registered.notify_waiters();
        Box::pin(async move {
            let _ = receiver.await;
        })
    }
}
