use std::path::Path;
use std::time::Duration;

use super::*;

/// Client IDs of the user file, the environment and the managed file.
const FILE_ID: &str = "11111111-2222-3333-4444-555555555555";
const ENV_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const MANAGED_ID: &str = "6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40";
/// Valid scopes that differ from the defaults by their order.
const SCOPES: &str = "openid offline_access profile User.Read Mail.Read Calendars.Read";

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
         scopes = [\"openid\", \"profile\", \"offline_access\", \"User.Read\", \"Mail.ReadWrite\", \"Calendars.Read\"]\n\
         check_interval = 120\n",
    )
    .expect("valid file");
    let config = merge([layer]);
    assert_eq!(config.client_id, "11111111-2222-3333-4444-555555555555");
    assert_eq!(config.authority.as_str(), "https://login.microsoftonline.com/contoso.example/v2.0");
    assert_eq!(config.scopes, ["openid", "profile", "offline_access", "User.Read", "Mail.ReadWrite", "Calendars.Read"]);
    assert_eq!(config.check_interval, Duration::from_secs(120));
}

#[test]
fn later_layer_wins() {
    let file = parse(&format!("client_id = \"{FILE_ID}\"\ncheck_interval = 120\n")).expect("valid file");
    let env = env_layer(|name| (name == "GRAPHLINK_CLIENT_ID").then(|| ENV_ID.to_owned())).expect("valid env");
    let config = merge([file, env]);
    assert_eq!(config.client_id, ENV_ID);
    assert_eq!(config.check_interval, Duration::from_secs(120));
}

#[test]
fn syntax_error_names_file_and_line() {
    let error = parse(&format!("client_id = \"{FILE_ID}\"\nauthority = https://x\n")).expect_err("bad syntax");
    assert_eq!(error.line, Some(2));
    let text = error.to_string();
    assert!(text.contains("/home/rep/.config/graphlink/config.toml line 2"), "{text}");
}

