//! A TLS handshake that reports who issued the server's certificate, so a
//! failure can name the issuer (typically a corporate proxy's CA that the OS
//! trust store lacks). The certificate is verified by the same platform
//! verifier the HTTP client uses, through the proxy that client would use.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use url::Url;
use x509_cert::der::Decode as _;

use crate::proxy;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The result of one inspected handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsReport {
    pub host: String,
    /// The platform verifier accepted the certificate chain.
    pub verified: bool,
    /// Subject of the server's certificate, e.g. `CN=graph.microsoft.com`.
    pub subject: Option<String>,
    /// Issuer of the server's certificate.
    pub issuer: Option<String>,
    /// Issuer of the last certificate the server sent: the root CA the chain claims.
    pub chain_root_issuer: Option<String>,
    /// The verifier's or the connection's error.
    pub error: Option<String>,
}

impl TlsReport {
    /// Returns one sentence for the user naming the issuer, for a failed verification.
    #[must_use]
    pub fn untrusted_message(&self) -> Option<String> {
        if self.verified {
            return None;
        }
        let issuer = self.chain_root_issuer.as_ref().or(self.issuer.as_ref())?;
        Some(format!(
            "The certificate of {} was issued by \"{issuer}\", which this computer does not trust. If that is your organisation's proxy, IT must add its CA certificate to the system trust store.",
            self.host
        ))
    }
}

/// Records the chain the server sent, then lets the platform verifier decide.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    chain: Mutex<Vec<Vec<u8>>>,
    outcome: Mutex<Option<Result<(), String>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity).chain(intermediates).map(|cert| cert.as_ref().to_vec()).collect();
        *self.chain.lock().unwrap_or_else(PoisonError::into_inner) = chain;
        let result = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(result.as_ref().map(|_| ()).map_err(ToString::to_string));
        result
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Connects to the host of an `https` URL, directly or through the proxy in
/// effect for it, and reports the certificate and whether it is trusted.
/// Returns `None` for other schemes.
pub async fn inspect(url: &Url) -> Option<TlsReport> {
    if url.scheme() != "https" {
        return None;
    }
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let mut report = TlsReport { host: host.clone(), verified: false, subject: None, issuer: None, chain_root_issuer: None, error: None };

    let verifier = match platform_verifier() {
        Ok(verifier) => Arc::new(RecordingVerifier { inner: verifier, chain: Mutex::new(Vec::new()), outcome: Mutex::new(None) }),
        Err(error) => {
            report.error = Some(error);
            return Some(report);
        }
    };
    let result = tokio::time::timeout(TIMEOUT, handshake(url, &host, port, Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)).await;
    let connection_error = match result {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(_) => Some(format!("no TLS handshake with {host} within {} seconds", TIMEOUT.as_secs())),
    };

    let chain = verifier.chain.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if let Some(first) = chain.first() {
        (report.subject, report.issuer) = names(first);
    }
    if let Some(last) = chain.last() {
        report.chain_root_issuer = names(last).1;
    }
    let outcome = verifier.outcome.lock().unwrap_or_else(PoisonError::into_inner).clone();
    match outcome {
        Some(Ok(())) => {
            report.verified = true;
            report.error = connection_error;
        }
        Some(Err(error)) => report.error = Some(error),
        None => report.error = connection_error.or_else(|| Some("the server sent no certificate".to_owned())),
    }
    Some(report)
}

fn platform_verifier() -> Result<Arc<dyn ServerCertVerifier>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls_platform_verifier::Verifier::new(provider)
        .map(|verifier| Arc::new(verifier) as Arc<dyn ServerCertVerifier>)
        .map_err(|error| format!("the system trust store could not be loaded: {error}"))
}

async fn handshake(url: &Url, host: &str, port: u16, verifier: Arc<dyn ServerCertVerifier>) -> Result<(), String> {
    let stream = match proxy::for_url(url) {
        Some(proxy) => connect_through(&proxy, host, port).await?,
        None => TcpStream::connect((host, port)).await.map_err(|error| format!("could not connect to {host}:{port}: {error}"))?,
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(|error| format!("{host} is not a valid server name: {error}"))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let mut tls = connector.connect(name, stream).await.map_err(|error| error.to_string())?;
    // Closing politely is best effort because the handshake already produced the report.
    let _ = tls.shutdown().await;
    Ok(())
}

/// Opens a tunnel with `CONNECT` through an `http://` proxy.
async fn connect_through(proxy: &Url, host: &str, port: u16) -> Result<TcpStream, String> {
    let proxy_host = proxy.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
    let proxy_port = proxy.port_or_known_default().unwrap_or(8080);
    let shown = proxy::redact(proxy);
    if proxy.scheme() != "http" {
        return Err(format!("the proxy {shown} is not an http:// proxy, which this check supports"));
    }
    let mut stream = TcpStream::connect((proxy_host.as_str(), proxy_port)).await.map_err(|error| format!("could not connect to the proxy {shown}: {error}"))?;
    let target = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|error| format!("the proxy {shown} closed the connection: {error}"))?;

    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).await.map_err(|error| error.to_string())? == 0 {
            return Err(format!("the proxy {shown} sent no complete answer to CONNECT"));
        }
        head.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(format!("the proxy {shown} refused the tunnel to {target}: {status_line}"));
    }
    Ok(stream)
}

/// Returns the subject and issuer of a DER certificate, as RFC 4514 strings.
fn names(der: &[u8]) -> (Option<String>, Option<String>) {
    match x509_cert::Certificate::from_der(der) {
        Ok(cert) => (Some(cert.tbs_certificate().subject().to_string()), Some(cert.tbs_certificate().issuer().to_string())),
        Err(_) => (None, None),
    }
}
