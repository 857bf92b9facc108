//! When each account is checked next: the configured interval with jitter,
//! exponential backoff after transient failures, `Retry-After` honoured, and
//! the access token refreshed ahead of its expiry.

use std::time::{Duration, SystemTime};

/// No wait is longer than this, so a wake from sleep is noticed within it.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// The access token is refreshed this long before it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Longest `Retry-After` honoured. A longer one, say from a broken proxy,
/// would stop the checks of an account for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// First retry delay after a transient failure; it doubles up to the interval.
pub const BACKOFF_BASE: Duration = Duration::from_secs(30);
/// A gap this much longer than the intended wait means the machine slept.
pub const WAKE_SLACK: Duration = Duration::from_secs(30);

/// The schedule of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub next_check: SystemTime,
    /// Consecutive transient failures, for backoff.
    pub failures: u32,
    /// The end of the server's last `Retry-After`; no check starts sooner,
    /// not even one the user asks for.
    pub not_before: Option<SystemTime>,
}

impl Schedule {
    /// Returns a schedule that is due at once.
    #[must_use]
    pub const fn due_at(now: SystemTime) -> Self {
        Self { next_check: now, failures: 0, not_before: None }
    }

    /// Makes the account due now, or when the server's `Retry-After` ends.
    pub fn make_due(&mut self, now: SystemTime) {
        self.next_check = self.not_before.map_or(now, |not_before| not_before.max(now));
    }

    #[must_use]
    pub fn is_due(&self, now: SystemTime) -> bool {
        self.next_check <= now
    }

    /// Plans the next check after a success or a state only a person can fix.
    pub fn after_settled(&mut self, now: SystemTime, interval: Duration, jitter: f64) {
        self.failures = 0;
        self.not_before = None;
        self.next_check = now + with_jitter(interval, jitter);
    }

    /// Plans a retry after a transient failure: exponential backoff capped at
    /// the interval, but never sooner than the server's `Retry-After`.
    pub fn after_transient(&mut self, now: SystemTime, interval: Duration, retry_after: Option<Duration>, jitter: f64) {
        let exponent = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let backoff = BACKOFF_BASE.saturating_mul(1 << exponent).min(interval);
        let retry_after = retry_after.map(|retry_after| retry_after.min(MAX_RETRY_AFTER));
        let wait = with_jitter(backoff, jitter).max(retry_after.unwrap_or_default());
        self.next_check = now + wait;
        self.not_before = retry_after.map(|retry_after| now + retry_after);
    }
}

/// Spreads a delay by up to ±10 % so many laptops do not check in lockstep.
/// `jitter` is a random number in `[0, 1)`.
#[must_use]
pub fn with_jitter(delay: Duration, jitter: f64) -> Duration {
    let factor = 0.9 + 0.2 * jitter.clamp(0.0, 1.0);
    delay.mul_f64(factor)
}

/// Returns how long to sleep before the earliest due time, capped at
/// [`MAX_WAIT`]. Without any due time (no account yet) it is [`MAX_WAIT`],
/// so an engine without accounts sleeps instead of spinning.
#[must_use]
pub fn wait_until(now: SystemTime, next: Option<SystemTime>) -> Duration {
    next.map_or(MAX_WAIT, |next| next.duration_since(now).unwrap_or(Duration::ZERO)).min(MAX_WAIT)
}

/// Returns true when more time passed than the engine slept, by a margin that
/// only a suspend (or a clock change) explains.
#[must_use]
pub fn woke_from_sleep(before: SystemTime, after: SystemTime, slept: Duration) -> bool {
    after.duration_since(before).is_ok_and(|elapsed| elapsed > slept + WAKE_SLACK)
}

/// Returns true when an access token expiring at `expires_at` must be refreshed now.
#[must_use]
pub fn needs_refresh(now: SystemTime, expires_at: SystemTime) -> bool {
    now + REFRESH_MARGIN >= expires_at
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(300);

    fn epoch() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn backoff_doubles_up_to_interval() {
        let mut schedule = Schedule::due_at(epoch());
        let mut waits = Vec::new();
        for _ in 0..6 {
            schedule.after_transient(epoch(), INTERVAL, None, 0.5);
            waits.push(schedule.next_check.duration_since(epoch()).expect("future").as_secs());
        }
        assert_eq!(waits, [30, 60, 120, 240, 300, 300]);
    }

    #[test]
    fn retry_after_wins_over_shorter_backoff() {
        let mut schedule = Schedule::due_at(epoch());
        schedule.after_transient(epoch(), INTERVAL, Some(Duration::from_secs(120)), 0.5);
        assert_eq!(schedule.next_check, epoch() + Duration::from_secs(120));
    }

    #[test]
    fn check_now_waits_for_retry_after() {
        let mut schedule = Schedule::due_at(epoch());
        schedule.after_transient(epoch(), INTERVAL, Some(Duration::from_secs(60)), 0.5);
        schedule.make_due(epoch() + Duration::from_secs(10));
        assert_eq!(schedule.next_check, epoch() + Duration::from_secs(60));
        schedule.make_due(epoch() + Duration::from_secs(70));
        assert_eq!(schedule.next_check, epoch() + Duration::from_secs(70));

        schedule.after_settled(epoch() + Duration::from_secs(70), INTERVAL, 0.5);
        schedule.make_due(epoch() + Duration::from_secs(80));
        assert_eq!(schedule.next_check, epoch() + Duration::from_secs(80), "a success ends the wait");
    }

    #[test]
    fn huge_retry_after_capped() {
        let mut schedule = Schedule::due_at(epoch());
        schedule.after_transient(epoch(), INTERVAL, Some(Duration::from_secs(u64::MAX)), 0.5);
        assert_eq!(schedule.next_check, epoch() + MAX_RETRY_AFTER);
        assert_eq!(schedule.not_before, Some(epoch() + MAX_RETRY_AFTER));
    }

    #[test]
    fn success_resets_backoff() {
        let mut schedule = Schedule::due_at(epoch());
        schedule.after_transient(epoch(), INTERVAL, None, 0.5);
        schedule.after_settled(epoch(), INTERVAL, 0.5);
        assert_eq!(schedule.failures, 0);
        assert_eq!(schedule.next_check, epoch() + INTERVAL);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        assert_eq!(with_jitter(INTERVAL, 0.0), Duration::from_secs(270));
        assert_eq!(with_jitter(INTERVAL, 1.0), Duration::from_secs(330));
    }

    #[test]
    fn waits_are_capped() {
        assert_eq!(wait_until(epoch(), Some(epoch() + Duration::from_secs(3600))), MAX_WAIT);
        assert_eq!(wait_until(epoch(), Some(epoch() - Duration::from_secs(5))), Duration::ZERO);
    }

    #[test]
    fn no_account_waits_longest() {
        assert_eq!(wait_until(epoch(), None), MAX_WAIT);
    }

    #[test]
    fn long_gap_means_wake_up() {
        let slept = Duration::from_secs(60);
        assert!(woke_from_sleep(epoch(), epoch() + Duration::from_secs(3600), slept));
        assert!(!woke_from_sleep(epoch(), epoch() + Duration::from_secs(61), slept));
    }
}
