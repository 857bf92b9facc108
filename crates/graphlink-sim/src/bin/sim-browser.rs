//! `sim-browser URL`: a scripted browser for the simulator's sign-in pages.
//!
//! Set it as `BROWSER` and the app's `sim-browser <authorize URL>` call walks through
//! the pages: redirects within the simulator are followed, each page's form is filled
//! and submitted, and the first redirect (or `form_post`) to another address, the app's
//! loopback redirect URI, is requested once. Then it exits.
//!
//! Environment:
//! - `SIM_BROWSER_USER`: value for `loginfmt` (default: keep the prefilled value)
//! - `SIM_BROWSER_PASSWORD`: value for `passwd`
//! - `SIM_BROWSER_CODE`: value for `otc`, the device-flow user code
//! - `SIM_BROWSER_CHOICES`: comma-separated button values to prefer, default
//!   `signin,approve,accept,return`. A page with none of them gets its first button
//!
//! Exit status:
//! - 0: the app's redirect URI was called, or a device sign-in finished
//! - 2: the flow ended on an error page, or a page reported an error such as a wrong
//!   password
//! - 1: bad usage, a rejected host, a network failure or more than 20 steps
//!
//! It only contacts http on loopback addresses, and prints URLs with their query and
//! fragment values redacted, so codes and tokens never reach the output.

use std::process::ExitCode;
use std::time::Duration;

use graphlink_sim::html_form::{ParsedPage, parse_page};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use url::{Host, Url};

const MAX_STEPS: usize = 20;
const DEFAULT_CHOICES: &str = "signin,approve,accept,return";

/// Outcome of a run.
enum Outcome {
    /// The app's redirect URI was called, or a device-flow final page was shown.
    Finished,
    /// An error page, or a page reporting a failed attempt.
    ErrorPage,
}

/// Values read from the environment.
struct Script {
    username: Option<String>,
    password: Option<String>,
    user_code: Option<String>,
    choices: Vec<String>,
}

impl Script {
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        let choices = var("SIM_BROWSER_CHOICES").unwrap_or_else(|| DEFAULT_CHOICES.to_owned());
        Self {
            username: var("SIM_BROWSER_USER"),
            password: var("SIM_BROWSER_PASSWORD"),
            user_code: var("SIM_BROWSER_CODE"),
            choices: choices
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
        }
    }

    fn overrides(&self) -> Vec<(&str, &str)> {
        let mut overrides = Vec::new();
        if let Some(username) = &self.username {
            overrides.push(("loginfmt", username.as_str()));
        }
        if let Some(password) = &self.password {
            overrides.push(("passwd", password.as_str()));
        }
        if let Some(code) = &self.user_code {
            overrides.push(("otc", code.as_str()));
        }
        overrides
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url] = args.as_slice() else {
        eprintln!(
            "usage: sim-browser URL\nDrives graphlink-sim sign-in pages, configured by the SIM_BROWSER_* variables."
        );
        return ExitCode::from(1);
    };

    match run(url, &Script::from_env()).await {
        Ok(Outcome::Finished) => ExitCode::SUCCESS,
        Ok(Outcome::ErrorPage) => ExitCode::from(2),
        Err(message) => {
            eprintln!("sim-browser: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run(start: &str, script: &Script) -> Result<Outcome, String> {
    let start =
        Url::parse(start).map_err(|error| format!("invalid URL {}: {error}", redact(start)))?;
    ensure_loopback(&start)?;
    let simulator = start.origin();
    let client = Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|error| format!("cannot build the HTTP client: {error}"))?;

    let mut next = Step::Get(start);
    for _ in 0..MAX_STEPS {
        let url = next.url().clone();
        let response = next.send(&client).await?;

        if response.status().is_redirection() {
            let location = redirect_target(&url, &response)?;
            if location.origin() == simulator {
                next = Step::Get(location);
                continue;
            }
            eprintln!("sim-browser: redirected to {}", redact(location.as_str()));
            let reply = Step::Get(location).send(&client).await?;
            print_status_line(&reply);
            return Ok(Outcome::Finished);
        }

        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|error| format!("cannot read {}: {}", redact(url.as_str()), error.without_url()))?;
        let page = parse_page(&body);
        let kind = page.kind.clone().unwrap_or_else(|| "unknown".to_owned());

        if let Some(error) = &page.error {
            eprintln!("sim-browser: the {kind} page ({status}) reports: {error}");
            return Ok(Outcome::ErrorPage);
        }
        match page.forms.len() {
            0 => return Ok(finish_without_form(&page, &kind, status)),
            1 => {}
            count => return Err(format!("the {kind} page has {count} forms; expected one")),
        }

        let form = &page.forms[0];
        let target = url
            .join(&form.action)
            .map_err(|error| format!("invalid form action on the {kind} page: {error}"))?;
        ensure_loopback(&target)?;
        let choices: Vec<&str> = script.choices.iter().map(String::as_str).collect();
        let button = form.choose_button(&choices);
        let fields = form.submission(&script.overrides(), button);
        if let Some(button) = button {
            eprintln!("sim-browser: {kind} page: pressing '{}'", button.value);
        }

        if target.origin() != simulator {
            // response_mode=form_post: the form delivers the result to the app.
            eprintln!(
                "sim-browser: posting the result to {}",
                redact(target.as_str())
            );
            let reply = Step::Post(target, fields).send(&client).await?;
            print_status_line(&reply);
            return Ok(Outcome::Finished);
        }
        next = Step::Post(target, fields);
    }
    Err(format!(
        "gave up after {MAX_STEPS} steps without reaching the app"
    ))
}

