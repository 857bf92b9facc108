//! Claims challenges of continuous access evaluation (CAE).
//!
//! Graphlink declares the `cp1` client capability, so Graph may respond with 401
//! with `WWW-Authenticate: Bearer …, error="insufficient_claims",
//! claims="<base64 JSON>"` when a token was revoked or a policy changed. The
//! client then refreshes with those claims, and when that is refused, signs
//! in again with the same claims on the authorization request.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// Returns the `claims` parameter that declares the `cp1` capability.
#[must_use]
pub fn client_capabilities() -> String {
    merge_claims(None)
}

/// Merges a challenge's claims with the `cp1` capability, as a JSON string
/// for the `claims` parameter of a token or authorization request. A
/// challenge that is not a JSON object is ignored and only `cp1` is sent.
#[must_use]
pub fn merge_claims(challenge: Option<&str>) -> String {
    let mut claims = challenge
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let access_token = claims
        .as_object_mut()
        .map(|object| object.entry("access_token").or_insert_with(|| json!({})));
    if let Some(Value::Object(access_token)) = access_token {
        access_token.insert("xms_cc".into(), json!({ "values": ["cp1"] }));
    }
    claims.to_string()
}

/// Extracts the decoded claims of an `insufficient_claims` challenge from a
/// `WWW-Authenticate` value. Several challenges may share one header, values
/// may be quoted, and the base64 may end in `=`, so parameters are parsed
/// rather than split naively.
#[must_use]
pub fn insufficient_claims(header: &str) -> Option<String> {
    let params = parse_params(header);
    let error = params.iter().find(|(name, _)| name.eq_ignore_ascii_case("error"))?;
    if error.1 != "insufficient_claims" {
        return None;
    }
    let (_, encoded) = params.iter().find(|(name, _)| name.eq_ignore_ascii_case("claims"))?;
    let bytes = STANDARD
        .decode(encoded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    serde_json::from_str::<Value>(&text).ok().filter(Value::is_object)?;
    Some(text)
}

/// Parses `name=value` and `name="value"` pairs of all challenges in a header.
fn parse_params(header: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = header;
    while let Some(eq) = rest.find('=') {
        // The name is the last word before `=`: it follows a space, a comma or a scheme.
        let name = rest[..eq].rsplit([' ', ',']).next().unwrap_or_default().trim().to_owned();
        let after = &rest[eq + 1..];
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (quoted[..end].to_owned(), quoted.get(end + 1..).unwrap_or_default())
        } else {
            let end = after.find([',', ' ']).unwrap_or(after.len());
            // Unquoted base64 keeps its trailing `=` padding.
            let mut end_with_padding = end;
            while after[end_with_padding..].starts_with('=') {
                end_with_padding += 1;
            }
            (after[..end_with_padding].to_owned(), &after[end_with_padding..])
        };
        if !name.is_empty() {
            params.push((name, value));
        }
        rest = remaining;
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIMS: &str = r#"{"access_token":{"nbf":{"essential":true,"value":"1635515786"}}}"#;

    #[test]
    fn graph_challenge_decoded() {
        let header = format!(
            r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="{}""#,
            STANDARD.encode(CLAIMS)
        );
        assert_eq!(insufficient_claims(&header).as_deref(), Some(CLAIMS));
    }

    #[test]
    fn unquoted_padded_value_kept_whole() {
        let encoded = STANDARD.encode(r#"{"a":1}"#);
        assert!(encoded.ends_with('='), "{encoded}");
        let header = format!("PoP realm=\"\", Bearer error=insufficient_claims, claims={encoded}");
        assert_eq!(insufficient_claims(&header).as_deref(), Some(r#"{"a":1}"#));
    }

    #[test]
    fn plain_401_has_no_challenge() {
        let header = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#;
        assert_eq!(insufficient_claims(header), None);
    }

    #[test]
    fn garbage_claims_rejected() {
        assert_eq!(insufficient_claims(r#"Bearer error="insufficient_claims", claims="!!!""#), None);
    }

    #[test]
    fn capability_merged_into_challenge() {
        let merged: Value = serde_json::from_str(&merge_claims(Some(CLAIMS))).expect("json");
        assert_eq!(merged["access_token"]["xms_cc"]["values"][0], "cp1");
        assert_eq!(merged["access_token"]["nbf"]["value"], "1635515786");
    }

    #[test]
    fn capability_alone() {
        assert_eq!(client_capabilities(), r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#);
    }
}
