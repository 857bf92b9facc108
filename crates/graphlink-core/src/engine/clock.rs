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

/// A simulated clock: sleeping advances time at once, so a test can run days
/// of schedule in milliseconds. `jump` moves time without a sleep, as a
/// suspended laptop sees it on wake-up.
#[derive(Debug, Clone)]
pub struct SimulatedClock {
    now: Arc<Mutex<SystemTime>>,
}

impl SimulatedClock {
    #[must_use]
    pub fn new(start: SystemTime) -> Self {
        Self { now: Arc::new(Mutex::new(start)) }
    }

    /// Moves time forward by `duration` without any sleeper noticing.
    pub fn jump(&self, duration: Duration) {
        let mut now = self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += duration;
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.jump(duration);
        // Yield so other tasks run, as they would during a real sleep.
        Box::pin(tokio::task::yield_now())
    }
}