/// Ends the run on a page without a form: device-flow final pages are a success, any
/// other page (an error page) is not.
fn finish_without_form(page: &ParsedPage, kind: &str, status: reqwest::StatusCode) -> Outcome {
    eprintln!("sim-browser: {kind} page ({status}): {}", page.text);
    if kind.starts_with("device-") {
        Outcome::Finished
    } else {
        Outcome::ErrorPage
    }
}

enum Step {
    Get(Url),
    Post(Url, Vec<(String, String)>),
}

impl Step {
    fn url(&self) -> &Url {
        match self {
            Self::Get(url) | Self::Post(url, _) => url,
        }
    }

    async fn send(self, client: &Client) -> Result<Response, String> {
        ensure_loopback(self.url())?;
        let shown = redact(self.url().as_str());
        let request = match self {
            Self::Get(url) => client.get(url),
            Self::Post(url, fields) => {
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&fields)
                    .finish();
                client
                    .post(url)
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(body)
            }
        };
        request
            .send()
            .await
            // reqwest's message repeats the full URL, code included: drop it.
            .map_err(|error| format!("request to {shown} failed: {}", error.without_url()))
    }
}

fn redirect_target(current: &Url, response: &Response) -> Result<Url, String> {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| format!("{} redirect without a Location header", response.status()))?;
    current
        .join(location)
        .map_err(|error| format!("invalid redirect Location {}: {error}", redact(location)))
}

fn print_status_line(response: &Response) {
    eprintln!(
        "sim-browser: the app answered {:?} {}",
        response.version(),
        response.status()
    );
}

/// Rejects any host but `localhost`, `127.0.0.0/8` and `::1`.
fn ensure_loopback(url: &Url) -> Result<(), String> {
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if loopback && url.scheme() == "http" {
        Ok(())
    } else {
        Err(format!(
            "refusing to contact {}: sim-browser only talks to http on loopback addresses (localhost, 127.0.0.1, ::1)",
            redact(url.as_str())
        ))
    }
}

/// Returns the URL with every query and fragment value replaced by `<redacted>`.
fn redact(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return raw.split(['?', '#']).next().unwrap_or_default().to_owned();
    };
    let redact_pairs = |encoded: &str| {
        let names: Vec<String> = url::form_urlencoded::parse(encoded.as_bytes())
            .map(|(name, _)| name.into_owned())
            .collect();
        names
            .iter()
            .map(|name| format!("{name}=<redacted>"))
            .collect::<Vec<_>>()
            .join("&")
    };
    let query = url.query().map(redact_pairs);
    let fragment = url.fragment().map(redact_pairs);
    url.set_query(None);
    url.set_fragment(None);
    let mut shown = url.to_string();
    if let Some(query) = query {
        shown.push('?');
        shown.push_str(&query);
    }
    if let Some(fragment) = fragment {
        shown.push('#');
        shown.push_str(&fragment);
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_allowed() {
        for url in [
            "http://127.0.0.1:1/",
            "http://localhost:2/x",
            "http://[::1]:3/",
            "http://127.1.2.3/",
        ] {
            let url = Url::parse(url).expect("valid URL");
            assert!(ensure_loopback(&url).is_ok(), "{url} is loopback");
        }
    }

    #[test]
    fn other_hosts_and_https_rejected() {
        for url in [
            "http://192.0.2.1/",
            "http://example.com/",
            "https://127.0.0.1/",
            "http://169.254.169.254/",
        ] {
            let url = Url::parse(url).expect("valid URL");
            let error = ensure_loopback(&url).expect_err("not loopback");
            assert!(error.contains("only talks to http on loopback"), "{error}");
        }
    }

    #[test]
    fn redact_hides_query_and_fragment_values() {
        let shown = redact("http://localhost:5/cb?code=SECRET&state=s#access_token=TOKEN");

        assert_eq!(
            shown,
            "http://localhost:5/cb?code=<redacted>&state=<redacted>#access_token=<redacted>"
        );
    }
}
