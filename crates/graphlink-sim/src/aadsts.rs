//! The AADSTS errors the simulator produces, with Entra's `error` value, suberror and
//! description text for each.

use axum::http::StatusCode;

use crate::clock::sts_message_date;
use crate::errors::StsError;
use crate::scopes::GRAPH_APP_ID;

/// AADSTS900144: a required parameter is missing.
pub(crate) fn missing_parameter(name: &str) -> StsError {
    StsError::new(
        "invalid_request",
        900_144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// AADSTS9002313: the request could not be parsed.
pub(crate) fn malformed_request() -> StsError {
    StsError::new(
        "invalid_request",
        9_002_313,
        "Invalid request. Request is malformed or invalid.",
    )
}

/// AADSTS90002: the tenant segment of the URL names no tenant. Discovery documents
/// report it as `invalid_tenant`, the token and device code endpoints as
/// `invalid_request`.
pub(crate) fn tenant_not_found(tenant: &str) -> StsError {
    StsError::new(
        "invalid_request",
        90_002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
}

/// AADSTS90002 as discovery documents report it.
pub(crate) fn tenant_not_found_in_discovery(tenant: &str) -> StsError {
    StsError {
        error: "invalid_tenant",
        ..tenant_not_found(tenant)
    }
}

/// AADSTS700016: the client ID names no application.
pub(crate) fn unknown_application(client_id: &str, tenant: &str) -> StsError {
    StsError::new(
        "unauthorized_client",
        700_016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        ),
    )
}

/// AADSTS50011: the redirect URI is not registered.
pub(crate) fn redirect_uri_mismatch(redirect_uri: &str, client_id: &str) -> StsError {
    StsError::new(
        "invalid_request",
        50_011,
        format!(
            "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."
        ),
    )
}

/// AADSTS700025: a public client sent a secret.
pub(crate) fn public_client_with_secret() -> StsError {
    StsError::new(
        "invalid_client",
        700_025,
        "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    )
    .status(StatusCode::UNAUTHORIZED)
}

/// AADSTS70003: unknown `grant_type`.
pub(crate) fn unsupported_grant_type(grant_type: &str) -> StsError {
    StsError::new(
        "unsupported_grant_type",
        70_003,
        format!("The app requested an unsupported grant type '{grant_type}'."),
    )
}

/// AADSTS700054: a `response_type` other than `code`.
pub(crate) fn unsupported_response_type(response_type: &str) -> StsError {
    StsError::new(
        "unsupported_response_type",
        700_054,
        format!("response_type '{response_type}' is not enabled for the application."),
    )
}

/// AADSTS70011: an invalid `scope`.
pub(crate) fn invalid_scope(scope: &str) -> StsError {
    StsError::new(
        "invalid_scope",
        70_011,
        format!(
            "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. static scope limit exceeded."
        ),
    )
}

/// AADSTS501491: a code challenge of the wrong length.
pub(crate) fn invalid_code_challenge() -> StsError {
    StsError::new(
        "invalid_request",
        501_491,
        "Invalid size of Code_Challenge parameter.",
    )
}

/// AADSTS70000: an unknown code or refresh token, or one issued to another client.
pub(crate) fn invalid_grant() -> StsError {
    StsError::new(
        "invalid_grant",
        70_000,
        "Provided grant is invalid or malformed.",
    )
}

/// AADSTS54005: the authorization code was already redeemed.
pub(crate) fn code_already_redeemed() -> StsError {
    StsError::new(
        "invalid_grant",
        54_005,
        "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    )
}

/// AADSTS70008: the authorization code is older than its lifetime.
pub(crate) fn code_expired() -> StsError {
    StsError::new(
        "invalid_grant",
        70_008,
        "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    )
}

/// AADSTS501481: the PKCE verifier does not match the challenge.
pub(crate) fn code_verifier_mismatch() -> StsError {
    StsError::new(
        "invalid_grant",
        501_481,
        "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
    )
}

/// AADSTS500112: the redirect URI differs from the one of the authorize request.
pub(crate) fn reply_address_mismatch(given: &str, expected: &str) -> StsError {
    StsError::new(
        "invalid_grant",
        500_112,
        format!(
            "The reply address '{given}' does not match the reply address '{expected}' provided when requesting Authorization code."
        ),
    )
}

/// AADSTS50173: the grant was revoked, for example by a password reset.
pub(crate) fn grant_revoked(issued_unix: u64, valid_from_unix: u64) -> StsError {
    StsError::new(
        "invalid_grant",
        50_173,
        format!(
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{}'.",
            sts_message_date(issued_unix),
            sts_message_date(valid_from_unix)
        ),
    )
    .suberror("bad_token")
}

/// AADSTS700082: the refresh token was unused for 90 days.
pub(crate) fn refresh_token_inactive(issued_unix: u64) -> StsError {
    StsError::new(
        "invalid_grant",
        700_082,
        format!(
            "The refresh token has expired due to inactivity. The token was issued on {} and was inactive for 90.00:00:00.",
            sts_message_date(issued_unix)
        ),
    )
    .suberror("bad_token")
}

/// AADSTS50076: Conditional Access requires MFA, with the claims challenge to forward.
pub(crate) fn mfa_required(policy_id: &str) -> StsError {
    StsError::new(
        "invalid_grant",
        50_076,
        format!(
            "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{GRAPH_APP_ID}'."
        ),
    )
    .suberror("basic_action")
    .claims(format!(
        r#"{{"access_token":{{"capolids":{{"essential":true,"values":["{policy_id}"]}}}}}}"#
    ))
}

/// AADSTS65001: the user or an admin has not consented to the requested scopes.
pub(crate) fn consent_required(client_id: &str, app_name: &str) -> StsError {
    StsError::new(
        "invalid_grant",
        65_001,
        format!(
            "The user or administrator has not consented to use the application with ID '{client_id}' named '{app_name}'. Send an interactive authorization request for this user and resource."
        ),
    )
    .suberror("consent_required")
}

/// AADSTS65004: the user declined consent. Sent in the redirect as `access_denied`.
pub(crate) fn consent_declined() -> StsError {
    StsError::new(
        "access_denied",
        65_004,
        "User declined to consent to access the app.",
    )
}

/// AADSTS50058: `prompt=none` without a signed-in session. The simulator keeps no
/// browser sessions, so `prompt=none` always ends here.
pub(crate) fn login_required() -> StsError {
    StsError::new(
        "login_required",
        50_058,
        "A silent sign-in request was sent but no user is signed in.",
    )
}

/// AADSTS50020: the user belongs to another tenant than the one in the URL.
pub(crate) fn user_not_in_tenant(username: &str, tenant: &str, client_id: &str) -> StsError {
    StsError::new(
        "access_denied",
        50_020,
        format!(
            "User account '{username}' from identity provider 'https://sts.windows.net/{tenant}/' does not exist in tenant '{tenant}' and cannot access the application '{client_id}' in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account."
        ),
    )
}

/// AADSTS70016: device flow, the user has not finished signing in.
pub(crate) fn authorization_pending() -> StsError {
    StsError::new(
        "authorization_pending",
        70_016,
        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
    )
}

/// Device flow, the user declined. The AADSTS code Entra attaches here is not
/// documented, so this uses 65004, the code of a declined consent.
pub(crate) fn authorization_declined() -> StsError {
    StsError::new(
        "authorization_declined",
        65_004,
        "User declined to consent to access the app.",
    )
}

/// AADSTS70019: device flow, the device code is past `expires_in`.
pub(crate) fn device_code_expired() -> StsError {
    StsError::new("expired_token", 70_019, "Verification code expired.")
}

/// Device flow, the device code is unknown or already used.
pub(crate) fn bad_verification_code() -> StsError {
    StsError::new(
        "bad_verification_code",
        70_000,
        "Provided grant is invalid or malformed.",
    )
}

/// Device flow, polled faster than `interval`. Entra does not document this error, so
/// it follows RFC 8628, section 3.5: the client should add 5 s to its interval.
pub(crate) fn slow_down() -> StsError {
    StsError::new(
        "slow_down",
        70_016,
        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
    )
}

// NOTE: the next two texts and codes are best guesses. Entra's wording for transient
// failures varies by incident and is not documented.

/// Builds a 5xx failure: `server_error` for 500, else `temporarily_unavailable`.
pub(crate) fn service_failure(status: u16) -> StsError {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(StatusCode::is_server_error)
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let error = if status == StatusCode::INTERNAL_SERVER_ERROR {
        "server_error"
    } else {
        "temporarily_unavailable"
    };
    StsError::new(
        error,
        90_033,
        "A transient error has occurred. Please try again.",
    )
    .status(status)
}

/// HTTP 429 with `Retry-After`.
pub(crate) fn throttled(retry_after_secs: u64) -> StsError {
    StsError::new(
        "temporarily_unavailable",
        90_055,
        "The server is temporarily unable to service your request due to too many incoming requests. Please try again later.",
    )
    .status(StatusCode::TOO_MANY_REQUESTS)
    .retry_after(retry_after_secs)
}
