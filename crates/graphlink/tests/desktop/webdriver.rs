//! A minimal W3C WebDriver client over raw HTTP, enough to drive the status
//! window through tauri-driver: find elements, click, read text.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Session {
    http: reqwest::Client,
    base: String,
    id: String,
}

impl Session {
    /// Starts a session that launches `application` through tauri-driver on `port`.
    pub async fn start(port: u16, application: &str) -> Self {
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": application}}}});
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match http.post(format!("{base}/session")).json(&capabilities).send().await {
                Ok(response) => {
                    let body: Value = response.json().await.expect("session reply is JSON");
                    let id = body["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session ID in {body}")).to_owned();
                    return Self { http, base, id };
                }
                // tauri-driver may not listen yet.
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => panic!("tauri-driver did not accept a session within 30 seconds: {error}"),
            }
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.id);
        let request = self.http.request(method, &url);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let response = request.send().await.unwrap_or_else(|error| panic!("{url}: {error}"));
        response.json().await.unwrap_or_else(|error| panic!("{url}: reply is not JSON: {error}"))
    }

    /// Returns the elements matching a CSS selector, possibly none.
    pub async fn find_all(&self, selector: &str) -> Vec<String> {
        let reply = self.call(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": selector}))).await;
        reply["value"].as_array().map(|elements| elements.iter().filter_map(|element| element[ELEMENT_KEY].as_str().map(str::to_owned)).collect()).unwrap_or_default()
    }

    /// Waits up to `timeout` for an element matching `selector`.
    pub async fn wait_for(&self, selector: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.find_all(selector).await.into_iter().next() {
                return element;
            }
            if Instant::now() > deadline {
                let source = self.source().await;
                panic!("no element matches {selector} after {timeout:?}; the page is:\n{source}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn click(&self, element: &str) {
        let reply = self.call(reqwest::Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await;
        assert!(reply["value"].is_null(), "click failed: {reply}");
    }

    pub async fn text(&self, element: &str) -> String {
        let reply = self.call(reqwest::Method::GET, &format!("/element/{element}/text"), None).await;
        reply["value"].as_str().unwrap_or_default().to_owned()
    }

    /// Returns the page's HTML as the window renders it now.
    pub async fn source(&self) -> String {
        let reply = self.call(reqwest::Method::GET, "/source", None).await;
        reply["value"].as_str().unwrap_or_default().to_owned()
    }

    /// Runs a script in the page and returns its result.
    pub async fn execute(&self, script: &str) -> Value {
        let reply = self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await;
        reply["value"].clone()
    }

    /// Waits up to `timeout` until no element matches `selector`.
    pub async fn wait_for_none(&self, selector: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.find_all(selector).await.is_empty() {
            assert!(Instant::now() < deadline, "{selector} still matches after {timeout:?}; the page is:\n{}", self.source().await);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Ends the session, which closes the window.
    pub async fn end(self) {
        let _ = self.call(reqwest::Method::DELETE, "", None).await;
    }
}
