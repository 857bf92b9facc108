//! HTML pages of the interactive sign-in.
//!
//! Every page with a choice has exactly one `<form method="post">`, a hidden `flow`
//! input naming the pending sign-in, and submit buttons `name="action"`, so scripted
//! browsers can drive it. A `<meta name="sim-page">` tag names the page
//! (`sign-in`, `mfa`, `admin-approval`, `consent`, `admin-consent`, `device-code`,
//! `device-done`, `device-declined`, `form-post`, `signed-out`, `error`), and a page
//! that reports a failed attempt has an element with `id="sim-error"`.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::scopes::describe;

/// Escapes text for HTML element content and double-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

fn layout(kind: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"sim-page\" content=\"{kind}\">\n<title>{title}</title>\n</head>\n\
         <body>\n<p><em>graphlink-sim: a local stand-in for Microsoft sign-in</em></p>\n\
         {body}\n</body>\n</html>\n",
        title = escape(title),
    )
}

fn page(kind: &str, title: &str, body: &str) -> Response {
    Html(layout(kind, title, body)).into_response()
}

fn error_notice(error: Option<&str>) -> String {
    error.map_or_else(String::new, |message| {
        format!(
            "<div id=\"sim-error\" role=\"alert\">{}</div>\n",
            escape(message)
        )
    })
}

/// Renders a form posting to `action` with the hidden `flow` input, `fields` (raw HTML)
/// and one submit button per `(value, label)`.
fn flow_form(action: &str, flow_id: &str, fields: &str, buttons: &[(&str, &str)]) -> String {
    let buttons: String = buttons
        .iter()
        .map(|(value, label)| {
            format!(
                "<button type=\"submit\" name=\"action\" value=\"{}\">{}</button>\n",
                escape(value),
                escape(label)
            )
        })
        .collect();
    format!(
        "<form method=\"post\" action=\"{}\">\n<input type=\"hidden\" name=\"flow\" value=\"{}\">\n{fields}{buttons}</form>",
        escape(action),
        escape(flow_id)
    )
}

/// Returns the form action of sign-in pages for a flow started at `/{tenant}/…`.
pub(crate) fn login_action(tenant: &str) -> String {
    format!("/{tenant}/login")
}

pub(crate) fn sign_in(
    tenant: &str,
    flow_id: &str,
    app_name: &str,
    username: &str,
    error: Option<&str>,
) -> Response {
    let fields = format!(
        "<label>Email, phone, or Skype <input type=\"email\" name=\"loginfmt\" value=\"{}\"></label>\n\
         <label>Password <input type=\"password\" name=\"passwd\" value=\"\"></label>\n",
        escape(username)
    );
    let body = format!(
        "<h1>Sign in</h1>\n<p>to continue to {}</p>\n{}{}",
        escape(app_name),
        error_notice(error),
        flow_form(
            &login_action(tenant),
            flow_id,
            &fields,
            &[("signin", "Sign in")]
        )
    );
    page("sign-in", "Sign in to your account", &body)
}

pub(crate) fn mfa(tenant: &str, flow_id: &str, username: &str) -> Response {
    let body = format!(
        "<h1>Approve sign in request</h1>\n<p>{}</p>\n\
         <p>Your organization requires more verification to keep your account secure. Open your Authenticator app and approve the request to sign in.</p>\n{}",
        escape(username),
        flow_form(
            &login_action(tenant),
            flow_id,
            "",
            &[("approve", "Approve")]
        )
    );
    page("mfa", "Approve sign in request", &body)
}

pub(crate) fn admin_approval(tenant: &str, flow_id: &str, app_name: &str) -> Response {
    let body = format!(
        "<h1>Need admin approval</h1>\n<p>{app}</p>\n\
         <p>{app} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>\n\
         <p>Have an admin account? Sign in with that account</p>\n{form}",
        app = escape(app_name),
        form = flow_form(
            &login_action(tenant),
            flow_id,
            "",
            &[(
                "return",
                "Return to the application without granting consent"
            )]
        )
    );
    page("admin-approval", "Need admin approval", &body)
}

fn permission_list(oidc: &[&str], resource_scopes: &[String]) -> String {
    let mut seen = Vec::new();
    let mut items = String::new();
    let all = resource_scopes
        .iter()
        .map(String::as_str)
        .chain(oidc.iter().copied());
    for scope in all {
        let text = describe(scope);
        if !seen.contains(&text) {
            items.push_str(&format!("<li>{}</li>\n", escape(&text)));
            seen.push(text);
        }
    }
    format!("<ul>\n{items}</ul>\n")
}

