//! The Graph health probe: one `$batch` request that reads the profile, the
//! inbox folder and the calendar, so a check costs one round trip.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::http::{self, TransportError};

/// One capability the probe checks, with the batch item that proves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    Profile,
    Mail,
    Calendar,
}

impl Capability {
    pub const ALL: [Self; 3] = [Self::Profile, Self::Mail, Self::Calendar];

    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::Mail => "mail",
            Self::Calendar => "calendar",
        }
    }

    const fn url(self) -> &'static str {
        match self {
            Self::Profile => "/me",
            Self::Mail => "/me/mailFolders/inbox",
            Self::Calendar => "/me/calendar",
        }
    }
}

/// The response to one batch item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    pub capability: Capability,
    pub status: u16,
    /// Graph's error `code`, when the item failed.
    pub code: Option<String>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    /// The `WWW-Authenticate` header, for claims challenges.
    pub www_authenticate: Option<String>,
}

/// The outcome of a probe that received an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeResult {
    /// The batch ran; each item has its own status.
    Items(Vec<ItemResult>),
    /// The batch request itself failed.
    Rejected { status: u16, code: Option<String>, retry_after: Option<Duration> },
}

#[derive(Deserialize)]
struct BatchResponse {
    responses: Vec<BatchItem>,
}

#[derive(Deserialize)]
struct BatchItem {
    id: String,
    status: u16,
    #[serde(default)]
    headers: std::collections::HashMap<String, String>,
    #[serde(default)]
    body: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    code: String,
}

/// Runs the probe.
///
/// # Errors
///
/// Returns a [`TransportError`] when Graph sent no HTTP response.
pub async fn probe(client: &reqwest::Client, graph_url: &Url, access_token: &SecretString) -> Result<ProbeResult, TransportError> {
    let requests: Vec<_> = Capability::ALL
        .iter()
        .map(|capability| json!({"id": capability.id(), "method": "GET", "url": capability.url()}))
        .collect();
    let url = format!("{}/$batch", graph_url.as_str().trim_end_matches('/'));
    let request = client.post(url).bearer_auth(access_token.expose_secret()).json(&json!({ "requests": requests }));
    let http::Reply { status, retry_after, body } = http::send(request).await?;
    if !status.is_success() {
        let code = serde_json::from_slice::<GraphErrorBody>(&body).ok().map(|body| body.error.code);
        return Ok(ProbeResult::Rejected { status: status.as_u16(), code, retry_after });
    }
    let Ok(batch) = serde_json::from_slice::<BatchResponse>(&body) else {
        return Ok(ProbeResult::Rejected { status: status.as_u16(), code: Some("UnreadableBatchResponse".into()), retry_after });
    };
    Ok(ProbeResult::Items(match_items(batch)))
}

/// Matches batch responses to capabilities by `id`, since Graph returns them
/// in any order. A missing item counts as a 502 so it is never read as success.
fn match_items(batch: BatchResponse) -> Vec<ItemResult> {
    Capability::ALL
        .iter()
        .map(|capability| {
            let Some(item) = batch.responses.iter().find(|item| item.id.eq_ignore_ascii_case(capability.id())) else {
                return ItemResult { capability: *capability, status: 502, code: Some("MissingBatchItem".into()), request_id: None, retry_after: None, www_authenticate: None };
            };
            let header = |name: &str| {
                item.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.clone())
            };
            let code = (item.status >= 400)
                .then(|| item.body.clone().and_then(|body| serde_json::from_value::<GraphErrorBody>(body).ok()))
                .flatten()
                .map(|body| body.error.code);
            ItemResult {
                capability: *capability,
                status: item.status,
                code,
                request_id: header("request-id"),
                retry_after: header("retry-after").and_then(|value| value.trim().parse().ok()).map(Duration::from_secs),
                www_authenticate: header("www-authenticate"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_matched_in_any_order() {
        let batch: BatchResponse = serde_json::from_value(json!({"responses": [
            {"id": "calendar", "status": 403, "headers": {"Retry-After": "3"}, "body": {"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}}},
            {"id": "profile", "status": 200, "body": {}},
        ]}))
        .expect("valid batch");
        let items = match_items(batch);
        assert_eq!(items[0].status, 200);
        assert_eq!(items[1].status, 502, "missing mail item must not count as success");
        assert_eq!(items[2].code.as_deref(), Some("ErrorAccessDenied"));
        assert_eq!(items[2].retry_after, Some(Duration::from_secs(3)));
    }
}