#[test]
fn unknown_key_lists_known_keys() {
    let error = parse(&format!("client_id = \"{FILE_ID}\"\nclientid = \"{FILE_ID}\"\n")).expect_err("unknown key");
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
fn scopes_missing_or_badly_separated_rejected() {
    let cases = [
        ("openid profile User.Read Mail.Read Calendars.Read", "add offline_access"),
        ("profile offline_access User.Read Mail.Read Calendars.Read", "add openid"),
        ("openid offline_access User.Read Mail.Read Calendars.Read", "add profile"),
        ("openid profile offline_access Mail.Read Calendars.Read", "add User.Read"),
        ("openid profile offline_access User.Read Calendars.Read", "add Mail.Read"),
        ("openid profile offline_access User.Read Mail.Send Calendars.Read", "add Mail.Read"),
        ("openid profile offline_access User.Read Mail.Read", "add Calendars.Read"),
        ("OpenID profile offline_access User.Read Mail.Read Calendars.Read", "add openid"),
        ("openid,profile,offline_access,User.Read,Mail.Read,Calendars.Read", "separate scopes with spaces"),
    ];
    for (scopes, fix) in cases {
        let error = parse(&format!("scopes = \"{scopes}\"\n")).expect_err(scopes);
        assert_eq!(error.key, "scopes", "{scopes}");
        assert!(error.fix.contains(fix), "{scopes}: {}", error.fix);
    }
}

#[test]
fn scopes_accept_other_read_permissions() {
    for scopes in [
        "openid profile offline_access https://graph.microsoft.com/User.ReadBasic.All mail.readwrite Calendars.ReadBasic",
        "openid profile offline_access Directory.Read.All Mail.Read.Shared Calendars.ReadWrite.Shared",
        "openid profile offline_access https://graph.microsoft.com/.default",
    ] {
        let layer = parse(&format!("scopes = \"{scopes}\"\n")).unwrap_or_else(|error| panic!("{scopes}: {error}"));
        assert_eq!(layer.scopes.map(|parsed| parsed.join(" ")).as_deref(), Some(scopes));
    }
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

/// Values that are not the hyphenated GUID of the app registration's Overview page.
const NOT_GUIDS: [&str; 6] = [
    "xyz",
    "6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c4",
    "6f0c3a528d1e4b7a9c2f1e5d7b3a9c40",
    "{6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9c40}",
    "6f0c3a52-8d1e-4b7a-9c2f-1e5d7b3a9g40",
    "",
];

const CLIENT_ID_FIX: &str = "the Application (client) ID from the app registration's Overview page, a GUID such as 00000000-0000-0000-0000-000000000000";

#[test]
fn client_id_not_guid_rejected_in_file() {
    for value in NOT_GUIDS {
        let error = parse(&format!("check_interval = 300\nclient_id = \"{value}\"\n")).expect_err(value);
        assert_eq!(error.key, "client_id", "{value}");
        assert_eq!(error.line, Some(2), "{value}");
        let text = error.to_string();
        assert!(text.contains("/home/rep/.config/graphlink/config.toml line 2"), "{text}");
        assert!(text.contains(&format!("{value:?}, which is not a GUID")), "{text}");
        assert!(error.fix.contains(CLIENT_ID_FIX), "{}", error.fix);
    }
}

#[test]
fn client_id_not_guid_rejected_in_env() {
    for value in NOT_GUIDS {
        let error = env_layer(|name| (name == "GRAPHLINK_CLIENT_ID").then(|| value.to_owned())).expect_err(value);
        assert_eq!(error.origin, Origin::Env("GRAPHLINK_CLIENT_ID"), "{value}");
        let text = error.to_string();
        assert!(text.contains("environment variable GRAPHLINK_CLIENT_ID"), "{text}");
        assert!(text.contains(&format!("`client_id` is {value:?}")), "{text}");
        assert!(error.fix.contains(CLIENT_ID_FIX), "{}", error.fix);
    }
}

#[test]
fn client_id_not_guid_rejected_in_managed_file() {
    let error = parse_managed("locked = true\nclient_id = \"managed-id\"\n", Path::new(MANAGED)).expect_err("not a GUID");
    assert_eq!((error.key.as_str(), error.line), ("client_id", Some(2)));
    let text = error.to_string();
    assert!(text.contains("/etc/graphlink/config.toml line 2"), "{text}");
    assert!(text.contains("\"managed-id\""), "{text}");
}

#[test]
fn client_id_not_guid_stops_load() {
    let (_dir, managed, user) = write_files("check_interval = 300\n", "client_id = \"xyz\"\n");
    let error = load_detailed(&managed, &user, |_| None).expect_err("user file has no GUID");
    assert_eq!(error.origin, Origin::File(user.clone()));
    assert_eq!((error.key.as_str(), error.line), ("client_id", Some(1)));
}

#[test]
fn client_id_guid_accepted_in_any_case() {
    let layer = parse("client_id = \" 6F0C3A52-8d1e-4b7a-9c2f-1E5D7B3A9C40 \"\n").expect("GUID");
    assert_eq!(layer.client_id.as_deref(), Some("6F0C3A52-8d1e-4b7a-9c2f-1E5D7B3A9C40"), "surrounding spaces are trimmed");
}

#[test]
fn missing_client_id_explains_fix() {
    let error = Config::default().require_client_id().expect_err("unset");
    assert!(error.fix.contains("GRAPHLINK_CLIENT_ID"), "{}", error.fix);
}

const MANAGED: &str = "/etc/graphlink/config.toml";

fn write_files(managed: &str, user: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let managed_path = dir.path().join("managed.toml");
    let user_path = dir.path().join("user.toml");
    std::fs::write(&managed_path, managed).expect("write managed");
    std::fs::write(&user_path, user).expect("write user");
    (dir, managed_path, user_path)
}

#[test]
fn locked_keys_ignore_user_and_env() {
    let (_dir, managed, user) = write_files(
        &format!("client_id = \"{MANAGED_ID}\"\nauthority = \"https://login.microsoftonline.com/contoso.example/v2.0\"\nlocked = [\"client_id\", \"authority\"]\n"),
        "check_interval = 120\n\nauthority = \"https://login.microsoftonline.com/common/v2.0\"\n",
    );
    let env = |name: &str| match name {
        "GRAPHLINK_CLIENT_ID" => Some(ENV_ID.to_owned()),
        "GRAPHLINK_SCOPES" => Some(SCOPES.to_owned()),
        _ => None,
    };
    let loaded = load_detailed(&managed, &user, env).expect("valid");

    assert_eq!(loaded.config.client_id, MANAGED_ID);
    assert_eq!(loaded.config.authority.as_str(), "https://login.microsoftonline.com/contoso.example/v2.0");
    assert_eq!(loaded.config.check_interval, Duration::from_secs(120), "unlocked keys still follow the user file");
    assert_eq!(loaded.config.scopes.join(" "), SCOPES, "unlocked keys still follow the environment");

    let source = |key: &str| loaded.sources.iter().find(|source| source.key == key).expect("listed");
    assert!(source("client_id").locked);
    assert_eq!(source("client_id").origin, Origin::File(managed.clone()));
    assert_eq!(source("client_id").ignored, [(Origin::Env("GRAPHLINK_CLIENT_ID"), None)]);
    assert_eq!(source("authority").ignored, [(Origin::File(user.clone()), Some(3))]);
    assert_eq!(source("scopes").origin, Origin::Env("GRAPHLINK_SCOPES"));
    assert_eq!(source("graph_url").origin, Origin::Defaults);
}

#[test]
fn invalid_override_of_locked_key_ignored() {
    let (_dir, managed, user) = write_files(
        &format!("client_id = \"{MANAGED_ID}\"\nauthority = \"https://login.microsoftonline.com/contoso.example/v2.0\"\nlocked = [\"client_id\", \"authority\"]\n"),
        "client_id = \"garbage\"\nauthority = 5\ncheck_interval = 120\n",
    );
    let env = |name: &str| match name {
        "GRAPHLINK_AUTHORITY" => Some("ftp://old.example".to_owned()),
        _ => None,
    };
    let loaded = load_detailed(&managed, &user, env).expect("invalid values of locked keys are ignored");

    assert_eq!(loaded.config.client_id, MANAGED_ID);
    assert_eq!(loaded.config.authority.as_str(), "https://login.microsoftonline.com/contoso.example/v2.0");
    assert_eq!(loaded.config.check_interval, Duration::from_secs(120));
    let source = |key: &str| loaded.sources.iter().find(|source| source.key == key).expect("listed");
    assert_eq!(source("client_id").ignored, [(Origin::File(user.clone()), Some(1))]);
    assert_eq!(source("authority").ignored, [(Origin::File(user.clone()), Some(2)), (Origin::Env("GRAPHLINK_AUTHORITY"), None)]);
}

#[test]
fn invalid_override_of_unlocked_key_rejected() {
    let (_dir, managed, user) = write_files(&format!("client_id = \"{MANAGED_ID}\"\nlocked = [\"client_id\"]\n"), "authority = 5\n");
    let error = load_detailed(&managed, &user, |_| None).expect_err("authority is not locked");
    assert_eq!(error.key, "authority");
}

#[test]
fn locked_true_locks_every_managed_key() {
    let layer = parse_managed(&format!("client_id = \"{MANAGED_ID}\"\ncheck_interval = 600\nlocked = true\n"), Path::new(MANAGED)).expect("valid");
    assert_eq!(layer.locked, ["client_id", "check_interval"]);
}

#[test]
fn unknown_locked_name_rejected() {
    let error = parse_managed(&format!("client_id = \"{MANAGED_ID}\"\nlocked = [\"clientid\"]\n"), Path::new(MANAGED)).expect_err("unknown name");
    assert_eq!(error.key, "locked");
    assert_eq!(error.line, Some(2));
    let text = error.to_string();
    assert!(text.contains("/etc/graphlink/config.toml line 2"), "{text}");
    assert!(text.contains("\"clientid\""), "{text}");
    assert!(error.fix.contains("client_id, authority, graph_url, scopes, check_interval"), "{}", error.fix);
}

#[test]
fn locked_in_user_file_rejected() {
    let error = parse(&format!("client_id = \"{FILE_ID}\"\nlocked = true\n")).expect_err("user file cannot lock");
    assert_eq!(error.key, "locked");
    assert_eq!(error.line, Some(2));
    assert!(error.problem.contains("managed file"), "{}", error.problem);
}

#[test]
fn managed_file_errors_name_file_and_line() {
    let error = parse_managed("locked = [\"scopes\"]\ncheck_interval = 5\n", Path::new(MANAGED)).expect_err("bad interval");
    assert_eq!((error.key.as_str(), error.line), ("check_interval", Some(2)));
    assert!(error.to_string().contains(MANAGED), "{error}");
}

#[test]
fn managed_file_not_utf8_says_encoding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let managed = dir.path().join("managed.toml");
    // "café" as Windows-1252 writes é as the single byte 0xE9.
    std::fs::write(&managed, b"check_interval = 300\n# caf\xe9\nlocked = true\n").expect("write managed");
    let error = load_detailed(&managed, &dir.path().join("absent.toml"), |_| None).expect_err("not UTF-8");
    assert_eq!(error.origin, Origin::File(managed.clone()));
    assert_eq!(error.line, Some(2));
    assert!(error.problem.contains("is not valid UTF-8 text"), "{}", error.problem);
    assert!(error.problem.contains("offset 26"), "{}", error.problem);
    assert!(error.fix.contains("save the file as UTF-8 text"), "{}", error.fix);
    assert!(!error.fix.contains("permissions"), "{}", error.fix);
    let message = error.to_string();
    assert!(message.contains("line 2: the file is not valid UTF-8"), "{message}");
}

#[test]
fn wrong_type_message_reads() {
    let error = parse("client_id = 12\n").expect_err("a number");
    assert!(error.problem.starts_with("is an integer"), "{}", error.problem);
}

#[test]
fn unreadable_managed_file_says_permissions() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory in place of the file fails to read even for root.
    let managed = dir.path().join("managed.toml");
    std::fs::create_dir(&managed).expect("create dir");
    let error = load_detailed(&managed, &dir.path().join("absent.toml"), |_| None).expect_err("unreadable");
    assert_eq!(error.origin, Origin::File(managed.clone()));
    assert!(error.problem.contains("could not be read"), "{}", error.problem);
    assert!(error.fix.contains("permissions"), "{}", error.fix);
    assert!(!error.fix.contains("UTF-8"), "{}", error.fix);
}

#[test]
fn url_with_credentials_rejected_unprinted() {
    for url in ["https://rep:Secret1@login.microsoftonline.com/organizations/v2.0", "https://rep:Secret1@login.microsoftonline.com:99999/organizations/v2.0"] {
        let error = parse(&format!("authority = \"{url}\"\n")).expect_err("credentials");
        assert_eq!(error.key, "authority");
        assert!(!error.to_string().contains("Secret1"), "{error}");
    }
}

#[test]
fn syntax_error_names_key_and_table_its_line() {
    let error = parse("check_interval = 300\nclient_id = \n").expect_err("no value");
    assert_eq!((error.key.as_str(), error.line), ("client_id", Some(2)));

    let error = parse("check_interval = 300\n\n[section]\nname = 1\n").expect_err("unknown table");
    assert_eq!((error.key.as_str(), error.line), ("section", Some(3)));
}
