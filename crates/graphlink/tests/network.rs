//! Company networks with real components on loopback: a TLS server whose
//! certificate comes from a CA generated here (trusted through
//! `SSL_CERT_FILE`, which the platform verifier reads on Linux, or not
//! trusted at all), and an HTTP `CONNECT` proxy.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use common::{TestEnv, describe};
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, SanType};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const CA_NAME: &str = "Graphlink Test Corporate CA";

/// A CA, a server certificate for 127.0.0.1 signed by it, and their PEM files.
struct TestPki {
    ca_file: std::path::PathBuf,
    other_ca_file: std::path::PathBuf,
    server_config: Arc<rustls::ServerConfig>,
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair, CertificateParams) {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn.push(DnType::OrganizationName, "Contoso Test");
    params.distinguished_name = dn;
    (params.self_signed(&key).expect("CA certificate"), key, params)
}

fn pki(dir: &std::path::Path) -> TestPki {
    let (ca_cert, ca_key, ca_params) = ca(CA_NAME);
    let (other_ca, _, _) = ca("Some Other CA");

    let server_key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.subject_alt_names = vec![SanType::IpAddress(Ipv4Addr::LOCALHOST.into())];
    params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let server_cert = params.signed_by(&server_key, &issuer).expect("server certificate");

    let ca_file = dir.join("corporate-ca.pem");
    std::fs::write(&ca_file, ca_cert.pem()).expect("write CA");
    let other_ca_file = dir.join("other-ca.pem");
    std::fs::write(&other_ca_file, other_ca.pem()).expect("write other CA");

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).expect("key DER");
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone()], key)
        .expect("server config");
    TestPki { ca_file, other_ca_file, server_config: Arc::new(server_config) }
}

/// Serves the simulator's state over TLS at `https://127.0.0.1:PORT`: a TLS
/// listener whose connections are piped to the simulator's router, built
/// with the `https` base URL so every discovered endpoint uses TLS too.
async fn tls_simulator(env: &TestEnv, server_config: Arc<rustls::ServerConfig>) -> String {
    let tls_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("bind TLS");
    let base = format!("https://{}", tls_listener.local_addr().expect("addr"));
    let plain_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("bind plain");
    let plain = plain_listener.local_addr().expect("addr");
    let router = graphlink_sim::router(env.state.clone(), base.clone());
    tokio::spawn(async move { axum::serve(plain_listener, router).await });

    let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = tls_listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut upstream) = TcpStream::connect(plain).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    base
}

/// Starts an HTTP proxy that only tunnels (`CONNECT`) and records each target.
async fn connect_proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("bind proxy");
    let addr = listener.local_addr().expect("addr");
    let targets = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&targets);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0_u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let mut words = head.split_whitespace();
                let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
                    let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n").await;
                    return;
                };
                seen.lock().expect("lock").push(target.to_owned());
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n").await;
                    return;
                };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr, targets)
}

/// Runs `status --json` against the TLS simulator with extra variables.
async fn status_over_tls(env: &TestEnv, base: &str, vars: &[(&str, String)]) -> (std::process::Output, Value) {
    let mut command = env.command(&["status", "--json"]);
    command
        .env("GRAPHLINK_AUTHORITY", format!("{base}/organizations/v2.0"))
        .env("GRAPHLINK_GRAPH_URL", format!("{base}/v1.0"))
        .env_remove("SSL_CERT_DIR")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    let document = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    (output, document)
}

#[tokio::test(flavor = "multi_thread")]
async fn trusted_corporate_ca_connects() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let pki = pki(env.dir.path());
    let base = tls_simulator(&env, Arc::clone(&pki.server_config)).await;

    let (output, document) = status_over_tls(&env, &base, &[("SSL_CERT_FILE", pki.ca_file.display().to_string())]).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(TestEnv::only_account(&document)["state"], "connected", "{document}");
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_ca_is_offline_naming_issuer() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let stored = env.keyring_secret().expect("token stored");
    let pki = pki(env.dir.path());
    let base = tls_simulator(&env, Arc::clone(&pki.server_config)).await;

    let (output, document) = status_over_tls(&env, &base, &[("SSL_CERT_FILE", pki.other_ca_file.display().to_string())]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let account = TestEnv::only_account(&document);
    assert_eq!(account["state"], "offline", "{account}");
    assert_eq!(account["action"]["kind"], "none", "{account}");
    let message = account["message"].as_str().unwrap_or_default();
    assert!(message.contains(CA_NAME), "the message must name the issuer: {message}");
    assert_eq!(env.keyring_secret(), Some(stored), "a TLS failure never costs the refresh token");

    let mut command = env.command(&["doctor", "--json"]);
    command
        .env("GRAPHLINK_AUTHORITY", format!("{base}/organizations/v2.0"))
        .env("GRAPHLINK_GRAPH_URL", format!("{base}/v1.0"))
        .env("SSL_CERT_FILE", &pki.other_ca_file)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    let discovery = &report["endpoints"][0];
    assert_eq!(discovery["tls"]["verified"], false, "{discovery}");
    assert!(discovery["tls"]["issuer"].as_str().is_some_and(|issuer| issuer.contains(CA_NAME)), "{discovery}");
    let attention = report["attention"].to_string();
    assert!(attention.contains(CA_NAME), "the finding names the issuer: {attention}");
    assert!(attention.contains("trust store"), "the finding names the fix: {attention}");
}

#[tokio::test(flavor = "multi_thread")]
async fn https_goes_through_proxy() {
    let env = TestEnv::start().await;
    assert!(env.connect().await.status.success());
    let pki = pki(env.dir.path());
    let base = tls_simulator(&env, Arc::clone(&pki.server_config)).await;
    let (proxy, targets) = connect_proxy().await;
    let tls_target = base.trim_start_matches("https://").to_owned();

    let vars = [("SSL_CERT_FILE", pki.ca_file.display().to_string()), ("HTTPS_PROXY", format!("http://{proxy}"))];
    let (output, document) = status_over_tls(&env, &base, &vars).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(TestEnv::only_account(&document)["state"], "connected", "{document}");
    let seen = targets.lock().expect("lock").clone();
    assert!(seen.contains(&tls_target), "the proxy saw {seen:?}, expected {tls_target}");

    let mut command = env.command(&["doctor", "--json"]);
    command
        .env("GRAPHLINK_AUTHORITY", format!("{base}/organizations/v2.0"))
        .env("GRAPHLINK_GRAPH_URL", format!("{base}/v1.0"))
        .env("SSL_CERT_FILE", &pki.ca_file)
        .env("HTTPS_PROXY", format!("http://{proxy}"))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs")).await.expect("join");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    for endpoint in report["endpoints"].as_array().expect("endpoints") {
        assert_eq!(endpoint["proxy"], format!("http://{proxy}/"), "{endpoint}");
        assert_eq!(endpoint["tls"]["verified"], true, "{endpoint}");
        assert_eq!(endpoint["reachable"], true, "{endpoint}");
    }
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}
