use std::path::Path;
use std::time::Duration;

use super::*;

fn parse(text: &str) -> Result<Layer, ConfigError> {
    parse_layer(text, Path::new("/home/rep/.config/graphlink/config.toml"))
}

#[test]
fn built_in_defaults_parse() {
    let config = Config::default();
    assert_eq!(config.authority.as_str(), DEFAULT_AUTHORITY);
    assert_eq!(config.graph_url.as_str(), DEFAULT_GRAPH_URL);
    assert_eq!(config.check_interval, Duration::from_secs(300));
    assert!(config.scopes.iter().any(|scope| scope == "offline_access"));
}

#[test]
fn file_sets_every_key() {
    let layer = parse(
        "client_id = \"11111111-2222-3333-4444-555555555555\"\n\
         authority = \"https://login.microsoftonline.com/contoso.example/v2.0\"\n\
         graph_url = \"https://graph.microsoft.com/v1.0\"\n\
         scopes = [\"openid\", \"offline_access\", \"User.Read\"]\n\
         check_interval = 120\n",
    )
    .expect("valid file");
    let config = merge([layer]);
    assert_eq!(config.client_id, "11111111-2222-3333-4444-555555555555");
    assert_eq!(config.authority.as_str(), "https://login.microsoftonline.com/contoso.example/v2.0");
    assert_eq!(config.scopes, ["openid", "offline_access", "User.Read"]);
    assert_eq!(config.check_interval, Duration::from_secs(120));
}

#[test]
fn later_layer_wins() {
    let file = parse("client_id = \"from-file\"\ncheck_interval = 120\n").expect("valid file");
    let env = env_layer(|name| (name == "GRAPHLINK_CLIENT_ID").then(|| "from-env".to_owned())).expect("valid env");
    let config = merge([file, env]);
    assert_eq!(config.client_id, "from-env");
    assert_eq!(config.check_interval, Duration::from_secs(120));
}

#[test]
fn syntax_error_names_file_and_line() {
    let error = parse("client_id = \"abc\"\nauthority = https://x\n").expect_err("bad syntax");
    assert_eq!(error.line, Some(2));
    let text = error.to_string();
    assert!(text.contains("/home/rep/.config/graphlink/config.toml line 2"), "{text}");
}

#[test]
fn unknown_key_lists_known_keys() {
    let error = parse("client_id = \"abc\"\nclientid = \"abc\"\n").expect_err("unknown key");
    assert_eq!(error.key, "clientid");
    assert_eq!(error.line, Some(2));
    assert!(error.fix.contains("client_id, authority, graph_url, scopes, check_interval"), "{}", error.fix);
}

#[test]
fn wrong_type_names_key_and_expected_type() {
    let error = parse("check_interval = \"5 minutes\"\n").expect_err("wrong type");
    assert_eq!(error.key, "check_interval");
    assert!(error.problem.contains("is a string, expected a whole number of seconds"), "{}", error.problem);
}

#[test]
fn plain_http_authority_rejected_off_loopback() {
    let error = parse("authority = \"http://login.example.com/v2.0\"\n").expect_err("http");
    assert_eq!(error.key, "authority");
    assert!(error.fix.contains("https"), "{}", error.fix);
    assert!(parse("authority = \"http://127.0.0.1:8080/organizations/v2.0\"\n").is_ok());
}

#[test]
fn scopes_without_offline_access_rejected() {
    let error = parse("scopes = \"openid User.Read\"\n").expect_err("no offline_access");
    assert_eq!(error.key, "scopes");
    assert!(error.fix.contains("offline_access"), "{}", error.fix);
}

#[test]
fn check_interval_out_of_range_rejected() {
    for value in ["0", "5", "-1", "100000"] {
        let error = parse(&format!("check_interval = {value}\n")).expect_err(value);
        assert!(error.fix.contains("from 30 to 86400"), "{value}: {}", error.fix);
    }
}

#[test]
fn env_error_names_variable() {
    let error = env_layer(|name| (name == "GRAPHLINK_CHECK_INTERVAL").then(|| "soon".to_owned())).expect_err("bad env");
    assert_eq!(error.origin, Origin::Env("GRAPHLINK_CHECK_INTERVAL"));
    assert!(error.to_string().contains("environment variable GRAPHLINK_CHECK_INTERVAL"), "{error}");
}

#[test]
fn missing_client_id_explains_fix() {
    let error = Config::default().require_client_id().expect_err("unset");
    assert!(error.fix.contains("GRAPHLINK_CLIENT_ID"), "{}", error.fix);
}
