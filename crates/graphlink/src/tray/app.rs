//! The tray's event loop on the main thread: the icon, its menu, and the
//! bridge from the engine (on the Tokio runtime) to the desktop.

use std::process::ExitCode;
use std::sync::Arc;

use graphlink_core::engine::EngineEvent;
use graphlink_core::ipc::{ConnectOutcome, EngineService, Event as IpcEvent, Request, Service as _};
use graphlink_core::state::AccountStatus;
use tao::event::{Event, StartCause};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy};
use tao::platform::run_return::EventLoopExtRunReturn;
use tokio::runtime::Runtime;
use tray_icon::menu::{CheckMenuItem, IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

use super::hooks::TrayHooks;
use super::menu::{self, Entry, MenuAction};
use super::notifier::{self, Notifier};
use super::{Tray, autostart, look};

/// Events sent to the main thread.
#[derive(Debug)]
enum TrayEvent {
    Statuses(Vec<AccountStatus>),
    Menu(String),
    Quit,
}

/// Runs the event loop until Quit or a termination signal, then stops the
/// engine and the IPC server and removes the socket.
pub fn run(runtime: &Runtime, tray: Box<Tray>) -> ExitCode {
    let mut event_loop = EventLoopBuilder::<TrayEvent>::with_user_event().build();
    let proxy = event_loop.create_proxy();
    let menu_proxy = proxy.clone();
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        let _ = menu_proxy.send_event(TrayEvent::Menu(event.id.0));
    }));
    runtime.spawn(forward_statuses(tray.service.engine().watch(), proxy.clone()));
    let notifier = {
        let (runtime, service) = (runtime.handle().clone(), Arc::clone(&tray.service));
        Notifier::new(move |request| drop(runtime.spawn(carry_out(Arc::clone(&service), request))))
    };
    runtime.spawn(show_notifications(tray.service.subscribe(), Arc::clone(&notifier)));
    runtime.spawn(quit_on_signal(proxy));

    let demo = tray.demo.is_some();
    let mut statuses = tray.service.engine().statuses();
    let mut start_at_login = autostart::is_enabled();
    let mut icon: Option<TrayIcon> = None;
    let mut code = ExitCode::SUCCESS;

    event_loop.run_return(|event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            // Platform tray APIs need the event loop to be running.
            Event::NewEvents(StartCause::Init) => {
                match build_icon(&statuses, start_at_login, demo) {
                    Ok(built) => icon = Some(built),
                    Err(error) => {
                        tracing::error!(%error, "could not create the tray icon");
                        eprintln!("graphlink: could not create the tray icon: {error:#}");
                        code = ExitCode::from(2);
                        *control_flow = ControlFlow::Exit;
                        return;
                    }
                }
                if tray.first_run {
                    spawn_request(runtime, &tray, Request::OpenWindow);
                }
            }
            Event::UserEvent(TrayEvent::Statuses(latest)) => {
                tray.service.hooks().window.reap();
                statuses = latest;
                refresh(icon.as_ref(), &statuses, start_at_login, demo);
            }
            Event::UserEvent(TrayEvent::Menu(id)) => match MenuAction::from_id(&id) {
                Some(MenuAction::Quit) => *control_flow = ControlFlow::Exit,
                Some(MenuAction::ToggleStartAtLogin) => {
                    match autostart::set(!start_at_login) {
                        Ok(enabled) => start_at_login = enabled,
                        Err(error) => tracing::error!(%error, "could not change start at login"),
                    }
                    refresh(icon.as_ref(), &statuses, start_at_login, demo);
                }
                Some(MenuAction::Connect) => spawn_request(runtime, &tray, Request::Connect { login_hint: None }),
                Some(MenuAction::Reconnect { account }) => spawn_request(runtime, &tray, Request::Reconnect { account }),
                Some(MenuAction::CheckNow) => spawn_request(runtime, &tray, Request::CheckNow),
                Some(MenuAction::OpenWindow) => spawn_request(runtime, &tray, Request::OpenWindow),
                Some(MenuAction::Demo(fault)) => spawn_request(runtime, &tray, Request::Demo { fault }),
                None => {}
            },
            Event::UserEvent(TrayEvent::Quit) => *control_flow = ControlFlow::Exit,
            _ => {}
        }
    });

    tracing::info!("tray stopping");
    runtime.block_on(notifier.close_all());
    tray.service.hooks().window.close();
    drop(icon);
    let Tray { service, server, demo, endpoint, log, .. } = *tray;
    drop(server);
    // The server task removes the socket when the runtime drops it; remove
    // it here too, so a new tray never finds a stale file.
    let _ = std::fs::remove_file(&endpoint.address);
    if let Some(demo) = demo {
        runtime.block_on(demo.stop());
    }
    drop(service);
    drop(log);
    code
}

