//! Error responses in the shapes Entra ID's token service and Microsoft Graph send.

use std::borrow::Cow;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::clock::{graph_date, sts_timestamp};
use crate::{App, ids};

/// The `client-request-id` request header. Entra reports it as the correlation ID and
/// Graph echoes it. Both generate one when it is absent.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientRequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientRequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_request_id(&parts.headers)))
    }
}

pub(crate) fn client_request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("client-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map(str::to_owned)
}

/// An OAuth error from the token service, rendered as Entra renders it:
/// `{"error","error_description":"AADSTSn: text\r\nTrace ID: …\r\nCorrelation ID: …\r\n
/// Timestamp: …","error_codes":[n],"timestamp","trace_id","correlation_id","error_uri",
/// "suberror"?,"claims"?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StsError {
    pub status: StatusCode,
    pub error: &'static str,
    pub code: u32,
    /// Entra's description text, without the `AADSTSn: ` prefix.
    pub message: String,
    pub suberror: Option<&'static str>,
    /// A JSON string, as MSAL expects it.
    pub claims: Option<String>,
    pub retry_after_secs: Option<u64>,
}

/// The generated parts of one error occurrence.
struct Occurrence {
    trace_id: String,
    correlation_id: String,
    timestamp: String,
}

impl Occurrence {
    fn new(client_request_id: Option<&str>, now_unix: u64) -> Self {
        let correlation_id = client_request_id
            .filter(|id| ids::is_guid(id))
            .map_or_else(ids::guid, str::to_ascii_lowercase);
        Self {
            trace_id: ids::guid(),
            correlation_id,
            timestamp: sts_timestamp(now_unix),
        }
    }
}

impl StsError {
    /// Creates a 400 error with no suberror.
    pub(crate) fn new(error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            code,
            message: message.into(),
            suberror: None,
            claims: None,
            retry_after_secs: None,
        }
    }

    pub(crate) fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn suberror(mut self, suberror: &'static str) -> Self {
        self.suberror = Some(suberror);
        self
    }

    pub(crate) fn claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    fn description(&self, occurrence: &Occurrence) -> String {
        format!(
            "AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
            self.code,
            self.message,
            occurrence.trace_id,
            occurrence.correlation_id,
            occurrence.timestamp
        )
    }

    fn error_uri(&self, base_url: &str) -> String {
        format!("{base_url}/error?code={}", self.code)
    }

    /// Renders the JSON response of the token and device code endpoints.
    pub(crate) fn into_json_response(self, app: &App, client_request_id: Option<&str>) -> Response {
        let base_url = &app.base_url;
        let occurrence = Occurrence::new(client_request_id, app.state.now_unix());
        tracing::info!(
            status = self.status.as_u16(),
            error = self.error,
            code = self.code,
            trace_id = %occurrence.trace_id,
            "token service error"
        );
        let mut body = Map::new();
        body.insert("error".into(), json!(self.error));
        body.insert(
            "error_description".into(),
            json!(self.description(&occurrence)),
        );
        body.insert("error_codes".into(), json!([self.code]));
        body.insert("timestamp".into(), json!(occurrence.timestamp));
        body.insert("trace_id".into(), json!(occurrence.trace_id));
        body.insert("correlation_id".into(), json!(occurrence.correlation_id));
        body.insert("error_uri".into(), json!(self.error_uri(base_url)));
        if let Some(suberror) = self.suberror {
            body.insert("suberror".into(), json!(suberror));
        }
        if let Some(claims) = &self.claims {
            body.insert("claims".into(), json!(claims));
        }

        let mut response = (self.status, axum::Json(Value::Object(body))).into_response();
        let headers = response.headers_mut();
        insert_sts_headers(headers, &occurrence.trace_id, client_request_id);
        insert_header(headers, "x-ms-clitelem", &format!("1,{},0,,", self.code));
        if let Some(secs) = self.retry_after_secs {
            insert_header(headers, header::RETRY_AFTER.as_str(), &secs.to_string());
        }
        response
    }

    /// Query parameters of an error redirect from `/authorize`:
    /// `error`, `error_description` (with trace lines, as Entra sends them), `error_uri`.
    pub(crate) fn redirect_params(&self, base_url: &str, now_unix: u64) -> Vec<(String, String)> {
        let occurrence = Occurrence::new(None, now_unix);
        vec![
            ("error".to_owned(), self.error.to_owned()),
            (
                "error_description".to_owned(),
                self.description(&occurrence),
            ),
            ("error_uri".to_owned(), self.error_uri(base_url)),
        ]
    }
}

