//! Microsoft Graph at `/v1.0`: bearer checks, the few resources Graphlink reads, and
//! Graph's error shape.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::Value;

use crate::errors::{GraphError, client_request_id, insert_header};
use crate::model::{Capability, GraphFault};
use crate::scopes::GRAPH_RESOURCE;
use crate::server::close_connection;
use crate::store::{AccessGrant, Cutoff, UserRecord};
use crate::{App, batch, ids};

mod faults;
mod resources;

use faults::ChallengeReason;

/// `Content-Type` of Graph's JSON responses.
pub(crate) const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/v1.0/$batch", post(batch::batch))
        .route("/v1.0/{*path}", any(call))
}

/// One Graph request, from HTTP or from a `$batch` item.
#[derive(Debug)]
pub(crate) struct GraphCall<'a> {
    pub method: &'a str,
    /// Path and query relative to `/v1.0`, such as `/me/mailFolders/inbox?$select=id`.
    pub url: &'a str,
    pub authorization: Option<&'a str>,
    pub client_request_id: Option<&'a str>,
}

/// Response to one Graph request.
#[derive(Debug)]
pub(crate) struct GraphReply {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
    /// The user the access token belongs to, when it was valid.
    pub username: Option<String>,
}

/// Runs one Graph request: checks the bearer token, then serves the resource.
pub(crate) fn execute(app: &App, call: &GraphCall<'_>) -> GraphReply {
    let request_id = ids::guid();
    let client_request_id = call
        .client_request_id
        .map_or_else(|| request_id.clone(), str::to_owned);
    let mut headers = vec![
        ("request-id", request_id.clone()),
        ("client-request-id", client_request_id.clone()),
        ("Cache-Control", "no-cache".to_owned()),
    ];

    let (username, authenticated) = authenticate(app, call.authorization);
    let result = authenticated.and_then(|caller| resources::serve(app, &caller, call));

    let (status, body) = match result {
        Ok(body) => {
            headers.push(("OData-Version", "4.0".to_owned()));
            (StatusCode::OK, body)
        }
        Err(error) => {
            tracing::info!(
                status = error.status.as_u16(),
                code = %error.code,
                username = username.as_deref().unwrap_or("-"),
                %request_id,
                "Graph request rejected"
            );
            headers.extend(error.headers());
            let body = error.body(app.state.now_unix(), &request_id, &client_request_id);
            (error.status, body)
        }
    };
    headers.push(("Content-Type", ODATA_JSON.to_owned()));
    GraphReply {
        status,
        headers,
        body,
        username,
    }
}

/// The user and scopes behind a valid access token.
#[derive(Debug)]
pub(crate) struct Caller {
    pub username: String,
    pub scopes: Vec<String>,
    pub forbidden: Vec<Capability>,
    pub graph_errors: Vec<GraphFault>,
}

/// Extracts the token of a `Bearer` authorization header.
fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    authorization
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
}

/// Checks the access token. Returns the user it was issued to whenever the token is
/// known, even when it is rejected, so requests with expired or challenged tokens
/// still count for that user.
fn authenticate(
    app: &App,
    authorization: Option<&str>,
) -> (Option<String>, Result<Caller, GraphError>) {
    let Some(token) = bearer_token(authorization) else {
        return (None, Err(GraphError::access_token_empty()));
    };

    app.state.with_store(|store| {
        let Some(grant) = store.access_tokens.get(token) else {
            return (None, Err(GraphError::token_unparsable()));
        };
        let username = Some(grant.username.clone());
        if store.now_unix() >= grant.expires_unix {
            return (username, Err(GraphError::token_expired()));
        }
        if !grant.audience.eq_ignore_ascii_case(GRAPH_RESOURCE) {
            return (username, Err(GraphError::invalid_audience()));
        }
        let Some(record) = store.user(&grant.username) else {
            return (username, Err(GraphError::token_unparsable()));
        };
        if let Some(error) = claims_challenge_for(grant, record) {
            return (username, Err(error));
        }
        let caller = Caller {
            username: grant.username.clone(),
            scopes: grant
                .scopes
                .short_names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            forbidden: record.faults.graph_forbidden.clone(),
            graph_errors: record.faults.graph_errors.clone(),
        };
        (username, Ok(caller))
    })
}

