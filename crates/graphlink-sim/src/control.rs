//! The control API under `/_sim/`: the [`crate::SimState`] operations over HTTP, for
//! tests in other processes and for demo mode.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::App;
use crate::model::{Faults, SettingsUpdate, UserSpec};

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/_sim/users", get(list_users).post(add_user))
        .route("/_sim/users/{username}", get(get_user))
        .route("/_sim/users/{username}/revoke", post(revoke))
        .route("/_sim/users/{username}/expire", post(expire))
        .route(
            "/_sim/users/{username}/faults",
            get(get_faults).put(put_faults),
        )
        .route("/_sim/users/{username}/consent", delete(clear_consent))
        .route("/_sim/users/{username}/refresh-token", get(refresh_token))
        .route("/_sim/users/{username}/stats", get(user_stats))
        .route("/_sim/stats", get(stats))
        .route("/_sim/settings", get(get_settings).put(put_settings))
}

fn control_error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

fn user_not_found(username: &str) -> Response {
    control_error(
        StatusCode::NOT_FOUND,
        "user_not_found",
        format!("No simulated user named '{username}'. Create it with POST /_sim/users."),
    )
}

/// Parses a JSON body. The error is serde's message.
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|error| error.to_string())
}

fn invalid_json(message: &str) -> Response {
    control_error(
        StatusCode::BAD_REQUEST,
        "invalid_json",
        format!("Invalid request body: {message}."),
    )
}

/// Runs `action` if the user exists, else returns 404.
fn with_user(app: &App, username: &str, action: impl FnOnce() -> Response) -> Response {
    if app.state.user(username).is_some() {
        action()
    } else {
        user_not_found(username)
    }
}

async fn list_users(State(app): State<App>) -> Response {
    Json(app.state.users()).into_response()
}

async fn add_user(State(app): State<App>, body: Bytes) -> Response {
    let spec: UserSpec = match parse_json(&body) {
        Ok(spec) => spec,
        Err(message) => return invalid_json(&message),
    };
    if spec.username.trim().is_empty() {
        return control_error(
            StatusCode::BAD_REQUEST,
            "invalid_user",
            "The user needs a non-empty \"username\", such as \"adele@contoso.example\"."
                .to_owned(),
        );
    }
    if spec
        .tenant_id
        .as_deref()
        .is_some_and(|tenant| !crate::ids::is_guid(tenant))
    {
        return control_error(
            StatusCode::BAD_REQUEST,
            "invalid_user",
            "\"tenant_id\" must be a GUID, or absent for the default tenant.".to_owned(),
        );
    }
    Json(app.state.add_user(spec)).into_response()
}

async fn get_user(State(app): State<App>, Path(username): Path<String>) -> Response {
    match app.state.user(&username) {
        Some(user) => Json(user).into_response(),
        None => user_not_found(&username),
    }
}

async fn revoke(State(app): State<App>, Path(username): Path<String>) -> Response {
    with_user(&app, &username, || {
        app.state.revoke(&username);
        StatusCode::NO_CONTENT.into_response()
    })
}

async fn expire(State(app): State<App>, Path(username): Path<String>) -> Response {
    with_user(&app, &username, || {
        app.state.expire(&username);
        StatusCode::NO_CONTENT.into_response()
    })
}

async fn get_faults(State(app): State<App>, Path(username): Path<String>) -> Response {
    with_user(&app, &username, || {
        Json(app.state.faults(&username)).into_response()
    })
}

async fn put_faults(State(app): State<App>, Path(username): Path<String>, body: Bytes) -> Response {
    let faults: Faults = match parse_json(&body) {
        Ok(faults) => faults,
        Err(message) => return invalid_json(&message),
    };
    if let Err(message) = faults.validate() {
        return control_error(StatusCode::BAD_REQUEST, "invalid_faults", message);
    }
    with_user(&app, &username, || {
        app.state.set_faults(&username, faults);
        Json(app.state.faults(&username)).into_response()
    })
}

async fn user_stats(State(app): State<App>, Path(username): Path<String>) -> Response {
    with_user(&app, &username, || {
        Json(app.state.user_stats(&username)).into_response()
    })
}

async fn clear_consent(State(app): State<App>, Path(username): Path<String>) -> Response {
    with_user(&app, &username, || {
        app.state.clear_consent(&username);
        StatusCode::NO_CONTENT.into_response()
    })
}

async fn refresh_token(State(app): State<App>, Path(username): Path<String>) -> Response {
    with_user(&app, &username, || {
        Json(json!({ "refresh_token": app.state.latest_refresh_token(&username) })).into_response()
    })
}

async fn stats(State(app): State<App>) -> Response {
    Json(app.state.stats()).into_response()
}

async fn get_settings(State(app): State<App>) -> Response {
    Json(app.state.settings()).into_response()
}

async fn put_settings(State(app): State<App>, body: Bytes) -> Response {
    match parse_json::<SettingsUpdate>(&body) {
        Ok(update) => Json(app.state.update_settings(update)).into_response(),
        Err(message) => invalid_json(&message),
    }
}
