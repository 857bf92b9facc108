//! Logging to a daily rolling file in the platform log directory.
//!
//! Only account keys, states and error codes are logged; tokens never reach
//! `tracing`. Libraries that could print request details stay at `warn`.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

const DEFAULT_FILTER: &str = "info,hyper=warn,hyper_util=warn,reqwest=warn,h2=warn,rustls=warn,zbus=warn,axum=warn,tower=warn";

/// Starts file logging; the returned guard flushes the log when dropped.
/// `GRAPHLINK_LOG` overrides the filter, in `tracing` directive syntax.
/// Logging is best effort: without a writable log directory Graphlink runs on.
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    if std::fs::create_dir_all(log_dir).is_err() {
        return None;
    }
    // Logs carry usernames and tenant IDs, so other users may not list or read them.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Err(error) = std::fs::set_permissions(log_dir, std::fs::Permissions::from_mode(0o700)) {
            eprintln!("graphlink: could not make the log directory {} private: {error}", log_dir.display());
        }
    }
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("graphlink")
        .filename_suffix("log")
        .max_log_files(14)
        .build(log_dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("GRAPHLINK_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init().ok()?;
    Some(guard)
}
