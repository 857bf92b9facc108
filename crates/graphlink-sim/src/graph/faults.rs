//! Graph errors that faults inject: per-capability errors, outages and the claims
//! challenges of continuous access evaluation (CAE).

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::errors::{GRAPH_WWW_AUTHENTICATE, GraphError};
use crate::model::GraphFault;

/// Reason for a claims challenge, sent as the `code` in Graph's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChallengeReason {
    /// The user's sessions were revoked after the token was issued.
    Revoked,
    /// A Conditional Access policy changed after the token was issued.
    PolicyChanged,
}

impl ChallengeReason {
    fn code(self) -> &'static str {
        match self {
            Self::Revoked => "TokenIssuedBeforeRevocationTimestamp",
            Self::PolicyChanged => "TokenCreatedWithOutdatedPolicies",
        }
    }
}

/// Builds Graph's 401 claims challenge for a CAE-capable token. The `claims` parameter
/// of `WWW-Authenticate` is standard base64 (it may end in `=`) of
/// `{"access_token":{"nbf":{"essential":true,"value":"<unix seconds>"}}}`, which
/// requests a token issued no earlier than `not_before_unix`.
pub(crate) fn claims_challenge(reason: ChallengeReason, not_before_unix: u64) -> GraphError {
    let claims =
        format!(r#"{{"access_token":{{"nbf":{{"essential":true,"value":"{not_before_unix}"}}}}}}"#);
    let mut error = GraphError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        format!(
            "Continuous access evaluation resulted in claims challenge with result: InteractionRequired and code: {}",
            reason.code()
        ),
    );
    error.www_authenticate = Some(format!(
        "{GRAPH_WWW_AUTHENTICATE}, error=\"insufficient_claims\", claims=\"{}\"",
        STANDARD.encode(claims)
    ));
    error
}

/// Builds the error of a `graph_errors` fault. Known codes get Graph's message text,
/// and a 429 also gets the `innerError` fields Graph adds to throttling errors.
pub(crate) fn injected(fault: &GraphFault) -> GraphError {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let message = message_for(&fault.code, status);
    let mut error = GraphError::new(status, fault.code.clone(), message);
    if status == StatusCode::TOO_MANY_REQUESTS {
        let status_text = status.as_u16().to_string();
        error.inner = vec![
            ("code", status_text.clone()),
            ("message", "Please retry after".to_owned()),
            ("status", status_text),
        ];
    }
    error.retry_after_secs = fault.retry_after_secs;
    error
}

/// Builds the error of a `graph_outage` fault.
// NOTE: Graph's codes for 502 and 504 are not documented, so `UnknownError` is a guess.
pub(crate) fn outage(status: u16, retry_after_secs: Option<u64>) -> GraphError {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(StatusCode::is_server_error)
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let code = match status {
        StatusCode::INTERNAL_SERVER_ERROR => "generalException",
        StatusCode::SERVICE_UNAVAILABLE => "serviceNotAvailable",
        _ => "UnknownError",
    };
    let mut error = GraphError::new(status, code, message_for(code, status));
    error.retry_after_secs = retry_after_secs;
    error
}

// NOTE: the texts of serviceNotAvailable, generalException and UnknownError follow
// Graph's error documentation, not recorded responses.
fn message_for(code: &str, status: StatusCode) -> String {
    let known = match code {
        "TooManyRequests" => "Please retry after",
        "ApplicationThrottled" => "Application is over its MailboxConcurrency limit.",
        "MailboxNotEnabledForRESTAPI" => {
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
        }
        "ResourceNotFound" => "Resource could not be discovered.",
        "ErrorAccessDenied" => "Access is denied. Check credentials and try again.",
        "Authorization_RequestDenied" => "Insufficient privileges to complete the operation.",
        "InvalidAuthenticationToken" => "Access token validation failure.",
        "serviceNotAvailable" => {
            "The service is not available. Try the request again after a delay. There may be a Retry-After header."
        }
        "generalException" => "An unspecified error has occurred.",
        _ => "",
    };
    if known.is_empty() {
        status
            .canonical_reason()
            .map_or_else(|| format!("HTTP {}", status.as_u16()), str::to_owned)
    } else {
        known.to_owned()
    }
}