/// Carries out a menu request on the runtime.
fn spawn_request(runtime: &Runtime, tray: &Tray, request: Request) {
    runtime.spawn(carry_out(Arc::clone(&tray.service), request));
}

/// Carries out a request from the menu or a notification, as if a client
/// had sent it, and shows a failure in a notification.
async fn carry_out(service: Arc<EngineService<TrayHooks>>, request: Request) {
    let (progress, mut events) = graphlink_core::ipc::Progress::channel();
    // No window shows such a sign-in's progress, so a notification reports a browser that did not start.
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let IpcEvent::SignInPage { url, browser_error: Some(error) } = event {
                notifier::show_text("Graphlink could not open a browser", &format!("{error}. Open this address in your browser to sign in: {url}")).await;
            }
        }
    });
    match service.call(request, progress).await {
        IpcEvent::Error(error) => {
            tracing::warn!(code = ?error.code, %error, "menu request failed");
            notifier::show_text("Graphlink", &error.message).await;
        }
        IpcEvent::ConnectResult { outcome: ConnectOutcome::Failed { message, .. } } => {
            notifier::show_text("Graphlink could not connect", &message).await;
        }
        _ => {}
    }
}

fn build_icon(statuses: &[AccountStatus], start_at_login: bool, demo: bool) -> anyhow::Result<TrayIcon> {
    let menu = build_menu(&menu::entries(statuses, start_at_login, demo))?;
    let (image, template) = icon_of(statuses)?;
    let icon = TrayIconBuilder::new()
        .with_menu(Box::new(menu))
        .with_icon(image)
        .with_tooltip(look::tooltip(statuses))
        .with_icon_as_template(template)
        .build()?;
    Ok(icon)
}

fn refresh(icon: Option<&TrayIcon>, statuses: &[AccountStatus], start_at_login: bool, demo: bool) {
    let Some(icon) = icon else { return };
    match build_menu(&menu::entries(statuses, start_at_login, demo)) {
        Ok(menu) => icon.set_menu(Some(Box::new(menu))),
        Err(error) => tracing::error!(%error, "could not rebuild the tray menu"),
    }
    let changed = icon_of(statuses).and_then(|(image, template)| {
        icon.set_icon(Some(image))?;
        icon.set_icon_as_template(template);
        Ok(())
    });
    if let Err(error) = changed {
        tracing::error!(%error, "could not change the tray icon");
    }
    // NOTE: on Linux, tray-icon drops tooltips (libayatana-appindicator has
    // none), so there the menu's account lines are the only state in words.
    if let Err(error) = icon.set_tooltip(Some(look::tooltip(statuses))) {
        tracing::error!(%error, "could not change the tray tooltip");
    }
}

fn icon_of(statuses: &[AccountStatus]) -> anyhow::Result<(Icon, bool)> {
    let (png, template) = look::icon_png(statuses);
    let (rgba, width, height) = look::decode_rgba(png)?;
    Ok((Icon::from_rgba(rgba, width, height)?, template))
}

fn build_menu(entries: &[Entry]) -> anyhow::Result<Menu> {
    let menu = Menu::new();
    for entry in entries {
        menu.append(build_entry(entry)?.as_ref())?;
    }
    Ok(menu)
}

fn build_entry(entry: &Entry) -> anyhow::Result<Box<dyn IsMenuItem>> {
    Ok(match entry {
        Entry::Line(text) => Box::new(MenuItem::new(text, false, None)),
        Entry::Item { label, action } => Box::new(MenuItem::with_id(action.id(), label, true, None)),
        Entry::Check { label, checked, action } => Box::new(CheckMenuItem::with_id(action.id(), label, true, *checked, None)),
        Entry::Submenu { label, entries } => {
            let submenu = Submenu::new(label, true);
            for entry in entries {
                submenu.append(build_entry(entry)?.as_ref())?;
            }
            Box::new(submenu)
        }
        Entry::Separator => Box::new(PredefinedMenuItem::separator()),
    })
}

async fn forward_statuses(mut statuses: tokio::sync::watch::Receiver<Vec<AccountStatus>>, proxy: EventLoopProxy<TrayEvent>) {
    loop {
        let latest = statuses.borrow_and_update().clone();
        if proxy.send_event(TrayEvent::Statuses(latest)).is_err() || statuses.changed().await.is_err() {
            return;
        }
    }
}

async fn show_notifications(mut events: tokio::sync::broadcast::Receiver<EngineEvent>, notifier: Arc<Notifier>) {
    loop {
        match events.recv().await {
            Ok(EngineEvent::Notify(notification)) => notifier.show(notification).await,
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => tracing::warn!(missed, "the notifier fell behind the engine"),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn quit_on_signal(proxy: EventLoopProxy<TrayEvent>) {
    #[cfg(unix)]
    {
        let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else { return };
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("termination signal received");
    let _ = proxy.send_event(TrayEvent::Quit);
}