/// Renders an HTML error page with `status` (a 4xx or 5xx, else 503), as a reverse
/// proxy or a maintenance page sends instead of the service's JSON.
pub(crate) fn html_error_page(status: u16) -> Response {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|status| status.is_client_error() || status.is_server_error())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<!DOCTYPE html>\n<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n\
         <p>The service is temporarily unavailable. Please try again later.</p>\n</body>\n</html>\n"
    );
    let mut response = (status, body).into_response();
    insert_header(
        response.headers_mut(),
        header::CONTENT_TYPE.as_str(),
        "text/html; charset=utf-8",
    );
    response
}

/// Headers of every token service JSON response, success or error.
pub(crate) fn insert_sts_headers(
    headers: &mut HeaderMap,
    request_id: &str,
    client_request_id: Option<&str>,
) {
    insert_header(
        headers,
        header::CACHE_CONTROL.as_str(),
        "no-store, no-cache",
    );
    insert_header(headers, header::PRAGMA.as_str(), "no-cache");
    insert_header(headers, header::EXPIRES.as_str(), "-1");
    insert_header(headers, "x-ms-request-id", request_id);
    insert_header(headers, "x-ms-ests-server", "graphlink-sim");
    if let Some(id) = client_request_id {
        insert_header(headers, "client-request-id", id);
    }
}

pub(crate) fn insert_header(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        header::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}

/// A Microsoft Graph error: `{"error":{"code","message","innerError":{"date",
/// "request-id","client-request-id"}}}`, with its `Retry-After` and `WWW-Authenticate`
/// headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GraphError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: String,
    /// Extra `innerError` fields, such as the `code`, `message` and `status` of a 429.
    pub inner: Vec<(&'static str, String)>,
    pub retry_after_secs: Option<u64>,
    /// `WWW-Authenticate` of a 401, when it differs from [`GRAPH_WWW_AUTHENTICATE`].
    pub www_authenticate: Option<String>,
}

impl GraphError {
    pub(crate) fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            inner: Vec::new(),
            retry_after_secs: None,
            www_authenticate: None,
        }
    }

    pub(crate) fn body(&self, now_unix: u64, request_id: &str, client_request_id: &str) -> Value {
        let mut inner = Map::new();
        inner.insert("date".into(), json!(graph_date(now_unix)));
        inner.insert("request-id".into(), json!(request_id));
        inner.insert("client-request-id".into(), json!(client_request_id));
        for (name, value) in &self.inner {
            inner.insert((*name).to_owned(), json!(value));
        }
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": inner,
            }
        })
    }

    /// Returns the response headers this error adds: `WWW-Authenticate` for a 401 and
    /// `Retry-After` when set.
    pub(crate) fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = self
                .www_authenticate
                .clone()
                .unwrap_or_else(|| GRAPH_WWW_AUTHENTICATE.to_owned());
            headers.push(("WWW-Authenticate", challenge));
        }
        if let Some(secs) = self.retry_after_secs {
            headers.push(("Retry-After", secs.to_string()));
        }
        headers
    }

    pub(crate) fn access_token_empty() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        )
    }

    pub(crate) fn token_unparsable() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "CompactToken parsing failed with error code: 80049217",
        )
    }

    pub(crate) fn token_expired() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        )
    }

    pub(crate) fn invalid_audience() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        )
    }

    /// Builds Exchange Online's error for a token without a mail or calendar scope.
    pub(crate) fn access_denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        )
    }

    /// Builds the directory's error for a token without a user profile scope.
    pub(crate) fn insufficient_privileges() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }
}

/// The fixed `WWW-Authenticate` value Graph sends with a 401. It names Entra's real
/// authorize endpoint, which the simulator never contacts.
pub(crate) const GRAPH_WWW_AUTHENTICATE: &str = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";
