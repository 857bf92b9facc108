//! The platform's stream transport under the protocol: Unix domain sockets,
//! or named pipes on Windows.

use std::io;

use super::Endpoint;

#[cfg(unix)]
pub use unix::{Listener, Stream, connect};
#[cfg(windows)]
pub use windows::{Listener, Stream, connect};

/// A failure to start listening.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Another tray is listening on this endpoint.
    #[error("Graphlink is already running (endpoint {0})")]
    AlreadyRunning(String),
    #[error("could not listen on {endpoint}: {source}")]
    Io { endpoint: String, source: io::Error },
}

#[cfg(unix)]
mod unix {
    use std::fs::{self, DirBuilder, Permissions};
    use std::io;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    use std::path::Path;

    use tokio::net::{UnixListener, UnixStream};

    use super::{BindError, Endpoint};

    pub type Stream = UnixStream;

    /// A bound socket that removes its file when dropped.
    #[derive(Debug)]
    pub struct Listener {
        inner: UnixListener,
        path: std::path::PathBuf,
        /// Owner of the socket's directory: the only user allowed to connect.
        owner: u32,
    }

    impl Listener {
        /// Binds the endpoint. The directory is created with mode 0700 and
        /// the socket gets mode 0600. A socket file left by a tray that
        /// crashed is replaced; a live one is [`BindError::AlreadyRunning`].
        ///
        /// # Errors
        ///
        /// As [`BindError`].
        pub async fn bind(endpoint: &Endpoint) -> Result<Self, BindError> {
            let path = endpoint.address.clone();
            let io_error = |source| BindError::Io { endpoint: endpoint.to_string(), source };
            let dir = path.parent().ok_or_else(|| io_error(io::Error::new(io::ErrorKind::InvalidInput, "the socket path has no directory")))?;
            let owner = private_dir(dir).map_err(io_error)?;

            if path.exists() {
                if UnixStream::connect(&path).await.is_ok() {
                    return Err(BindError::AlreadyRunning(endpoint.to_string()));
                }
                tracing::info!(socket = %path.display(), "removing the socket of a tray that is gone");
                fs::remove_file(&path).map_err(io_error)?;
            }
            let inner = UnixListener::bind(&path).map_err(io_error)?;
            fs::set_permissions(&path, Permissions::from_mode(0o600)).map_err(io_error)?;
            Ok(Self { inner, path, owner })
        }

        /// Accepts the next connection from the same user. Connections from
        /// other users are closed at once; the directory's mode already keeps
        /// them out, so this only matters if that mode was changed.
        ///
        /// # Errors
        ///
        /// Fails when accepting fails.
        pub async fn accept(&self) -> io::Result<Stream> {
            loop {
                let (stream, _) = self.inner.accept().await?;
                match stream.peer_cred() {
                    Ok(credentials) if credentials.uid() == self.owner => return Ok(stream),
                    Ok(credentials) => tracing::warn!(uid = credentials.uid(), "rejected an IPC connection from another user"),
                    Err(error) => tracing::warn!(%error, "rejected an IPC connection without peer credentials"),
                }
            }
        }
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            let _ = fs::remove_file(&self.path);
        }
    }

    /// Creates `dir` as 0700, or tightens an existing one to 0700, and
    /// returns its owner's user ID.
    fn private_dir(dir: &Path) -> io::Result<u32> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let metadata = fs::metadata(dir)?;
        if metadata.mode() & 0o077 != 0 {
            fs::set_permissions(dir, Permissions::from_mode(0o700))?;
        }
        Ok(metadata.uid())
    }

    /// Connects to a running tray.
    ///
    /// # Errors
    ///
    /// Fails when no tray listens on the endpoint.
    pub async fn connect(endpoint: &Endpoint) -> io::Result<Stream> {
        UnixStream::connect(&endpoint.address).await
    }
}

// NOTE: the Windows transport has never been compiled or run (no Windows
// target here). Pipe names are machine-wide, and a pipe's default security
// descriptor also grants Everyone read access, so on a shared Remote Desktop
// host another user could create this name first and pose as the tray.
// Before shipping on Windows: a DACL for the user's SID only, the session in
// the name, and a check of the server process's owner before trusting it.
#[cfg(windows)]
mod windows {
    use std::io;

    use tokio::net::windows::named_pipe::{ClientOptions, NamedPipeClient, NamedPipeServer, ServerOptions};
    use tokio::sync::Mutex;

    use super::{BindError, Endpoint};

    pub type Stream = Box<dyn PipeStream>;

    /// A stream of either end of a named pipe.
    pub trait PipeStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
    impl PipeStream for NamedPipeServer {}
    impl PipeStream for NamedPipeClient {}

    /// A named pipe with one instance waiting for the next client.
    #[derive(Debug)]
    pub struct Listener {
        name: String,
        next: Mutex<NamedPipeServer>,
    }

    impl Listener {
        /// Creates the first pipe instance; fails when another tray owns the name.
        ///
        /// # Errors
        ///
        /// As [`BindError`].
        pub async fn bind(endpoint: &Endpoint) -> Result<Self, BindError> {
            let name = endpoint.address.to_string_lossy().into_owned();
            let server = ServerOptions::new().first_pipe_instance(true).reject_remote_clients(true).create(&name).map_err(|source| {
                if source.kind() == io::ErrorKind::PermissionDenied {
                    BindError::AlreadyRunning(name.clone())
                } else {
                    BindError::Io { endpoint: name.clone(), source }
                }
            })?;
            Ok(Self { name, next: Mutex::new(server) })
        }

        /// Waits for a client and hands over the connected instance.
        ///
        /// # Errors
        ///
        /// Fails when the pipe cannot be created or connected.
        pub async fn accept(&self) -> io::Result<Stream> {
            let mut next = self.next.lock().await;
            next.connect().await?;
            let fresh = ServerOptions::new().reject_remote_clients(true).create(&self.name)?;
            let connected = std::mem::replace(&mut *next, fresh);
            Ok(Box::new(connected))
        }
    }

    /// Connects to a running tray.
    ///
    /// # Errors
    ///
    /// Fails when no tray listens on the endpoint.
    pub async fn connect(endpoint: &Endpoint) -> io::Result<Stream> {
        Ok(Box::new(ClientOptions::new().open(&endpoint.address)?))
    }
}

/// Returns true when `error` means no process listens on the endpoint.
#[must_use]
pub fn is_not_running(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused)
}
