//! A damaged configuration file stops each command with an error that names
//! the file, the line, the key and the fix, and touches neither the linked
//! account nor its refresh token: once the file is fixed, the link works.

mod common;

use common::{TestEnv, describe};

/// A damaged file, and what its error must contain.
struct Damage {
    text: &'static str,
    line: usize,
    key: &'static str,
    fix: &'static str,
}

const DAMAGES: [Damage; 4] = [
    Damage { text: "check_interval = 300\nscopes = [\"offline_access\", \"User.Read\"\n", line: 2, key: "scopes", fix: "correct the TOML syntax" },
    Damage { text: "check_interval = 300\ncolour = \"blue\"\n", line: 2, key: "colour", fix: "remove it or use one of: client_id, authority" },
    Damage { text: "\n\ncheck_interval = \"often\"\n", line: 3, key: "check_interval", fix: "check_interval = 300" },
    Damage { text: "# managed by hand\nscopes = \"openid profile User.Read Mail.Read Calendars.Read\"\n", line: 2, key: "scopes", fix: "add offline_access" },
];

#[tokio::test(flavor = "multi_thread")]
async fn damaged_config_keeps_account() {
    let env = TestEnv::start().await;
    let output = env.connect().await;
    assert!(output.status.success(), "{}", describe(&output));
    let token = env.keyring_secret().expect("token stored");
    let accounts_file = env.data_dir().join("graphlink/accounts.json");
    let accounts = std::fs::read(&accounts_file).expect("accounts.json written");
    let config_file = env.dir.path().join("config/graphlink/config.toml");
    std::fs::create_dir_all(config_file.parent().expect("parent")).expect("config dir");

    for damage in &DAMAGES {
        std::fs::write(&config_file, damage.text).expect("write config");

        for args in [&["status", "--json"][..], &["connect", "--timeout", "5"], &["disconnect", &env.user.username]] {
            let output = env.run(args).await;
            let stderr = String::from_utf8_lossy(&output.stderr);
            let context = format!("`graphlink {}` with\n{}\n{}", args.join(" "), damage.text, describe(&output));
            assert_eq!(output.status.code(), Some(2), "{context}");
            assert!(stderr.contains(&config_file.display().to_string()), "the error must name the file: {context}");
            assert!(stderr.contains(&format!("line {}", damage.line)), "the error must name the line: {context}");
            assert!(stderr.contains(damage.key), "the error must name the key: {context}");
            assert!(stderr.contains(damage.fix), "the error must give the fix: {context}");
        }

        assert_eq!(env.keyring_secret().as_deref(), Some(token.as_str()), "the refresh token must be untouched");
        assert_eq!(std::fs::read(&accounts_file).expect("accounts.json kept"), accounts, "the account must be untouched");
    }
    assert_eq!(env.state.stats().token_requests, 1, "no command may reach the token endpoint with a damaged file");

    std::fs::write(&config_file, "check_interval = 300\n").expect("fix config");
    let (code, document) = env.status().await;
    assert_eq!(code, 0, "{document}");
    assert_eq!(TestEnv::only_account(&document)["state"], "connected");
    let rotated = env.keyring_secret().expect("token kept");
    assert_eq!(Some(rotated), env.state.latest_refresh_token(&env.user.username), "the fixed link refreshes and stores the rotated token");
}
