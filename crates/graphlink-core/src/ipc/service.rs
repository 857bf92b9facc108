//! The tray's [`Service`]: requests carried out against the health engine
//! and the [`Link`]. The tray adds only what needs a desktop (opening the
//! window, the demo's simulator) through [`ShellHooks`].

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Mutex, broadcast};

use super::protocol::{ConnectOutcome, DemoFault, ErrorCode, Event, IpcError, Request};
use super::server::{Progress, Service};
use crate::accounts::AccountRecord;
use crate::browser::BrowserCommand;
use crate::engine::{EngineEvent, EngineHandle};
use crate::link::{ConnectFailure, ConnectOptions, DisconnectError, Link};
use crate::state::AccountStatus;

/// The result of a request to open the status window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowOpened {
    /// A new window was started.
    Started,
    /// A window was open already; subscribers get [`Event::ShowWindow`].
    AlreadyOpen,
}

/// Actions that only the shell around the engine can carry out.
pub trait ShellHooks: Send + Sync + 'static {
    /// Shows the status window, starting it if needed.
    ///
    /// # Errors
    ///
    /// Fails when the window program cannot be started.
    fn open_window(&self) -> Result<WindowOpened, IpcError>;

    /// Injects a demo fault. Only the demo supports it.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Unsupported`] outside the demo.
    fn demo(&self, fault: DemoFault) -> impl Future<Output = Result<(), IpcError>> + Send {
        let _ = fault;
        std::future::ready(Err(IpcError::new(ErrorCode::Unsupported, "Demo controls exist only in `graphlink demo`.")))
    }
}

/// The engine, the link and the shell's hooks behind the IPC endpoint.
pub struct EngineService<H> {
    link: Arc<Link>,
    engine: EngineHandle,
    hooks: H,
    /// Browser for sign-ins. `None` uses `BROWSER` or the platform default.
    browser: Option<BrowserCommand>,
    /// Held while a sign-in runs: one loopback listener and one browser tab at a time.
    signing_in: Mutex<()>,
    /// Events of the shell for subscribers, next to the engine's.
    shell: broadcast::Sender<Event>,
}

impl<H> std::fmt::Debug for EngineService<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineService").field("engine", &self.engine).finish_non_exhaustive()
    }
}

impl<H: ShellHooks> EngineService<H> {
    #[must_use]
    pub fn new(link: Arc<Link>, engine: EngineHandle, hooks: H, browser: Option<BrowserCommand>) -> Self {
        Self { link, engine, hooks, browser, signing_in: Mutex::new(()), shell: broadcast::channel(4).0 }
    }

    #[must_use]
    pub fn engine(&self) -> &EngineHandle {
        &self.engine
    }

    #[must_use]
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// Returns the shell's hooks, for the shell's own use of them.
    #[must_use]
    pub fn hooks(&self) -> &H {
        &self.hooks
    }

    /// Links a new account, or signs a known one in again, through the
    /// browser. The sign-in page's address goes to `progress`.
    pub async fn connect(&self, account: Option<&str>, login_hint: Option<String>, progress: &Progress) -> Event {
        let Ok(_guard) = self.signing_in.try_lock() else {
            return busy();
        };
        let record = match self.record(account) {
            Ok(record) => record,
            Err(reply) => return Event::Error(reply),
        };

        let options = ConnectOptions { browser: self.browser.clone(), login_hint, ..ConnectOptions::default() };
        let on_open = |url: &url::Url, opened: Result<_, crate::browser::BrowserError>| {
            let browser_error = opened.err().map(|failure| {
                tracing::warn!(error = %failure, "could not open a browser for the sign-in");
                failure.to_string()
            });
            progress.send(Event::SignInPage { url: url.to_string(), browser_error });
        };
        // A reconnect accepts only a sign-in as the same user, so it cannot
        // replace one account with another.
        let result = match &record {
            Some(record) => self.link.reconnect(record, &options, on_open).await,
            None => self.link.connect(&options, on_open).await,
        };
        self.finish_sign_in(result)
    }

    /// Links a new account, or signs a known one in again, with a code the
    /// user enters on another device. The code goes to `progress`.
    pub async fn connect_device_code(&self, account: Option<&str>, progress: &Progress) -> Event {
        let Ok(_guard) = self.signing_in.try_lock() else {
            return busy();
        };
        let record = match self.record(account) {
            Ok(record) => record,
            Err(reply) => return Event::Error(reply),
        };
        let on_code = |prompt: &crate::link::DeviceCodePrompt| progress.send(Event::DeviceCode { prompt: prompt.clone() });
        let result = self.link.connect_device_code(record.as_ref(), on_code, tokio::time::sleep).await;
        self.finish_sign_in(result)
    }

