//! The health engine: one per process, checking every account on its own
//! schedule, publishing each status, and deciding notifications through the
//! [`policy`]. Shells subscribe to its events and send it commands.

pub mod clock;
pub mod policy;
pub mod schedule;
pub mod wake;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use self::clock::Clock;
use self::policy::{Notification, NotificationPolicy};
use self::schedule::Schedule;
use crate::accounts::AccountRecord;
use crate::link::{AccessToken, Link};
use crate::state::{AccountStatus, LinkState};

/// First retry after `offline`: short, so a returning network is noticed
/// within seconds even where the OS sends no network signal.
const OFFLINE_RETRY: Duration = Duration::from_secs(4);
/// Maximum wait between retries while `offline`. Most offline attempts fail
/// locally (no route, no name resolution) and cost nothing, so it stays short.
const OFFLINE_RETRY_MAX: Duration = Duration::from_secs(30);

/// An event the engine publishes to shells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A check finished for this account.
    Status(AccountStatus),
    /// The account was disconnected.
    Removed { account: String },
    /// The policy decided the user must hear about this.
    Notify(Notification),
}

/// Commands a shell sends to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    /// Check every account now.
    CheckNow,
    /// Reread the account list after a connect or disconnect, and check new accounts.
    Reload,
}

/// The running engine. Dropping it stops the engine.
#[derive(Debug)]
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<EngineEvent>,
    statuses: watch::Receiver<Vec<AccountStatus>>,
    task: JoinHandle<()>,
    watchers: Vec<JoinHandle<()>>,
}

impl EngineHandle {
    /// Checks every account at once, e.g. after a wake-up or when the network returns.
    pub fn check_now(&self) {
        let _ = self.commands.send(Command::CheckNow);
    }

    /// Rereads the account list, after a connect or disconnect.
    pub fn reload(&self) {
        let _ = self.commands.send(Command::Reload);
    }

    /// Returns a receiver of every event from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// Returns the latest status of every account.
    #[must_use]
    pub fn statuses(&self) -> Vec<AccountStatus> {
        self.statuses.borrow().clone()
    }

    /// Checks at once whenever the OS reports a wake-up or a returning network.
    /// The watcher stops with the engine.
    pub fn watch_system_events(&mut self) {
        let commands = self.commands.clone();
        self.watchers.push(tokio::spawn(wake::watch_system_bus(move |_| {
            let _ = commands.send(Command::CheckNow);
        })));
    }

    /// Returns a receiver notified of every change of the status list.
    #[must_use]
    pub fn watch(&self) -> watch::Receiver<Vec<AccountStatus>> {
        self.statuses.clone()
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.task.abort();
        for watcher in &self.watchers {
            watcher.abort();
        }
    }
}

/// One account as the engine tracks it.
struct Tracked {
    record: AccountRecord,
    schedule: Schedule,
    access: Option<AccessToken>,
    status: Option<AccountStatus>,
}

/// True when a sign-in changed what the checks of an account conclude,
/// without linking it again.
fn sign_in_outcome_changed(old: &AccountRecord, new: &AccountRecord) -> bool {
    old.consent_blocked != new.consent_blocked || old.claims_challenge != new.claims_challenge || old.client_id != new.client_id
}

impl Tracked {
    /// Returns the latest status with the time of the next planned check.
    fn published_status(&self) -> Option<AccountStatus> {
        let mut status = self.status.clone()?;
        status.next_check = Some(self.schedule.next_check.into());
        Some(status)
    }
}

/// Starts the engine on the current Tokio runtime.
pub fn spawn(link: Arc<Link>, clock: Arc<dyn Clock>) -> EngineHandle {
    let (commands, receiver) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(256);
    let (publish, statuses) = watch::channel(Vec::new());
    let engine = Engine { link, clock, events: events.clone(), publish, tracked: HashMap::new(), policy: NotificationPolicy::new(), random: fastrand::Rng::new() };
    let task = tokio::spawn(engine.run(receiver));
    EngineHandle { commands, events, statuses, task, watchers: Vec::new() }
}

struct Engine {
    link: Arc<Link>,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<EngineEvent>,
    publish: watch::Sender<Vec<AccountStatus>>,
    tracked: HashMap<String, Tracked>,
    policy: NotificationPolicy,
    random: fastrand::Rng,
}

