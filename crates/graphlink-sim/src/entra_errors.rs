//! The catalogue of token endpoint errors that the `refresh_error` fault injects: for
//! each AADSTS code, Entra's HTTP status, `error`, `suberror`, description text and
//! whether a `claims` challenge comes with it.
//!
//! Sources: Microsoft's AADSTS error code reference, MSAL's error handling, and error
//! bodies quoted in public bug reports. Where neither gives the `error` value or the
//! status, the entry is a guess and carries a NOTE.

use axum::http::StatusCode;

use crate::clock::sts_message_date;
use crate::errors::StsError;
use crate::scopes::GRAPH_APP_ID;

/// One catalogue entry. The text may contain the placeholders `{client_id}`,
/// `{app_name}`, `{tenant}`, `{resource}`, `{scope}`, `{issued}` and `{now}`.
struct Entry {
    code: u32,
    status: u16,
    error: &'static str,
    suberror: Option<&'static str>,
    /// Conditional Access sends a `claims` challenge naming the policy.
    claims: bool,
    text: &'static str,
}

const fn entry(
    code: u32,
    status: u16,
    error: &'static str,
    suberror: Option<&'static str>,
    text: &'static str,
) -> Entry {
    Entry {
        code,
        status,
        error,
        suberror,
        claims: false,
        text,
    }
}

const fn with_claims(mut entry: Entry) -> Entry {
    entry.claims = true;
    entry
}

const TRANSIENT: &str = "A transient error has occurred. Please try again.";

