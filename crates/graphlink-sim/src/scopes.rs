//! Scope parsing and normalisation.
//!
//! Entra treats `User.Read` and `https://graph.microsoft.com/User.Read` as the same
//! scope, compares scope names case-insensitively, and handles the OpenID Connect scopes
//! (`openid`, `profile`, `email`, `offline_access`) apart from resource scopes: they need
//! no consent page. Resource scopes are stored here as full URIs in their usual spelling.

use std::collections::BTreeMap;

/// Resource URI of Microsoft Graph.
pub(crate) const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";

/// Application ID of Microsoft Graph, also accepted as a scope prefix.
pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The OpenID Connect scopes, in the order Entra lists them.
pub(crate) const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Graph permissions with their usual spelling and the text of the consent page.
/// Other names are accepted too and keep the caller's spelling.
const KNOWN_GRAPH_SCOPES: [(&str, &str); 11] = [
    ("User.Read", "Sign you in and read your profile"),
    ("User.ReadBasic.All", "Read all users' basic profiles"),
    ("Mail.Read", "Read your mail"),
    ("Mail.ReadBasic", "Read user basic mail"),
    ("Mail.ReadWrite", "Read and write access to your mail"),
    ("Mail.Send", "Send mail as you"),
    ("Calendars.Read", "Read your calendars"),
    (
        "Calendars.ReadBasic",
        "Read user basic details of calendars",
    ),
    ("Calendars.ReadWrite", "Have full access to your calendars"),
    ("MailboxSettings.Read", "Read your mailbox settings"),
    (
        "MailboxSettings.ReadWrite",
        "Read and write to your mailbox settings",
    ),
];

/// Permissions that `https://graph.microsoft.com/.default` stands for when the user has
/// not consented to any Graph scope yet: the simulated app registration's static list.
pub(crate) const STATIC_GRAPH_PERMISSIONS: [&str; 4] = [
    "User.Read",
    "Mail.Read",
    "Calendars.Read",
    "MailboxSettings.Read",
];

/// A set of resource scopes (full URIs), compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScopeSet(BTreeMap<String, String>);

impl ScopeSet {
    pub(crate) fn insert(&mut self, scope: &str) {
        self.0.insert(scope.to_ascii_lowercase(), scope.to_owned());
    }

    pub(crate) fn contains(&self, scope: &str) -> bool {
        self.0.contains_key(&scope.to_ascii_lowercase())
    }

    pub(crate) fn extend<'a>(&mut self, scopes: impl IntoIterator<Item = &'a str>) {
        for scope in scopes {
            self.insert(scope);
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Scopes of `resource` (for example `https://graph.microsoft.com`).
    pub(crate) fn of_resource(&self, resource: &str) -> ScopeSet {
        let mut set = ScopeSet::default();
        set.extend(
            self.iter()
                .filter(|scope| resource_of(scope).eq_ignore_ascii_case(resource)),
        );
        set
    }

    /// Scopes of this set that `granted` lacks.
    pub(crate) fn missing_from(&self, granted: &ScopeSet) -> Vec<String> {
        self.iter()
            .filter(|scope| !granted.contains(scope))
            .map(str::to_owned)
            .collect()
    }

    /// Space-separated short names, as the `scp` claim lists them.
    pub(crate) fn short_names(&self) -> Vec<&str> {
        self.iter().map(short_name).collect()
    }
}

impl<'a> FromIterator<&'a str> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut set = ScopeSet::default();
        set.extend(iter);
        set
    }
}

/// The `scope` parameter of a request, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RequestedScopes {
    /// OpenID Connect scopes present, lower case.
    pub(crate) oidc: Vec<&'static str>,
    /// Resource scopes as full URIs, in request order, without duplicates.
    pub(crate) resource_scopes: Vec<String>,
    /// Resource whose `.default` scope was requested.
    pub(crate) default_of: Option<String>,
}

/// Reason a `scope` parameter was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScopeError {
    /// No scope at all.
    Missing,
    /// `.default` combined with other scopes of the same resource.
    DefaultMixed(String),
}

impl RequestedScopes {
    /// Parses a space-separated `scope` parameter.
    pub(crate) fn parse(raw: &str) -> Result<Self, ScopeError> {
        let mut parsed = RequestedScopes::default();

        for token in raw.split_whitespace() {
            if let Some(oidc) = OIDC_SCOPES.iter().find(|s| s.eq_ignore_ascii_case(token)) {
                if !parsed.oidc.contains(oidc) {
                    parsed.oidc.push(oidc);
                }
                continue;
            }
            let full = to_full_uri(token);
            if short_name(&full) == ".default" {
                parsed.default_of = Some(resource_of(&full).to_owned());
                continue;
            }
            if !parsed
                .resource_scopes
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&full))
            {
                parsed.resource_scopes.push(full);
            }
        }

        if parsed.oidc.is_empty()
            && parsed.resource_scopes.is_empty()
            && parsed.default_of.is_none()
        {
            return Err(ScopeError::Missing);
        }
        if let Some(resource) = &parsed.default_of
            && let Some(mixed) = parsed
                .resource_scopes
                .iter()
                .find(|s| resource_of(s).eq_ignore_ascii_case(resource))
        {
            return Err(ScopeError::DefaultMixed(mixed.clone()));
        }
        Ok(parsed)
    }

    pub(crate) fn has(&self, oidc_scope: &str) -> bool {
        self.oidc.contains(&oidc_scope)
    }

    /// Resource the access token is issued for: that of the first resource scope, as
    /// Entra does for multi-resource requests, else Graph.
    pub(crate) fn token_resource(&self) -> String {
        self.resource_scopes
            .first()
            .map(|s| resource_of(s).to_owned())
            .or_else(|| self.default_of.clone())
            .unwrap_or_else(|| GRAPH_RESOURCE.to_owned())
    }

    /// Expands the request to the resource scopes that need consent. `.default` is
    /// replaced by the scopes of that resource already in `granted`, or by the app's
    /// static permissions when `granted` contains none.
    pub(crate) fn expand(&self, granted: &ScopeSet) -> ScopeSet {
        let mut set: ScopeSet = self.resource_scopes.iter().map(String::as_str).collect();
        if let Some(resource) = &self.default_of {
            let already = granted.of_resource(resource);
            if !already.is_empty() {
                set.extend(already.iter());
            } else if resource.eq_ignore_ascii_case(GRAPH_RESOURCE) {
                for name in STATIC_GRAPH_PERMISSIONS {
                    set.insert(&format!("{GRAPH_RESOURCE}/{name}"));
                }
            }
        }
        set
    }
}

