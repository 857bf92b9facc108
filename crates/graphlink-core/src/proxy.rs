//! The proxy settings from the environment, as the HTTP client applies them
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, upper or lower
//! case), for diagnostics and the TLS check. Passwords are never shown.
//!
//! NOTE: on macOS and Windows the HTTP client also reads the system proxy
//! settings, which this module does not see. There `graphlink doctor` shows
//! only the environment.

use serde::{Deserialize, Serialize};
use url::Url;

/// One proxy variable as set in the environment, with credentials removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyVariable {
    pub name: String,
    pub value: String,
}

/// Returns the proxy variables that are set, credentials redacted.
#[must_use]
pub fn variables(lookup: impl Fn(&str) -> Option<String>) -> Vec<ProxyVariable> {
    let names = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];
    names
        .iter()
        .filter_map(|name| {
            let value = lookup(name).filter(|value| !value.trim().is_empty())?;
            let shown = if name.eq_ignore_ascii_case("NO_PROXY") { value } else { redact_text(&value) };
            Some(ProxyVariable { name: (*name).to_owned(), value: shown })
        })
        .collect()
}

/// Returns the proxy the HTTP client uses for `url`, from the process environment.
#[must_use]
pub fn for_url(url: &Url) -> Option<Url> {
    for_url_with(url, |name| std::env::var(name).ok())
}

/// Returns the proxy for `url` given the variables that `lookup` returns.
#[must_use]
pub fn for_url_with(url: &Url, lookup: impl Fn(&str) -> Option<String>) -> Option<Url> {
    let either = |upper: &str| lookup(upper).or_else(|| lookup(&upper.to_ascii_lowercase())).filter(|value| !value.trim().is_empty());
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    if let Some(no_proxy) = either("NO_PROXY")
        && excluded(&host, &no_proxy)
    {
        return None;
    }
    let specific = if url.scheme() == "https" { either("HTTPS_PROXY") } else { either("HTTP_PROXY") };
    let value = specific.or_else(|| either("ALL_PROXY"))?;
    let value = if value.contains("://") { value } else { format!("http://{value}") };
    Url::parse(value.trim()).ok()
}

/// True when `NO_PROXY` covers `host`: `*`, the host itself, or a parent
/// domain (with or without a leading dot).
fn excluded(host: &str, no_proxy: &str) -> bool {
    no_proxy.split(',').map(|entry| entry.trim().to_ascii_lowercase()).filter(|entry| !entry.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        let domain = entry.trim_start_matches('.');
        host == domain || host.ends_with(&format!(".{domain}"))
    })
}

/// Returns a proxy URL without user name and password.
#[must_use]
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() || shown.password().is_some() {
        let _ = shown.set_username("***");
        let _ = shown.set_password(None);
    }
    shown.to_string()
}

fn redact_text(value: &str) -> String {
    let parsed = if value.contains("://") { Url::parse(value.trim()) } else { Url::parse(&format!("http://{}", value.trim())) };
    match parsed {
        Ok(url) => redact(&url),
        // Not a URL: show only what precedes a possible `user:password@`.
        Err(_) => value.rsplit('@').next().unwrap_or_default().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
    }

    #[test]
    fn https_proxy_applies_unless_excluded() {
        let pairs = [("HTTPS_PROXY", "http://proxy.corp:3128"), ("no_proxy", "localhost,.internal.example")];
        let url = Url::parse("https://graph.microsoft.com/v1.0").expect("url");
        assert_eq!(for_url_with(&url, env(&pairs)).map(|proxy| proxy.to_string()).as_deref(), Some("http://proxy.corp:3128/"));
        let internal = Url::parse("https://login.internal.example/").expect("url");
        assert_eq!(for_url_with(&internal, env(&pairs)), None);
    }

    #[test]
    fn credentials_never_shown() {
        let pairs = [("HTTPS_PROXY", "http://rep:canary-password@proxy.corp:3128"), ("ALL_PROXY", "rep:canary-password@proxy.corp:1080")];
        let shown = variables(env(&pairs));
        let text = format!("{shown:?}");
        assert!(!text.contains("canary"), "{text}");
        assert!(text.contains("proxy.corp:3128"), "{text}");
    }
}
