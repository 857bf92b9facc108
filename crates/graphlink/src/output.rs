//! Standard output that tolerates a closed pipe.
//!
//! `print!` panics when the reader has gone, as in `graphlink status | head -1`
//! or `graphlink status | grep -q connected`. These macros drop the rest of
//! the output instead, so the exit code still reports the accounts' state.

use std::io::Write as _;

/// Writes `text` to standard output; a closed pipe is ignored.
pub fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let result = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    if let Err(error) = result
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        tracing::warn!(%error, "could not write to standard output");
    }
}

/// `print!` that ignores a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&format!($($arg)*))
    };
}

/// `println!` that ignores a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
