//! `POST /v1.0/$batch`: JSON batching.
//!
//! Graph runs each item as its own request with the outer `Authorization` header and
//! returns 200 as long as the batch itself parses, even when items fail. That includes
//! a missing or invalid token: every item then gets its own 401, the outer response is
//! still 200. A malformed batch (bad JSON, more than 20 items, duplicate IDs, which
//! compare case-insensitively) gets a single 400. Responses come back in shuffled order,
//! as Graph promises no order. Each item carries its own status, headers
//! (`Retry-After`, `WWW-Authenticate`) and error body, so one item can be throttled or
//! challenged while the others succeed.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use rand::seq::SliceRandom as _;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::errors::{GraphError, client_request_id};
use crate::graph::{
    GraphCall, ODATA_JSON, RequestFault, error_response, execute, reply_response, request_fault,
    token_owner,
};
use crate::server::close_connection;
use crate::{App, ids};

/// Graph's limit on items per batch.
const MAX_BATCH_ITEMS: usize = 20;

#[derive(Debug, Deserialize)]
struct BatchBody {
    requests: Vec<BatchItem>,
}

#[derive(Debug, Deserialize)]
struct BatchItem {
    id: String,
    method: String,
    url: String,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default, rename = "dependsOn")]
    depends_on: Vec<String>,
}

pub(crate) async fn batch(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = ids::guid();
    let client_request_id = client_request_id(&headers);
    let client_request_id = client_request_id.unwrap_or_else(|| request_id.clone());
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());

    let owner = token_owner(&app, authorization);
    if let Some(username) = &owner {
        app.apply_latency(username).await;
    }
    if let Some(fault) = request_fault(&app, owner.as_deref()) {
        count_batch(&app, owner.as_deref(), 1);
        return match fault {
            RequestFault::Reset => close_connection(),
            RequestFault::Outage(error) => {
                error_response(&app, &error, &request_id, &client_request_id)
            }
        };
    }

    let outcome = parse(&body).map(|items| run(&app, &items, authorization, &client_request_id));

    let failed = match &outcome {
        Ok(responses) => responses
            .iter()
            .filter(|item| item["status"].as_u64().is_none_or(|status| status >= 400))
            .count(),
        Err(_) => 1,
    };
    count_batch(&app, owner.as_deref(), failed as u64);

    match outcome {
        Ok(responses) => {
            let reply_headers = [
                ("request-id", request_id.clone()),
                ("client-request-id", client_request_id.clone()),
                ("Cache-Control", "no-cache".to_owned()),
                ("Content-Type", ODATA_JSON.to_owned()),
            ];
            reply_response(
                StatusCode::OK,
                &reply_headers,
                &json!({ "responses": responses }),
            )
        }
        Err(error) => error_response(&app, &error, &request_id, &client_request_id),
    }
}

/// Counts one batch request with `failed` failed items (or 1 for a batch that failed
/// as a whole), for every user and for the owner of the outer token.
fn count_batch(app: &App, username: Option<&str>, failed: u64) {
    app.state.with_store(|store| {
        store.count(username, |stats| {
            stats.graph_requests += 1;
            stats.batch_requests += 1;
            stats.graph_errors += failed;
        });
    });
}

// NOTE: the messages of the whole-batch 400 errors below are approximations. Graph
// documents the rules but not the exact texts.
fn parse(body: &[u8]) -> Result<Vec<BatchItem>, GraphError> {
    let batch: BatchBody = serde_json::from_slice(body)
        .map_err(|_| GraphError::bad_request("Invalid batch payload format."))?;
    let items = batch.requests;

    if items.is_empty() {
        return Err(GraphError::bad_request("Invalid batch payload format."));
    }
    if items.len() > MAX_BATCH_ITEMS {
        return Err(GraphError::bad_request(format!(
            "Batch request contains {} requests, more than the limit of {MAX_BATCH_ITEMS}.",
            items.len()
        )));
    }
    let mut seen: Vec<String> = Vec::new();
    for item in &items {
        let id = item.id.to_ascii_lowercase();
        if seen.contains(&id) {
            return Err(GraphError::bad_request(format!(
                "Batch request contains a duplicate request id '{}'.",
                item.id
            )));
        }
        seen.push(id);
    }
    for item in &items {
        let has_content_type = item
            .headers
            .keys()
            .any(|name| name.eq_ignore_ascii_case("content-type"));
        if item.body.is_some() && !has_content_type {
            return Err(GraphError::bad_request(format!(
                "Write request id : {} does not contain Content-Type header or body.",
                item.id
            )));
        }
        if let Some(missing) = item
            .depends_on
            .iter()
            .find(|dep| !seen.contains(&dep.to_ascii_lowercase()))
        {
            return Err(GraphError::bad_request(format!(
                "Request id '{}' depends on request id '{missing}', which is not in the batch.",
                item.id
            )));
        }
    }
    Ok(items)
}

/// Runs the items, each after the items it depends on, and returns their responses in
/// shuffled order.
fn run(
    app: &App,
    items: &[BatchItem],
    authorization: Option<&str>,
    client_request_id: &str,
) -> Vec<Value> {
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::with_capacity(items.len());

    // Each pass runs every item whose dependencies have finished. A pass that runs
    // nothing means the remaining items depend on each other, and they fail with 424.
    let mut pending: Vec<&BatchItem> = items.iter().collect();
    while !pending.is_empty() {
        let (ready, waiting): (Vec<&BatchItem>, Vec<&BatchItem>) =
            pending.into_iter().partition(|item| {
                item.depends_on
                    .iter()
                    .all(|dep| statuses.contains_key(&dep.to_ascii_lowercase()))
            });
        let stalled = ready.is_empty();
        let runnable = if stalled { waiting.clone() } else { ready };
        pending = if stalled { Vec::new() } else { waiting };

        for item in runnable {
            let failed_dependency = stalled
                || item.depends_on.iter().any(|dep| {
                    statuses
                        .get(&dep.to_ascii_lowercase())
                        .is_none_or(|status| *status >= 400)
                });
            let response = if failed_dependency {
                failed_dependency_response(app, &item.id, client_request_id)
            } else {
                let url = if item.url.starts_with('/') {
                    item.url.clone()
                } else {
                    format!("/{}", item.url)
                };
                let call = GraphCall {
                    method: &item.method,
                    url: &url,
                    authorization,
                    client_request_id: Some(client_request_id),
                };
                let reply = execute(app, &call);
                item_response(&item.id, reply.status, &reply.headers, reply.body)
            };
            let status = response["status"]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(500);
            statuses.insert(item.id.to_ascii_lowercase(), status);
            responses.push(response);
        }
    }

    responses.shuffle(&mut rand::rng());
    responses
}

fn item_response(id: &str, status: StatusCode, headers: &[(&str, String)], body: Value) -> Value {
    let headers: Map<String, Value> = headers
        .iter()
        .filter(|(name, _)| !matches!(*name, "request-id" | "client-request-id"))
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    json!({ "id": id, "status": status.as_u16(), "headers": headers, "body": body })
}

fn failed_dependency_response(app: &App, id: &str, client_request_id: &str) -> Value {
    let error = GraphError::new(
        StatusCode::FAILED_DEPENDENCY,
        "FailedDependency",
        "Dependency failed.",
    );
    json!({
        "id": id,
        "status": error.status.as_u16(),
        "headers": { "Content-Type": ODATA_JSON },
        "body": error.body(app.state.now_unix(), &ids::guid(), client_request_id),
    })
}
