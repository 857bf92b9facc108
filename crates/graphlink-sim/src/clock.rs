//! The simulator's clock and the timestamp formats Entra ID and Graph use.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::macros::format_description;

/// A source of the current time. Tests replace the system clock with a simulated one
/// through [`crate::SimState::set_clock`].
#[derive(Clone)]
pub(crate) struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    pub(crate) fn new(now: Arc<dyn Fn() -> SystemTime + Send + Sync>) -> Self {
        Self(now)
    }

    pub(crate) fn system() -> Self {
        Self(Arc::new(SystemTime::now))
    }

    pub(crate) fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Returns the seconds since the Unix epoch at `time`, or 0 before the epoch.
pub(crate) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn to_datetime(unix: u64) -> OffsetDateTime {
    i64::try_from(unix)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Formats Entra's error timestamp, `2026-12-04 13:56:27Z`.
pub(crate) fn sts_timestamp(unix: u64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    to_datetime(unix).format(format).unwrap_or_default()
}

/// Formats Graph's `innerError.date`, `2026-12-04T13:56:26`.
pub(crate) fn graph_date(unix: u64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    to_datetime(unix).format(format).unwrap_or_default()
}

/// Formats ISO 8601 with seven fractional digits, as Entra writes dates inside
/// messages (`2026-12-04T13:56:27.0000000Z`).
pub(crate) fn sts_message_date(unix: u64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].0000000Z");
    to_datetime(unix).format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_entra_and_graph() {
        let unix = 1_796_392_587; // 2026-12-04 13:56:27 UTC

        assert_eq!(sts_timestamp(unix), "2026-12-04 13:56:27Z");
        assert_eq!(graph_date(unix), "2026-12-04T13:56:27");
        assert_eq!(sts_message_date(unix), "2026-12-04T13:56:27.0000000Z");
    }
}
