use proptest::prelude::*;
use secrecy::ExposeSecret as _;

use super::*;

const STATE: &str = "Zm9vYmFyLXN0YXRlLTEyMw";

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: localhost:5000\r\n\r\n").into_bytes()
}

fn rejection(head: &[u8]) -> Option<u16> {
    match route(head, STATE) {
        Route::Reject(reply) => Some(reply.status),
        Route::Accept(_) => None,
    }
}

#[test]
fn code_with_state_accepted() {
    let Route::Accept(Callback::Code(code)) = route(&get(&format!("/?code=abc&state={STATE}&session_state=x")), STATE) else {
        panic!("expected a code");
    };
    assert_eq!(code.expose_secret(), "abc");
}

#[test]
fn error_with_state_accepted() {
    let head = get(&format!("/?error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3A+declined&state={STATE}"));
    let Route::Accept(Callback::Error { error, subcode, description }) = route(&head, STATE) else {
        panic!("expected an error");
    };
    assert_eq!(error, "access_denied");
    assert_eq!(subcode.as_deref(), Some("cancel"));
    assert_eq!(description.as_deref(), Some("AADSTS65004: declined"));
}

#[test]
fn invalid_requests_rejected() {
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (get("/?code=abc&state=other"), 400),
        (get("/?code=abc"), 400),
        (get(&format!("/?state={STATE}")), 400),
        (get(&format!("/?code=&state={STATE}")), 400),
        (get(&format!("/?code=a&error=b&state={STATE}")), 400),
        (get(&format!("/?code=a&code=b&state={STATE}")), 400),
        (get(&format!("/?code=a&state={STATE}&state=other")), 400),
        (get(&format!("/callback?code=abc&state={STATE}")), 404),
        (format!("POST /?code=abc&state={STATE} HTTP/1.1\r\n\r\n").into_bytes(), 405),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), 400),
        (b"GET http://localhost/ HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"\xff\xfe GET / HTTP/1.1\r\n\r\n".to_vec(), 400),
    ];
    for (head, status) in cases {
        assert_eq!(rejection(&head), Some(status), "{}", String::from_utf8_lossy(&head));
    }
}

#[test]
fn head_end_accepts_crlf_and_lf() {
    assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest", 0), Some(27));
    assert_eq!(head_end(b"GET / HTTP/1.1\nHost: a\n\n", 0), Some(24));
    assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n", 0), None);
    assert_eq!(head_end(b"\r\n\r\n", 10), None);
}

#[test]
fn replies_state_their_length() {
    let http = String::from_utf8(Reply::TOO_LARGE.to_http()).expect("utf-8");
    let (head, body) = http.split_once("\r\n\r\n").expect("head and body");
    assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{head}");
    assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())), "{head}");
    assert!(head.contains("Referrer-Policy: no-referrer"), "{head}");
}

proptest! {
    #[test]
    fn route_never_panics(head in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = route(&head, STATE);
    }

    #[test]
    fn route_never_panics_on_requests(target in "/[ -~]{0,200}", method in "[A-Z]{0,8}") {
        let _ = route(format!("{method} {target} HTTP/1.1\r\n\r\n").as_bytes(), STATE);
    }

    /// Any code and state survive URL encoding, and only the expected state passes.
    #[test]
    fn code_round_trips(code in "\\PC{1,64}", state in "\\PC{0,40}", extra in "[a-z_]{1,12}") {
        let target = format!("/?{extra}=1&code={}&state={}", encode(&code), encode(&state));
        match route(&get(&target), STATE) {
            Route::Accept(Callback::Code(received)) => {
                prop_assert_eq!(&state, STATE);
                prop_assert_eq!(received.expose_secret(), code.as_str());
            }
            Route::Accept(other) => prop_assert!(false, "unexpected {other:?}"),
            Route::Reject(reply) => {
                let duplicate = ["code", "state"].contains(&extra.as_str());
                prop_assert!(state != STATE || duplicate, "rejected {target}: {reply:?}");
            }
        }
    }

    #[test]
    fn error_round_trips(error in "\\PC{1,40}", description in "\\PC{0,200}") {
        let target = format!("/?error={}&error_description={}&state={STATE}", encode(&error), encode(&description));
        let Route::Accept(Callback::Error { error: received, description: received_description, subcode }) = route(&get(&target), STATE) else {
            return Err(TestCaseError::fail("expected an error callback"));
        };
        prop_assert_eq!(received, error);
        prop_assert_eq!(received_description, Some(description));
        prop_assert_eq!(subcode, None);
    }

    #[test]
    fn other_paths_not_found(path in "/[a-zA-Z0-9._~/-]{1,100}") {
        prop_assume!(path != "/");
        prop_assert_eq!(rejection(&get(&format!("{path}?code=a&state={STATE}"))), Some(404));
    }

    /// `head_end` finds the first blank line from any start before it.
    #[test]
    fn head_end_matches_naive_search(lines in proptest::collection::vec("[ -~]{0,30}", 0..8), from in 0usize..64) {
        let head = format!("{}\r\n", lines.iter().map(|line| format!("{line}\r\n")).collect::<String>());
        let bytes = head.as_bytes();
        let naive = bytes.windows(4).position(|window| window == b"\r\n\r\n");

        prop_assert_eq!(head_end(bytes, 0), naive.map(|start| start + 4));
        if let Some(start) = naive.filter(|start| from <= *start) {
            prop_assert_eq!(head_end(bytes, from), Some(start + 4));
        }
    }
}
