//! Redirects back to the app's redirect URI.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::{Host, Url};

use crate::App;
use crate::errors::StsError;
use crate::identity::pages;
use crate::store::ResponseMode;

/// Checks that `uri` is a redirect URI this simulator accepts: plain `http` to `localhost`
/// or `127.0.0.1`, any port and path. Entra ignores the port of loopback redirect URIs
/// and does not support `[::1]`.
pub(crate) fn is_loopback_redirect(uri: &str) -> bool {
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    let loopback_host = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        _ => false,
    };
    url.scheme() == "http" && loopback_host && url.fragment().is_none() && url.username().is_empty()
}

/// `302 Found` to `uri` with `params` appended to its query.
pub(crate) fn to_uri(uri: &str, params: &[(String, String)]) -> Response {
    let location = match Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        Err(_) => uri.to_owned(),
    };
    found(&location)
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

/// Delivers the result of an authorize request in its `response_mode`.
pub(crate) fn deliver(uri: &str, mode: ResponseMode, params: &[(String, String)]) -> Response {
    match mode {
        ResponseMode::Query => to_uri(uri, params),
        ResponseMode::Fragment => {
            let fragment = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            match Url::parse(uri) {
                Ok(mut url) => {
                    url.set_fragment(Some(&fragment));
                    found(url.as_str())
                }
                Err(_) => found(uri),
            }
        }
        ResponseMode::FormPost => pages::form_post(uri, params),
    }
}

/// Delivers an error: `error`, `error_description`, `error_uri`, then `extra`
/// (`error_subcode`, `admin_consent`) and `state`.
pub(crate) fn deliver_error(
    app: &App,
    uri: &str,
    mode: ResponseMode,
    error: &StsError,
    extra: &[(&str, &str)],
    state: Option<&str>,
) -> Response {
    tracing::info!(
        error = error.error,
        code = error.code,
        "authorize error redirected to the app"
    );
    let mut params = error.redirect_params(&app.base_url, app.state.now_unix());
    params.extend(
        extra
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    if let Some(state) = state {
        params.push(("state".to_owned(), state.to_owned()));
    }
    deliver(uri, mode, &params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_accepted() {
        assert!(is_loopback_redirect("http://localhost:53211/"));
        assert!(is_loopback_redirect("http://127.0.0.1:8400/callback"));
        assert!(is_loopback_redirect("http://localhost"));
    }

    #[test]
    fn other_redirects_rejected() {
        for uri in [
            "https://localhost:8400/",
            "http://[::1]:8400/",
            "http://127.0.0.2:8400/",
            "http://example.com/",
            "http://localhost:8400/#x",
            "not a url",
        ] {
            assert!(!is_loopback_redirect(uri), "{uri} must be rejected");
        }
    }
}