/// Converts a scope to its full URI form, with the usual spelling for known Graph names.
fn to_full_uri(token: &str) -> String {
    let graph_prefixes = [format!("{GRAPH_RESOURCE}/"), format!("{GRAPH_APP_ID}/")];
    for prefix in &graph_prefixes {
        if token.len() > prefix.len() && token[..prefix.len()].eq_ignore_ascii_case(prefix) {
            return graph_uri(&token[prefix.len()..]);
        }
    }
    if token.contains("://") {
        return token.to_owned();
    }
    graph_uri(token)
}

fn graph_uri(name: &str) -> String {
    let canonical = KNOWN_GRAPH_SCOPES
        .iter()
        .map(|(known, _)| *known)
        .find(|known| known.eq_ignore_ascii_case(name))
        .unwrap_or(name);
    format!("{GRAPH_RESOURCE}/{canonical}")
}

/// Resource part of a full scope URI (`https://graph.microsoft.com` for
/// `https://graph.microsoft.com/User.Read`).
pub(crate) fn resource_of(scope: &str) -> &str {
    scope
        .rsplit_once('/')
        .map_or(scope, |(resource, _)| resource)
}

/// Permission name of a full scope URI (`User.Read`).
pub(crate) fn short_name(scope: &str) -> &str {
    scope.rsplit_once('/').map_or(scope, |(_, name)| name)
}

/// Text shown for a scope on the consent page.
pub(crate) fn describe(scope: &str) -> String {
    match scope {
        "openid" | "profile" => return "View your basic profile".to_owned(),
        "email" => return "View your email address".to_owned(),
        "offline_access" => {
            return "Maintain access to data you have given it access to".to_owned();
        }
        _ => {}
    }
    let name = short_name(scope);
    let known = KNOWN_GRAPH_SCOPES
        .iter()
        .find(|(known, _)| resource_of(scope) == GRAPH_RESOURCE && *known == name);
    match known {
        Some((_, text)) => (*text).to_owned(),
        None => format!("Access {scope}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_prefix_and_case() {
        let parsed = RequestedScopes::parse(
            "openid Profile offline_access user.read https://graph.microsoft.com/Mail.Read",
        )
        .expect("valid scope");

        assert_eq!(parsed.oidc, vec!["openid", "profile", "offline_access"]);
        assert_eq!(
            parsed.resource_scopes,
            vec![
                "https://graph.microsoft.com/User.Read".to_owned(),
                "https://graph.microsoft.com/Mail.Read".to_owned(),
            ]
        );
        assert_eq!(parsed.token_resource(), GRAPH_RESOURCE);
    }

    #[test]
    fn parse_rejects_default_mixed_with_dynamic() {
        let error = RequestedScopes::parse("https://graph.microsoft.com/.default User.Read")
            .expect_err("mixed .default must be rejected");

        assert_eq!(
            error,
            ScopeError::DefaultMixed("https://graph.microsoft.com/User.Read".to_owned())
        );
    }

    #[test]
    fn parse_rejects_blank() {
        assert_eq!(RequestedScopes::parse("  "), Err(ScopeError::Missing));
    }

    #[test]
    fn default_expands_to_granted_or_static() {
        let parsed = RequestedScopes::parse("https://graph.microsoft.com/.default openid")
            .expect("valid scope");

        let from_static = parsed.expand(&ScopeSet::default());
        assert_eq!(
            from_static.short_names(),
            vec![
                "Calendars.Read",
                "Mail.Read",
                "MailboxSettings.Read",
                "User.Read"
            ]
        );

        let granted: ScopeSet = ["https://graph.microsoft.com/User.Read"]
            .into_iter()
            .collect();
        assert_eq!(parsed.expand(&granted).short_names(), vec!["User.Read"]);
    }

    #[test]
    fn scope_set_ignores_case() {
        let set: ScopeSet = ["https://graph.microsoft.com/Mail.Read"]
            .into_iter()
            .collect();

        assert!(set.contains("https://graph.microsoft.com/mail.read"));
        assert!(!set.contains("https://graph.microsoft.com/Mail.ReadBasic"));
    }
}