/// Continuous access evaluation: Graph challenges a CAE-capable token issued before
/// the user's sessions were revoked or before a policy change. Tokens without the
/// `cp1` capability are never challenged and stay valid until they expire.
fn claims_challenge_for(grant: &AccessGrant, record: &UserRecord) -> Option<GraphError> {
    if !grant.is_cae_capable() {
        return None;
    }
    let issued_before = |cutoff: &Cutoff| cutoff.seq > grant.issued_seq;
    if let Some(revoked) = record.revoked.filter(issued_before) {
        return Some(faults::claims_challenge(
            ChallengeReason::Revoked,
            revoked.at_unix,
        ));
    }
    record
        .policy_changed
        .filter(issued_before)
        .map(|changed| faults::claims_challenge(ChallengeReason::PolicyChanged, changed.at_unix))
}

/// Returns the user an access token was issued to, whether or not it is still valid.
pub(crate) fn token_owner(app: &App, authorization: Option<&str>) -> Option<String> {
    let token = bearer_token(authorization)?;
    app.state.with_store(|store| {
        store
            .access_tokens
            .get(token)
            .map(|grant| grant.username.clone())
    })
}

/// A fault that fails a whole Graph request, `$batch` included, before any item runs.
pub(crate) enum RequestFault {
    /// Close the connection without a response.
    Reset,
    /// Respond with this error.
    Outage(GraphError),
}

pub(crate) fn request_fault(app: &App, username: Option<&str>) -> Option<RequestFault> {
    let faults = app.state.faults(username?);
    if faults.graph_reset {
        return Some(RequestFault::Reset);
    }
    faults.graph_outage.map(|status| {
        RequestFault::Outage(faults::outage(status, faults.graph_outage_retry_after_secs))
    })
}

/// Renders a Graph error as a whole response, with Graph's headers.
pub(crate) fn error_response(
    app: &App,
    error: &GraphError,
    request_id: &str,
    client_request_id: &str,
) -> Response {
    let mut headers = vec![
        ("request-id", request_id.to_owned()),
        ("client-request-id", client_request_id.to_owned()),
        ("Cache-Control", "no-cache".to_owned()),
        ("Content-Type", ODATA_JSON.to_owned()),
    ];
    headers.extend(error.headers());
    let body = error.body(app.state.now_unix(), request_id, client_request_id);
    reply_response(error.status, &headers, &body)
}

/// Any request under `/v1.0/` except `$batch`.
async fn call(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    _body: Bytes,
) -> Response {
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let url = path_and_query
        .strip_prefix("/v1.0")
        .unwrap_or(path_and_query);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let client_request_id = client_request_id(&headers);
    let graph_call = GraphCall {
        method: method.as_str(),
        url,
        authorization,
        client_request_id: client_request_id.as_deref(),
    };

    let owner = token_owner(&app, authorization);
    if let Some(username) = &owner {
        app.apply_latency(username).await;
    }
    if let Some(fault) = request_fault(&app, owner.as_deref()) {
        count_request(&app, owner.as_deref(), false);
        return match fault {
            RequestFault::Reset => close_connection(),
            RequestFault::Outage(error) => {
                let request_id = ids::guid();
                let client_request_id = graph_call
                    .client_request_id
                    .map_or_else(|| request_id.clone(), str::to_owned);
                error_response(&app, &error, &request_id, &client_request_id)
            }
        };
    }

    let reply = execute(&app, &graph_call);

    count_request(&app, reply.username.as_deref(), reply.status.is_success());
    reply_response(reply.status, &reply.headers, &reply.body)
}

fn count_request(app: &App, username: Option<&str>, succeeded: bool) {
    app.state.with_store(|store| {
        store.count(username, |stats| {
            stats.graph_requests += 1;
            if !succeeded {
                stats.graph_errors += 1;
            }
        });
    });
}

pub(crate) fn reply_response(
    status: StatusCode,
    headers: &[(&str, String)],
    body: &Value,
) -> Response {
    let mut response = (status, body.to_string()).into_response();
    for (name, value) in headers {
        insert_header(response.headers_mut(), name, value);
    }
    response
}
