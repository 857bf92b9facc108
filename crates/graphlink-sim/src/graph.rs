//! Microsoft Graph at `/v1.0`: bearer checks, the few resources Graphlink reads, and
//! Graph's error shape.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::Value;

use crate::clock::now_unix;
use crate::errors::{GRAPH_WWW_AUTHENTICATE, GraphError, client_request_id, insert_header};
use crate::model::Capability;
use crate::scopes::GRAPH_RESOURCE;
use crate::{App, batch, ids};

mod resources;

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

    let authenticated = authenticate(app, call.authorization);
    let username = authenticated
        .as_ref()
        .ok()
        .map(|caller| caller.username.clone());
    let result = authenticated.and_then(|caller| resources::serve(app, &caller, call));

    let (status, body) = match result {
        Ok(body) => {
            headers.push(("OData-Version", "4.0".to_owned()));
            (StatusCode::OK, body)
        }
        Err(error) => {
            tracing::info!(
                status = error.status.as_u16(),
                code = error.code,
                username = username.as_deref().unwrap_or("-"),
                %request_id,
                "Graph request rejected"
            );
            if error.status == StatusCode::UNAUTHORIZED {
                headers.push(("WWW-Authenticate", GRAPH_WWW_AUTHENTICATE.to_owned()));
            }
            (error.status, error.body(&request_id, &client_request_id))
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
}

fn authenticate(app: &App, authorization: Option<&str>) -> Result<Caller, GraphError> {
    let token = authorization
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(GraphError::access_token_empty)?;

    app.state.with_store(|store| {
        let grant = store
            .access_tokens
            .get(token)
            .ok_or_else(GraphError::token_unparsable)?;
        if now_unix() >= grant.expires_unix {
            return Err(GraphError::token_expired());
        }
        if !grant.audience.eq_ignore_ascii_case(GRAPH_RESOURCE) {
            return Err(GraphError::invalid_audience());
        }
        let forbidden = store
            .user(&grant.username)
            .map(|record| record.faults.graph_forbidden.clone())
            .unwrap_or_default();
        Ok(Caller {
            username: grant.username.clone(),
            scopes: grant
                .scopes
                .short_names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            forbidden,
        })
    })
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

    let reply = execute(&app, &graph_call);

    app.state.with_store(|store| {
        store.stats.graph_requests += 1;
        if !reply.status.is_success() {
            store.stats.graph_errors += 1;
        }
    });
    if let Some(username) = &reply.username {
        app.apply_latency(username).await;
    }
    reply_response(reply.status, &reply.headers, &reply.body)
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
