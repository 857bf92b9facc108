//! The client side of the protocol, used by the status window and by the
//! subcommands while a tray runs.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines, ReadHalf, WriteHalf};

use super::protocol::{ErrorCode, Event, IpcError, Request};
use super::transport::{self, Stream};
use super::Endpoint;

/// Sends one request and returns its reply. An [`Event::Error`] reply is
/// returned as `Err`.
///
/// # Errors
///
/// [`ErrorCode::Unavailable`] when no tray listens or the connection broke,
/// or the error the tray replied with.
pub async fn request(endpoint: &Endpoint, request: &Request) -> Result<Event, IpcError> {
    request_with_progress(endpoint, request, |_| {}).await
}

/// Sends one request, hands each progress event to `on_progress` (the
/// address of a sign-in page, the code of a device code sign-in), and
/// returns the reply as [`request`] does.
/// Dropping the future closes the connection, which cancels a sign-in.
///
/// # Errors
///
/// As [`request`].
pub async fn request_with_progress(endpoint: &Endpoint, request: &Request, mut on_progress: impl FnMut(&Event)) -> Result<Event, IpcError> {
    let mut connection = send(endpoint, request).await?;
    loop {
        match connection.next_event().await? {
            Some(Event::Error(error)) => return Err(error),
            Some(event) if event.is_progress() => on_progress(&event),
            Some(event) => return Ok(event),
            None => return Err(closed_early()),
        }
    }
}

/// Returns true when a tray accepts connections on `endpoint`.
pub async fn is_running(endpoint: &Endpoint) -> bool {
    transport::connect(endpoint).await.is_ok()
}

/// A stream of engine events from the tray.
#[derive(Debug)]
pub struct Subscription {
    connection: Connection,
}

impl Subscription {
    /// Subscribes. The first event is always an [`Event::Snapshot`].
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Unavailable`] when no tray listens.
    pub async fn open(endpoint: &Endpoint) -> Result<Self, IpcError> {
        Ok(Self { connection: send(endpoint, &Request::Subscribe).await? })
    }

    /// Returns the next event, or `None` when the tray closed the subscription.
    ///
    /// # Errors
    ///
    /// Fails when the connection breaks or the tray sends a line that is not an event.
    pub async fn next(&mut self) -> Result<Option<Event>, IpcError> {
        self.connection.next_event().await
    }
}

/// One open connection. The write half stays open as long as the reader is
/// in use, because closing it ends a subscription on the tray's side.
struct Connection {
    lines: Lines<BufReader<ReadHalf<Stream>>>,
    _writer: WriteHalf<Stream>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Connection {
    async fn next_event(&mut self) -> Result<Option<Event>, IpcError> {
        let Some(line) = self.lines.next_line().await.map_err(broken)? else {
            return Ok(None);
        };
        serde_json::from_str(&line).map(Some).map_err(|error| {
            IpcError::new(ErrorCode::BadRequest, format!("the tray sent an invalid event ({error}); are the tray and this program the same version?"))
        })
    }
}

async fn send(endpoint: &Endpoint, request: &Request) -> Result<Connection, IpcError> {
    let stream = transport::connect(endpoint).await.map_err(|error| {
        let message = if transport::is_not_running(&error) {
            "Graphlink is not running.".to_owned()
        } else {
            format!("could not reach Graphlink at {endpoint}: {error}")
        };
        IpcError::new(ErrorCode::Unavailable, message)
    })?;
    let (reader, mut writer) = tokio::io::split(stream);

    let mut line = serde_json::to_vec(request).map_err(|error| IpcError::new(ErrorCode::BadRequest, error.to_string()))?;
    line.push(b'\n');
    writer.write_all(&line).await.map_err(broken)?;
    writer.flush().await.map_err(broken)?;
    Ok(Connection { lines: BufReader::new(reader).lines(), _writer: writer })
}

/// The fix for a running tray that stopped responding: a new tray responds again.
const RESTART: &str = "if it happens again, choose Quit in Graphlink's tray menu and start Graphlink again";

fn broken(error: std::io::Error) -> IpcError {
    IpcError::new(ErrorCode::Unavailable, format!("the connection to Graphlink broke ({error}); {RESTART}"))
}

fn closed_early() -> IpcError {
    IpcError::new(ErrorCode::Unavailable, format!("Graphlink closed the connection without replying; {RESTART}"))
}
