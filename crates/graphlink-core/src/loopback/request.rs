//! Parsing and routing of one request to the redirect port, and the replies.
//! Pure functions, so property tests can feed them any bytes.

use super::Callback;

/// The response to a request: status and the text of a small HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reply {
    pub status: u16,
    pub title: &'static str,
    pub detail: &'static str,
}

const TRY_AGAIN: &str = "Return to Graphlink and start the sign-in again if it is still waiting.";

impl Reply {
    pub const SIGNED_IN: Self = Self { status: 200, title: "Graphlink received your sign-in", detail: "You can close this tab and return to Graphlink." };
    pub const SIGN_IN_FAILED: Self = Self { status: 200, title: "The sign-in did not complete", detail: "You can close this tab. Graphlink explains what to do next." };
    pub const MALFORMED: Self = Self { status: 400, title: "This is not a valid HTTP request", detail: TRY_AGAIN };
    pub const WRONG_STATE: Self = Self { status: 400, title: "This response does not belong to the current Graphlink sign-in", detail: TRY_AGAIN };
    pub const INCOMPLETE: Self = Self { status: 400, title: "The sign-in response is incomplete", detail: TRY_AGAIN };
    pub const DUPLICATE_PARAMETER: Self = Self { status: 400, title: "The sign-in response repeats a parameter", detail: TRY_AGAIN };
    pub const NOT_FOUND: Self = Self { status: 404, title: "Graphlink serves nothing at this address", detail: TRY_AGAIN };
    pub const METHOD_NOT_ALLOWED: Self = Self { status: 405, title: "Graphlink accepts only GET requests here", detail: TRY_AGAIN };
    pub const REQUEST_TIMEOUT: Self = Self { status: 408, title: "The request was not sent in time", detail: TRY_AGAIN };
    pub const ALREADY_COMPLETED: Self = Self { status: 409, title: "This sign-in was already completed", detail: "You can close this tab." };
    pub const TOO_LARGE: Self = Self { status: 431, title: "The request is too large", detail: TRY_AGAIN };

    fn reason(self) -> &'static str {
        match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            409 => "Conflict",
            431 => "Request Header Fields Too Large",
            _ => "Error",
        }
    }

    /// Returns the complete HTTP/1.1 response. The page loads nothing, sends
    /// no referrer and is never cached, because its address carries the code.
    pub fn to_http(self) -> Vec<u8> {
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Graphlink</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}</style></head>\
             <body><h1>{}</h1><p>{}</p></body></html>",
            self.title, self.detail
        );
        let allow = if self.status == 405 { "Allow: GET\r\n" } else { "" };
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{allow}\
             Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
             Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nConnection: close\r\n\r\n{body}",
            self.status,
            self.reason(),
            body.len()
        )
        .into_bytes()
    }
}

/// The decision on a complete request.
#[derive(Debug)]
pub(super) enum Route {
    /// A response to this sign-in: hand it over once.
    Accept(Callback),
    Reject(Reply),
}

/// Returns the length of the request head (up to and including the blank
/// line) if `buffer` contains one, searching from byte `from` on. Lines may
/// end in CRLF or, as RFC 9112 allows a server to accept, a bare LF.
pub(super) fn head_end(buffer: &[u8], from: usize) -> Option<usize> {
    let start = from.min(buffer.len());
    (start..buffer.len()).find_map(|index| {
        let rest = &buffer[index..];
        if rest.starts_with(b"\r\n\r\n") {
            Some(index + 4)
        } else if rest.starts_with(b"\n\n") {
            Some(index + 2)
        } else if rest.starts_with(b"\n\r\n") {
            Some(index + 3)
        } else {
            None
        }
    })
}

/// The parameters of an authorization response that must appear at most once.
const SINGLE_PARAMETERS: [&str; 5] = ["state", "code", "error", "error_subcode", "error_description"];

/// Routes a request head: only `GET /` with the expected `state` and either
/// a `code` or an `error` is accepted.
pub(super) fn route(head: &[u8], expected_state: &str) -> Route {
    let line_end = head.iter().position(|&byte| byte == b'\n').unwrap_or(head.len());
    let Ok(line) = std::str::from_utf8(&head[..line_end]) else {
        return Route::Reject(Reply::MALFORMED);
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Route::Reject(Reply::MALFORMED);
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Route::Reject(Reply::MALFORMED);
    }
    if method != "GET" {
        return Route::Reject(Reply::METHOD_NOT_ALLOWED);
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/" {
        return Route::Reject(Reply::NOT_FOUND);
    }

    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let value = |name: &str| params.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    if SINGLE_PARAMETERS.iter().any(|name| params.iter().filter(|(key, _)| key == name).count() > 1) {
        return Route::Reject(Reply::DUPLICATE_PARAMETER);
    }
    if !value("state").is_some_and(|state| constant_time_eq(state.as_bytes(), expected_state.as_bytes())) {
        return Route::Reject(Reply::WRONG_STATE);
    }
    match (value("code"), value("error")) {
        (Some(code), None) if !code.is_empty() => Route::Accept(Callback::Code(code.into())),
        (None, Some(error)) if !error.is_empty() => {
            Route::Accept(Callback::Error { error, subcode: value("error_subcode"), description: value("error_description") })
        }
        _ => Route::Reject(Reply::INCOMPLETE),
    }
}

/// Compares without stopping at the first difference, so response time
/// reveals nothing about the expected `state`.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests;
