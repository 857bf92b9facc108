//! Requests to the Graph endpoints under `/v1.0`.

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::Sim;

/// Sends `request` with an optional bearer token and returns the status, headers and
/// JSON body of the response. `what` names the request in panic messages.
async fn send_for_json(
    request: reqwest::RequestBuilder,
    access_token: Option<&str>,
    what: &str,
) -> (u16, HeaderMap, Value) {
    let request = match access_token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request
        .send()
        .await
        .unwrap_or_else(|error| panic!("{what} request failed: {error}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .json()
        .await
        .unwrap_or_else(|error| panic!("{what} response body is not JSON: {error}"));
    (status, headers, body)
}

pub async fn graph_get(
    sim: &Sim,
    path: &str,
    access_token: Option<&str>,
) -> (u16, HeaderMap, Value) {
    let request = sim.client.get(format!("{}/v1.0{path}", sim.base));
    send_for_json(request, access_token, "Graph").await
}

/// Posts a `$batch` body with an optional bearer token.
pub async fn send_batch(sim: &Sim, token: Option<&str>, body: &Value) -> (u16, HeaderMap, Value) {
    let request = sim
        .client
        .post(format!("{}/v1.0/$batch", sim.base))
        .json(body);
    send_for_json(request, token, "batch").await
}

/// Returns the batch item with `id`.
pub fn batch_item<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["responses"]
        .as_array()
        .expect("responses array")
        .iter()
        .find(|item| item["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {body}"))
}
