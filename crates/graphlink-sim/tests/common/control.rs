//! Requests to the simulator's control API under `/_sim`.

use serde_json::Value;

use super::Sim;

/// Sends a control request with an optional JSON body and returns the status and the
/// JSON response, or `Value::Null` for an empty body.
pub async fn control(
    sim: &Sim,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = sim
        .client
        .request(method, format!("{}/_sim{path}", sim.base));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("control request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("control body");
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON")
        },
    )
}

/// Puts `body` as the faults of `user`. The body goes as raw text without a
/// `content-type` header, because the control API parses it as JSON either way.
pub async fn put_user_faults(sim: &Sim, user: &str, body: impl Into<String>) -> reqwest::Response {
    sim.client
        .put(format!("{}/_sim/users/{user}/faults", sim.base))
        .body(body.into())
        .send()
        .await
        .expect("control request")
}