impl Engine {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        tracing::info!("health engine started");
        self.reload();
        loop {
            self.check_due().await;
            self.send_reminders();

            let now = self.clock.now();
            let next = self.tracked.values().map(|tracked| tracked.schedule.next_check).min();
            let wait = schedule::wait_until(now, next);
            tokio::select! {
                command = commands.recv() => match command {
                    None => break,
                    Some(Command::CheckNow) => self.make_all_due(),
                    Some(Command::Reload) => self.reload(),
                },
                () = self.clock.sleep(wait) => {
                    if schedule::woke_from_sleep(now, self.clock.now(), wait) {
                        tracing::info!("woke from sleep; checking every account");
                        self.make_all_due();
                    }
                }
            }
        }
        tracing::info!("health engine stopped");
    }

    fn reload(&mut self) {
        let records = match self.link.account_store().load() {
            Ok(records) => records,
            Err(error) => {
                tracing::error!(%error, "could not read the account list");
                return;
            }
        };
        let now = self.clock.now();
        let keys: Vec<String> = records.iter().map(|record| record.key.clone()).collect();
        let gone: Vec<String> = self.tracked.keys().filter(|key| !keys.contains(key)).cloned().collect();
        for account in gone {
            self.tracked.remove(&account);
            self.policy.forget(&account);
            let _ = self.events.send(EngineEvent::Removed { account });
        }
        for record in records {
            match self.tracked.get_mut(&record.key) {
                // A reconnect replaced the record: drop the old access token and check at once.
                Some(tracked) if tracked.record.linked_at != record.linked_at => {
                    tracked.record = record;
                    tracked.access = None;
                    tracked.schedule = Schedule::due_at(now);
                }
                // A failed sign-in recorded what changes the next verdict
                // (a consent block, claims for the reconnect): check at once.
                Some(tracked) if sign_in_outcome_changed(&tracked.record, &record) => {
                    tracked.record = record;
                    tracked.schedule = Schedule::due_at(now);
                }
                Some(tracked) => tracked.record = record,
                None => {
                    let status = crate::link::status_from_record(&record);
                    self.tracked.insert(record.key.clone(), Tracked { record, schedule: Schedule::due_at(now), access: None, status: Some(status) });
                }
            }
        }
        self.publish();
    }

    /// Rereads the records of tracked accounts, because checks and sign-ins
    /// change them on disk (granted scopes, claims, a consent block), and a
    /// check must judge the account by its latest record.
    fn refresh_records(&mut self) {
        match self.link.account_store().load() {
            Ok(records) => {
                for record in records {
                    if let Some(tracked) = self.tracked.get_mut(&record.key)
                        && tracked.record.linked_at == record.linked_at
                    {
                        tracked.record = record;
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "could not reread the account list; checking with the records in memory"),
        }
    }

    fn make_all_due(&mut self) {
        let now = self.clock.now();
        for tracked in self.tracked.values_mut() {
            tracked.schedule.make_due(now);
            // A check deferred by the server's Retry-After still gets a reply
            // now: the last result, with the time the next check may run.
            if !tracked.schedule.is_due(now)
                && let Some(status) = tracked.published_status()
            {
                let _ = self.events.send(EngineEvent::Status(status));
            }
        }
        self.publish();
    }

    async fn check_due(&mut self) {
        let now = self.clock.now();
        if self.tracked.values().any(|tracked| tracked.schedule.is_due(now)) {
            self.refresh_records();
        }
        let due: Vec<(AccountRecord, Option<AccessToken>)> = self
            .tracked
            .values()
            .filter(|tracked| tracked.schedule.is_due(now))
            .map(|tracked| (tracked.record.clone(), tracked.access.clone()))
            .collect();
        if due.is_empty() {
            return;
        }
        let link = Arc::clone(&self.link);
        let reports = futures_util::future::join_all(due.into_iter().map(|(record, access)| {
            let link = Arc::clone(&link);
            async move { link.check_cached(&record, access, now).await }
        }))
        .await;

        let interval = self.link.config().check_interval;
        let finished = self.clock.now();
        for report in reports {
            let account = report.status.account.clone();
            // The account may have been disconnected while it was checked.
            let Some(tracked) = self.tracked.get_mut(&account) else { continue };
            let jitter = self.random.f64();
            match report.status.state {
                LinkState::Offline => {
                    let exponent = tracked.schedule.failures.min(8);
                    tracked.schedule.failures += 1;
                    let wait = OFFLINE_RETRY.saturating_mul(1 << exponent).min(OFFLINE_RETRY_MAX);
                    tracked.schedule.next_check = finished + schedule::with_jitter(wait, jitter);
                }
                _ if report.transient => tracked.schedule.after_transient(finished, interval, report.retry_after, jitter),
                _ => tracked.schedule.after_settled(finished, interval, jitter),
            }
            tracked.access = report.access_token;
            tracked.status = Some(report.status);
            let Some(status) = tracked.published_status() else { continue };
            if let Some(notification) = self.policy.observe(&status, finished) {
                tracing::info!(account = %account, kind = ?notification.kind, "notification");
                let _ = self.events.send(EngineEvent::Notify(notification));
            }
            let _ = self.events.send(EngineEvent::Status(status));
        }
        self.publish();
    }

    fn send_reminders(&mut self) {
        let now = self.clock.now();
        let statuses: Vec<AccountStatus> = self.tracked.values().filter_map(|tracked| tracked.status.clone()).collect();
        for status in statuses {
            if let Some(notification) = self.policy.due_for(&status, now) {
                tracing::info!(account = %status.account, kind = ?notification.kind, "notification");
                let _ = self.events.send(EngineEvent::Notify(notification));
            }
        }
    }

    fn publish(&self) {
        let mut statuses: Vec<AccountStatus> = self.tracked.values().filter_map(Tracked::published_status).collect();
        statuses.sort_by(|a, b| a.username.cmp(&b.username).then_with(|| a.account.cmp(&b.account)));
        self.publish.send_replace(statuses);
    }
}
