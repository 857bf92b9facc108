//! `graphlink-window`: the status window. A client of the tray over local
//! IPC: it renders the tray's events and sends its commands, and it exits
//! when closed, so no web engine runs while the window is not shown.

mod commands;
mod events;

use graphlink_core::ipc::Endpoint;

/// Environment variable the tray sets to the endpoint of its IPC socket.
const ENDPOINT_VARIABLE: &str = "GRAPHLINK_ENDPOINT";

fn main() -> std::process::ExitCode {
    let endpoint = match endpoint() {
        Ok(endpoint) => endpoint,
        Err(error) => {
            eprintln!("graphlink-window: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let forwarded = endpoint.clone();
    let result = tauri::Builder::default()
        .manage(endpoint)
        .manage(commands::SignIn::default())
        .plugin(tauri_plugin_clipboard_manager::init())
        .invoke_handler(tauri::generate_handler![
            commands::snapshot,
            commands::connect,
            commands::reconnect,
            commands::connect_device_code,
            commands::cancel_sign_in,
            commands::check_now,
            commands::it_request,
            commands::last_connect_attempt
        ])
        .setup(move |app| {
            events::forward(app.handle().clone(), forwarded.clone());
            Ok(())
        })
        .run(tauri::generate_context!());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("graphlink-window: could not open the window: {error}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Returns the tray's endpoint: the one the tray passed, else the user's tray.
fn endpoint() -> Result<Endpoint, graphlink_core::paths::PathsError> {
    match std::env::var_os(ENDPOINT_VARIABLE) {
        Some(address) => Ok(Endpoint::at(address)),
        None => Endpoint::for_profile("tray"),
    }
}
