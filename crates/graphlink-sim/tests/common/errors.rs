//! Assertions on the error shapes of Entra's token endpoint and of Graph.

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::{TokenReply, string_field};

/// Returns the header `name` as text, or "" when it is absent or not ASCII.
fn header_or_empty(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn is_guid(value: &str) -> bool {
    uuid::Uuid::parse_str(value).is_ok() && value.len() == 36
}

/// Asserts every field of Entra's token error shape and its headers.
pub fn assert_entra_error(
    reply: &TokenReply,
    base: &str,
    error: &str,
    code: u64,
    suberror: Option<&str>,
) {
    let body = &reply.body;
    let fields = body.as_object().expect("error body is an object");
    assert_eq!(body["error"], error, "error in {body}");
    assert_eq!(
        body["error_codes"],
        serde_json::json!([code]),
        "error_codes in {body}"
    );

    let trace_id = string_field(body, "trace_id");
    let correlation_id = string_field(body, "correlation_id");
    let timestamp = string_field(body, "timestamp");
    assert!(is_guid(trace_id), "trace_id {trace_id} is a GUID");
    assert!(
        is_guid(correlation_id),
        "correlation_id {correlation_id} is a GUID"
    );
    assert_eq!(
        timestamp.len(),
        20,
        "timestamp {timestamp} looks like 2026-12-04 13:56:27Z"
    );
    assert_eq!(&timestamp[10..11], " ");
    assert!(timestamp.ends_with('Z'));

    let description = string_field(body, "error_description");
    let lines: Vec<&str> = description.split("\r\n").collect();
    assert_eq!(
        lines.len(),
        4,
        "description has four CRLF-separated lines: {description:?}"
    );
    assert!(
        lines[0].starts_with(&format!("AADSTS{code}: ")),
        "first line {:?}",
        lines[0]
    );
    assert!(
        lines[0].len() > format!("AADSTS{code}: ").len() + 10,
        "description text present"
    );
    assert_eq!(lines[1], format!("Trace ID: {trace_id}"));
    assert_eq!(lines[2], format!("Correlation ID: {correlation_id}"));
    assert_eq!(lines[3], format!("Timestamp: {timestamp}"));

    assert_eq!(body["error_uri"], format!("{base}/error?code={code}"));
    match suberror {
        Some(expected) => assert_eq!(body["suberror"], expected, "suberror in {body}"),
        None => assert!(
            !fields.contains_key("suberror"),
            "no suberror expected in {body}"
        ),
    }
    let mut expected_keys = vec![
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    ];
    if suberror.is_some() {
        expected_keys.push("suberror");
    }
    if fields.contains_key("claims") {
        expected_keys.push("claims");
    }
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.sort_unstable();
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys);

    let header = |name: &str| header_or_empty(&reply.headers, name);
    assert_eq!(header("cache-control"), "no-store, no-cache");
    assert_eq!(header("x-ms-request-id"), trace_id);
    assert!(header("content-type").starts_with("application/json"));
}

/// Asserts Graph's error shape: status, code, message and `innerError`.
pub fn assert_graph_error(
    status: u16,
    headers: &HeaderMap,
    body: &Value,
    expected_status: u16,
    code: &str,
) {
    assert_eq!(status, expected_status, "status of {body}");
    assert_eq!(body["error"]["code"], code, "code in {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let inner = &body["error"]["innerError"];
    let date = inner["date"].as_str().expect("innerError.date");
    assert_eq!(date.len(), 19, "date {date} looks like 2026-12-04T13:56:26");
    assert_eq!(&date[10..11], "T");
    assert_eq!(inner["request-id"], header_or_empty(headers, "request-id"));
    assert_eq!(
        inner["client-request-id"],
        header_or_empty(headers, "client-request-id")
    );
}