/// Renders the user consent page. `decline_value` is `cancel` in the authorization code
/// flow and `decline` in the device code flow.
pub(crate) fn consent(
    tenant: &str,
    flow_id: &str,
    app_name: &str,
    username: &str,
    oidc: &[&str],
    resource_scopes: &[String],
    decline_value: &str,
) -> Response {
    let decline_label = if decline_value == "decline" {
        "Decline"
    } else {
        "Cancel"
    };
    let body = format!(
        "<h1>Permissions requested</h1>\n<p>{user}</p>\n<p>{app}</p>\n<p>This app would like to:</p>\n{list}\
         <p>Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement.</p>\n{form}",
        user = escape(username),
        app = escape(app_name),
        list = permission_list(oidc, resource_scopes),
        form = flow_form(
            &login_action(tenant),
            flow_id,
            "",
            &[("accept", "Accept"), (decline_value, decline_label)]
        )
    );
    page("consent", "Permissions requested", &body)
}

pub(crate) fn admin_consent(
    tenant: &str,
    flow_id: &str,
    app_name: &str,
    username: &str,
    resource_scopes: &[String],
) -> Response {
    let body = format!(
        "<h1>Permissions requested</h1>\n<p>Accept for your organization</p>\n<p>{user}</p>\n<p>{app}</p>\n\
         <p>This app would like to:</p>\n{list}\
         <p>If you accept, this app will get access to the specified resources for all users in your organization. No one else will be prompted to review these permissions.</p>\n{form}",
        user = escape(username),
        app = escape(app_name),
        list = permission_list(&[], resource_scopes),
        form = flow_form(
            &login_action(tenant),
            flow_id,
            "",
            &[("accept", "Accept"), ("cancel", "Cancel")]
        )
    );
    page("admin-consent", "Permissions requested", &body)
}

/// Renders the code entry page at `/devicelogin`.
pub(crate) fn device_code_entry(error: Option<&str>) -> Response {
    let body = format!(
        "<h1>Enter code</h1>\n<p>Enter the code displayed on your app or device.</p>\n{}\
         <form method=\"post\" action=\"/devicelogin\">\n\
         <label>Code <input type=\"text\" name=\"otc\" value=\"\"></label>\n\
         <button type=\"submit\" name=\"action\" value=\"next\">Next</button>\n</form>",
        error_notice(error)
    );
    page("device-code", "Enter code", &body)
}

pub(crate) fn device_done(app_name: &str, approved: bool) -> Response {
    let (kind, sentence) = if approved {
        (
            "device-done",
            "You have signed in to the {app} application on your device.",
        )
    } else {
        (
            "device-declined",
            "You have declined to sign in to the {app} application on your device.",
        )
    };
    let body = format!(
        "<h1>{app}</h1>\n<p>{}</p>\n<p>You may now close this window.</p>",
        escape(&sentence.replace("{app}", app_name)),
        app = escape(app_name)
    );
    page(kind, app_name, &body)
}

/// Renders the `response_mode=form_post` response: a form that posts the result to the
/// app.
pub(crate) fn form_post(redirect_uri: &str, params: &[(String, String)]) -> Response {
    let inputs: String = params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<form method=\"post\" action=\"{}\">\n{inputs}<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n\
         <script>document.forms[0].submit();</script>",
        escape(redirect_uri)
    );
    page("form-post", "Working...", &body)
}

pub(crate) fn signed_out() -> Response {
    page(
        "signed-out",
        "Sign out",
        "<h1>You signed out of your account</h1>\n<p>It's a good idea to close all browser windows.</p>",
    )
}

/// Renders an error page that ends the sign-in. The app's redirect URI is never called.
pub(crate) fn error(code: u32, message: &str) -> Response {
    tracing::info!(code, "sign-in stopped on an error page");
    let body = format!(
        "<h1>Sign in</h1>\n<p>Sorry, but we're having trouble signing you in.</p>\n\
         <p id=\"sim-error\">AADSTS{code}: {}</p>",
        escape(message)
    );
    (
        StatusCode::BAD_REQUEST,
        Html(layout("error", "Sign in to your account", &body)),
    )
        .into_response()
}

/// Renders the error page for a sign-in that was not found, which has no AADSTS code.
pub(crate) fn session_lost() -> Response {
    let body = "<h1>Sign in</h1>\n<p id=\"sim-error\">This sign-in session was not found or has expired. Go back to the application and start again.</p>";
    (
        StatusCode::BAD_REQUEST,
        Html(layout("error", "Sign in to your account", body)),
    )
        .into_response()
}

/// Renders the `error_uri` target, `/error?code=n`.
pub(crate) fn error_lookup(code: &str) -> Response {
    let body = format!(
        "<h1>Error code AADSTS{}</h1>\n<p>graphlink-sim returned this code. Entra ID describes it at https://login.microsoftonline.com/error?code={}.</p>",
        escape(code),
        escape(code)
    );
    page("error-lookup", "Error lookup", &body)
}
