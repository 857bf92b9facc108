//! Process settings that keep secrets in memory from reaching disk.

/// Stops this process from writing a core dump, which would contain the
/// refresh and access tokens it keeps in memory.
///
/// On Unix the soft `RLIMIT_CORE` becomes 0, and on Linux the process is
/// also marked not dumpable, which covers a `core_pattern` that pipes cores
/// to a handler (those ignore `RLIMIT_CORE`) and stops other processes of
/// the same user from attaching with `ptrace`. Neither setting survives
/// `exec`, so the browser Graphlink starts is unaffected. Failures are
/// logged and ignored: they cost a safeguard, not the link.
pub fn disable_core_dumps() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

        let limit = getrlimit(Resource::Core);
        if let Err(error) = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: limit.maximum }) {
            tracing::warn!(%error, "could not disable core dumps");
        }
    }
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable) {
        tracing::warn!(%error, "could not mark the process as not dumpable");
    }
}