const CATALOGUE: &[Entry] = &[
    // Re-sign-in: multi-factor authentication and Conditional Access.
    with_claims(entry(
        50_076,
        400,
        "invalid_grant",
        Some("basic_action"),
        "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
    )),
    // NOTE: 50079 is also reported as `interaction_required`. Refresh grants are assumed
    // to return `invalid_grant` like 50076.
    with_claims(entry(
        50_079,
        400,
        "invalid_grant",
        Some("basic_action"),
        "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{resource}'.",
    )),
    entry(
        50_078,
        400,
        "invalid_grant",
        Some("basic_action"),
        "Presented multi-factor authentication has expired due to policies configured by your administrator, you must refresh your multi-factor authentication to access '{resource}'.",
    ),
    entry(
        50_158,
        400,
        "interaction_required",
        None,
        "External security challenge not satisfied. User will be redirected to another page or authentication provider to satisfy additional authentication challenges.",
    ),
    with_claims(entry(
        53_003,
        400,
        "invalid_grant",
        Some("message_only"),
        "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
    )),
    entry(
        70_043,
        400,
        "invalid_grant",
        Some("token_expired"),
        "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {issued} and the maximum allowed lifetime for this request is 86400.",
    ),
    // Re-sign-in: the grant is no longer valid.
    entry(
        50_173,
        400,
        "invalid_grant",
        Some("bad_token"),
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{now}'.",
    ),
    entry(
        50_132,
        400,
        "invalid_grant",
        None,
        "The session is not valid due to password expiration or recent password change.",
    ),
    entry(
        50_133,
        400,
        "invalid_grant",
        None,
        "Session is invalid due to expiration or recent password change.",
    ),
    entry(
        70_000,
        400,
        "invalid_grant",
        None,
        "Provided grant is invalid or malformed.",
    ),
    entry(
        70_008,
        400,
        "invalid_grant",
        None,
        "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    ),
    entry(
        700_082,
        400,
        "invalid_grant",
        Some("bad_token"),
        "The refresh token has expired due to inactivity. The token was issued on {issued} and was inactive for 90.00:00:00.",
    ),
    entry(
        700_084,
        400,
        "invalid_grant",
        None,
        "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on {issued}.",
    ),
    entry(
        54_005,
        400,
        "invalid_grant",
        None,
        "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    ),
    entry(
        65_001,
        400,
        "invalid_grant",
        Some("consent_required"),
        "The user or administrator has not consented to use the application with ID '{client_id}' named '{app_name}'. Send an interactive authorization request for this user and resource.",
    ),
    entry(
        50_058,
        400,
        "login_required",
        None,
        "A silent sign-in request was sent but no user is signed in.",
    ),
    // Account state.
    entry(
        50_034,
        400,
        "invalid_grant",
        Some("bad_token"),
        "The user account {EUII Hidden} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.",
    ),
    entry(
        16_000,
        400,
        "interaction_required",
        None,
        "User account '{EUII Hidden}' from identity provider 'https://sts.windows.net/{tenant}/' does not exist in tenant '{tenant}' and cannot access the application '{client_id}'({app_name}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account.",
    ),
    entry(
        50_057,
        400,
        "invalid_grant",
        None,
        "The user account is disabled.",
    ),
    entry(
        50_053,
        400,
        "invalid_grant",
        None,
        "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
    ),
    entry(
        50_055,
        400,
        "invalid_grant",
        Some("user_password_expired"),
        "The password is expired.",
    ),
    entry(
        50_126,
        400,
        "invalid_grant",
        None,
        "Error validating credentials due to invalid username or password.",
    ),
    // NOTE: the text of 135010 is a guess, because the reference only names it KeyNotFound.
    entry(135_010, 400, "invalid_grant", None, "Key not found."),
    // Configuration of the app or the tenant.
    entry(
        70_011,
        400,
        "invalid_scope",
        None,
        "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.",
    ),
    entry(
        7_000_218,
        401,
        "invalid_client",
        None,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
    entry(
        700_016,
        400,
        "unauthorized_client",
        None,
        "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    ),
    entry(
        500_011,
        400,
        "invalid_resource",
        None,
        "The resource principal named https://graph.microsoft.com was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
    ),
    entry(
        9_002_313,
        400,
        "invalid_request",
        None,
        "Invalid request. Request is malformed or invalid.",
    ),
    entry(
        50_194,
        400,
        "invalid_request",
        None,
        "Application '{client_id}'({app_name}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.",
    ),
    entry(
        65_002,
        400,
        "invalid_request",
        None,
        "Consent between first party application '{client_id}' and first party resource '{resource}' must be configured via preauthorization - applications owned and operated by Microsoft must get approval from the API owner before requesting tokens for that API.",
    ),
    entry(
        500_133,
        400,
        "invalid_grant",
        None,
        "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: {now}, expiry time of assertion {issued}.",
    ),
    // NOTE: the `error` value Entra sends with 50196 is not documented, so `invalid_grant`
    // is a guess.
    entry(
        50_196,
        400,
        "invalid_grant",
        None,
        "The server terminated an operation because it encountered a client request loop. Please contact your app vendor.",
    ),
    // Transient service faults, which a client retries.
    // NOTE: the statuses and `error` values of these seven are guesses. Microsoft only
    // documents them as retryable, and MSAL retries 5xx once.
    entry(90_033, 503, "temporarily_unavailable", None, TRANSIENT),
    entry(
        90_006,
        503,
        "temporarily_unavailable",
        None,
        "The service is temporarily unavailable. Please try again.",
    ),
    entry(
        90_090,
        503,
        "temporarily_unavailable",
        None,
        "The service is temporarily unavailable. Please try again.",
    ),
    entry(90_024, 503, "temporarily_unavailable", None, TRANSIENT),
    entry(50_033, 503, "temporarily_unavailable", None, TRANSIENT),
    entry(
        50_087,
        503,
        "temporarily_unavailable",
        None,
        "A transient error has occurred during strong authentication. Please try again.",
    ),
    entry(
        70_012,
        500,
        "server_error",
        None,
        "A server error occurred while authenticating an MSA (consumer) user. Try again. If it continues to fail, open a support ticket.",
    ),
];

fn find(code: u32) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|entry| entry.code == code)
}

/// Returns the HTTP status, `error` and `suberror` that Entra's token endpoint sends
/// with AADSTS `code`, or `None` for a code the simulator does not know.
/// [`entra_error_codes`] lists the known codes.
pub fn entra_error_for(code: u32) -> Option<(u16, &'static str, Option<&'static str>)> {
    find(code).map(|entry| (entry.status, entry.error, entry.suberror))
}

/// Returns every AADSTS code in the catalogue of [`entra_error_for`], in catalogue order.
pub fn entra_error_codes() -> Vec<u32> {
    CATALOGUE.iter().map(|entry| entry.code).collect()
}

/// The values filled into a catalogue text.
pub(crate) struct ErrorContext<'a> {
    pub client_id: &'a str,
    pub app_name: &'a str,
    pub tenant_id: &'a str,
    pub scope: &'a str,
    /// When the refresh token was issued, in Unix seconds.
    pub issued_unix: u64,
    pub now_unix: u64,
}

/// Builds the error for AADSTS `code`. A code missing from the catalogue gives
/// `invalid_grant` with that code and a generic text, because the control API rejects
/// such codes and only the Rust API can set them.
pub(crate) fn error_for(code: u32, context: &ErrorContext<'_>, policy_id: &str) -> StsError {
    let Some(entry) = find(code) else {
        return StsError::new(
            "invalid_grant",
            code,
            "The simulator has no text for this error code.",
        );
    };
    let text = entry
        .text
        .replace("{client_id}", context.client_id)
        .replace("{app_name}", context.app_name)
        .replace("{tenant}", context.tenant_id)
        .replace("{resource}", GRAPH_APP_ID)
        .replace("{scope}", context.scope)
        .replace("{issued}", &sts_message_date(context.issued_unix))
        .replace("{now}", &sts_message_date(context.now_unix));
    let status = StatusCode::from_u16(entry.status).unwrap_or(StatusCode::BAD_REQUEST);

    let mut error = StsError::new(entry.error, entry.code, text).status(status);
    if let Some(suberror) = entry.suberror {
        error = error.suberror(suberror);
    }
    if entry.claims {
        error = error.claims(capolids_claims(policy_id));
    }
    error
}

/// Builds the claims challenge of a Conditional Access policy, as Entra sends it with
/// 50076, 50079 and 53003: `{"access_token":{"capolids":{"essential":true,"values":[id]}}}`.
pub(crate) fn capolids_claims(policy_id: &str) -> String {
    format!(r#"{{"access_token":{{"capolids":{{"essential":true,"values":["{policy_id}"]}}}}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut codes = entra_error_codes();
        let count = codes.len();
        codes.sort_unstable();
        codes.dedup();

        assert_eq!(codes.len(), count);
    }

    #[test]
    fn placeholders_are_filled() {
        let context = ErrorContext {
            client_id: "client",
            app_name: "App",
            tenant_id: "tenant",
            scope: "User.Read",
            issued_unix: 0,
            now_unix: 0,
        };

        for code in entra_error_codes() {
            let error = error_for(code, &context, "policy");
            let unfilled = [
                "{client_id}",
                "{app_name}",
                "{tenant}",
                "{resource}",
                "{scope}",
                "{issued}",
                "{now}",
            ]
            .into_iter()
            .find(|placeholder| error.message.contains(placeholder));
            assert_eq!(unfilled, None, "AADSTS{code}: {}", error.message);
        }
    }
}