    /// Finds the account a sign-in names, or the reply that ends the request.
    fn record(&self, account: Option<&str>) -> Result<Option<AccountRecord>, IpcError> {
        let Some(selector) = account else { return Ok(None) };
        match self.link.find_account(selector) {
            Ok(Some(record)) => Ok(Some(record)),
            Ok(None) => Err(IpcError::new(ErrorCode::NotFound, not_found_message(selector))),
            Err(failure) => Err(IpcError::new(ErrorCode::Storage, failure.to_string())),
        }
    }

    fn finish_sign_in(&self, result: Result<AccountStatus, ConnectFailure>) -> Event {
        self.engine.reload();
        let outcome = match result {
            Ok(status) => ConnectOutcome::Connected { status: status.into() },
            Err(failure) => failed(failure),
        };
        Event::ConnectResult { outcome }
    }

    async fn disconnect(&self, account: Option<&str>) -> Event {
        let result = self.link.disconnect(account).await;
        self.engine.reload();
        match result {
            Ok(_) => Event::Done,
            Err(DisconnectError::NotFound(selector)) => not_found(&selector),
            Err(failure) => error(ErrorCode::Storage, failure.to_string()),
        }
    }

    fn it_request(&self, account: &str) -> Event {
        let statuses = self.engine.statuses();
        let Some(status) = statuses.iter().find(|status| status.account == account || status.username.eq_ignore_ascii_case(account)) else {
            return not_found(account);
        };
        match crate::consent::for_status(self.link.config(), status) {
            Some(request) => Event::ItRequest { text: request.text },
            None => error(ErrorCode::NotFound, format!("{} does not need an administrator.", status.username)),
        }
    }
}

impl<H: ShellHooks> Service for EngineService<H> {
    fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.engine.subscribe()
    }

    fn shell_events(&self) -> Option<broadcast::Receiver<Event>> {
        Some(self.shell.subscribe())
    }

    fn snapshot(&self) -> Vec<AccountStatus> {
        self.engine.statuses()
    }

    async fn call(&self, request: Request, progress: Progress) -> Event {
        match request {
            Request::Subscribe | Request::Status => Event::Snapshot { accounts: self.snapshot().into_iter().map(Into::into).collect() },
            Request::CheckNow => {
                self.engine.check_now();
                Event::Done
            }
            Request::Connect { login_hint } => self.connect(None, login_hint, &progress).await,
            Request::Reconnect { account } => self.connect(Some(&account), None, &progress).await,
            Request::ConnectDeviceCode { account } => self.connect_device_code(account.as_deref(), &progress).await,
            Request::Disconnect { account } => self.disconnect(account.as_deref()).await,
            Request::ItRequest { account } => self.it_request(&account),
            Request::LastConnectAttempt => Event::LastConnectAttempt { attempt: self.link.last_failed_attempt().map(Box::new) },
            Request::OpenWindow => match self.hooks.open_window() {
                Ok(opened) => {
                    if opened == WindowOpened::AlreadyOpen {
                        // No window listening is no error: it may be closing.
                        let _ = self.shell.send(Event::ShowWindow);
                    }
                    Event::Done
                }
                Err(failure) => Event::Error(failure),
            },
            Request::Demo { fault } => match self.hooks.demo(fault).await {
                Ok(()) => {
                    self.engine.check_now();
                    Event::Done
                }
                Err(failure) => Event::Error(failure),
            },
        }
    }
}

fn failed(failure: ConnectFailure) -> ConnectOutcome {
    ConnectOutcome::Failed {
        state: failure.state,
        message: failure.message,
        action: failure.action,
        error: failure.error,
        it_request: failure.it_request.map(|request| request.text),
    }
}

fn busy() -> Event {
    error(
        ErrorCode::Busy,
        "A sign-in is already in progress, started from the Graphlink window, the tray menu or a command. Finish or cancel it first.",
    )
}

fn error(code: ErrorCode, message: impl Into<String>) -> Event {
    Event::Error(IpcError::new(code, message))
}

fn not_found(selector: &str) -> Event {
    error(ErrorCode::NotFound, not_found_message(selector))
}

fn not_found_message(selector: &str) -> String {
    format!("No linked account matches {selector:?}. `graphlink status` lists the linked accounts.")
}
