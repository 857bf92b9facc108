//! The browser side of a sign-in: PKCE, authorize URLs and a form-driving browser.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graphlink_sim::DEMO_CLIENT_ID;
use graphlink_sim::html_form::{ParsedPage, parse_page};
use sha2::{Digest as _, Sha256};
use url::Url;

use super::{ALICE, ALICE_PASSWORD, REDIRECT_URI, Sim};

pub const DEFAULT_CHOICES: &[&str] = &["signin", "approve", "accept", "return"];

/// Generates a PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = format!(
        "verifier-{}-0123456789abcdefghijklmnopqrstuvwxyz",
        uuid::Uuid::new_v4()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn authorize_url(base: &str, params: &[(&str, &str)]) -> String {
    let mut url =
        Url::parse(&format!("{base}/organizations/oauth2/v2.0/authorize")).expect("valid URL");
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// Standard authorize parameters for the demo client with S256 PKCE.
pub fn standard_authorize(base: &str, scope: &str, challenge: &str, state: &str) -> String {
    authorize_url(
        base,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", scope),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
}

/// Where a driven sign-in stopped.
#[derive(Debug)]
pub enum End {
    /// A redirect away from the simulator, to the app.
    Redirect(Url),
    /// A page without a form, or with an error notice.
    Page { status: u16, page: ParsedPage },
}

impl End {
    pub fn redirect(self) -> Url {
        match self {
            End::Redirect(url) => url,
            End::Page { status, page } => {
                panic!("expected a redirect, got a {status} page: {page:?}")
            }
        }
    }

    pub fn page(self) -> (u16, ParsedPage) {
        match self {
            End::Page { status, page } => (status, page),
            End::Redirect(url) => panic!("expected a page, got a redirect to {url}"),
        }
    }
}

/// Drives sign-in pages from `start` as a browser would: follows redirects within the
/// simulator, fills each form with `overrides` and presses the first button in
/// `choices`, and records the page kinds seen.
pub async fn drive(
    sim: &Sim,
    start: &str,
    overrides: &[(&str, &str)],
    choices: &[&str],
) -> (End, Vec<String>) {
    let (client, base) = (&sim.client, sim.base.as_str());
    let mut kinds = Vec::new();
    let mut request = client.get(start);
    for _ in 0..20 {
        let response = request.send().await.expect("request reaches the simulator");
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers()["location"]
                .to_str()
                .expect("ASCII Location")
                .to_owned();
            let location = Url::parse(base)
                .expect("base URL")
                .join(&location)
                .expect("valid Location");
            if location.as_str().starts_with(base) {
                request = client.get(location);
                continue;
            }
            return (End::Redirect(location), kinds);
        }

        let page = parse_page(&response.text().await.expect("page body"));
        kinds.push(page.kind.clone().unwrap_or_default());
        if page.error.is_some() || page.forms.is_empty() {
            return (
                End::Page {
                    status: status.as_u16(),
                    page,
                },
                kinds,
            );
        }
        assert_eq!(page.forms.len(), 1, "every page has exactly one form");
        let form = &page.forms[0];
        assert_eq!(form.method, "post");
        let button = form.choose_button(choices);
        let fields = form.submission(overrides, button);
        let target = Url::parse(base)
            .expect("base URL")
            .join(&form.action)
            .expect("valid action");
        request = client.post(target).form(&fields);
    }
    panic!("sign-in did not end within 20 steps");
}

/// Fetches `url` without following redirects and parses the page it returns.
pub async fn fetch_page(sim: &Sim, url: &str) -> ParsedPage {
    let response = sim.client.get(url).send().await.expect("page request");
    parse_page(&response.text().await.expect("page body"))
}

pub fn alice_credentials() -> [(&'static str, &'static str); 2] {
    [("loginfmt", ALICE), ("passwd", ALICE_PASSWORD)]
}

/// Query parameters of a redirect.
pub fn query_of(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// A sign-in by alice from the standard authorize URL.
pub struct SignIn {
    pub end: End,
    /// Page kinds in the order the browser saw them.
    pub kinds: Vec<String>,
    /// The PKCE verifier of the challenge sent to authorize.
    pub verifier: String,
}

/// Signs alice in from the standard authorize URL with a new PKCE challenge, pressing
/// the first button of `choices` on each page.
pub async fn sign_in_alice(sim: &Sim, scope: &str, state: &str, choices: &[&str]) -> SignIn {
    let (verifier, challenge) = pkce();
    let start = standard_authorize(&sim.base, scope, &challenge, state);
    let (end, kinds) = drive(sim, &start, &alice_credentials(), choices).await;
    SignIn {
        end,
        kinds,
        verifier,
    }
}

/// Runs a complete sign-in for alice and returns the code and the PKCE verifier.
pub async fn sign_in_code(sim: &Sim, scope: &str) -> (String, String) {
    let sign_in = sign_in_alice(sim, scope, "state-123", DEFAULT_CHOICES).await;
    let query = query_of(&sign_in.end.redirect());
    assert_eq!(query.get("state").map(String::as_str), Some("state-123"));
    let code = query
        .get("code")
        .unwrap_or_else(|| panic!("no code in redirect: {query:?}"))
        .clone();
    (code, sign_in.verifier)
}
