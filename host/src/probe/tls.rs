//! `host.probe-tls`: the default handshake, TLS 1.3 alone and TLS 1.2
//! alone, with rustls (ring provider). Each handshake records the chain the
//! server sent (a verifier that checks the handshake signature and keeps the
//! chain); the chain is then verified against the Mozilla roots and the
//! operator's CAs with rustls' WebPKI verifier, and the host name checked
//! on its own, so an expired chain and a wrong name are told apart.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::{
    CertificateInfo, Failure, ProbeError, ProbeSettings, Target, TlsAttempt, TlsReport, connect,
};

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts any chain once the handshake signature verifies, and keeps it.
#[derive(Debug)]
pub struct Recorder {
    provider: Arc<CryptoProvider>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl Recorder {
    fn new(provider: Arc<CryptoProvider>) -> Arc<Self> {
        Arc::new(Self {
            provider,
            chain: Mutex::new(Vec::new()),
        })
    }

    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        *self.chain.lock().unwrap_or_else(|e| e.into_inner()) = chain;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

pub fn server_name(t: &Target) -> Result<ServerName<'static>, ProbeError> {
    let name = match &t.endpoint.host {
        url::Host::Domain(d) => d.trim_end_matches('.').to_string(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    ServerName::try_from(name).map_err(|e| {
        ProbeError::new(
            Failure::ProtocolError,
            format!("not a TLS server name: {e}"),
        )
    })
}

/// Which versions a handshake offers.
#[derive(Debug, Clone, Copy)]
pub enum Offer {
    Default,
    Tls13,
    Tls12,
}

impl Offer {
    fn label(self) -> &'static str {
        match self {
            Offer::Default => "default",
            Offer::Tls13 => "TLSv1.3",
            Offer::Tls12 => "TLSv1.2",
        }
    }
}

/// One TLS handshake over a fresh connection to a checked address.
pub async fn handshake(
    addr: SocketAddr,
    name: ServerName<'static>,
    offer: Offer,
    alpn: &[&[u8]],
    deadline: Instant,
) -> Result<(TlsStream<TcpStream>, Arc<Recorder>), (ProbeError, Option<Arc<Recorder>>)> {
    let (tcp, _) = connect(&[addr], deadline).await.map_err(|e| (e, None))?;
    handshake_on(tcp, name, offer, alpn, deadline).await
}

/// One TLS handshake over a connection made to a checked address.
pub async fn handshake_on(
    tcp: TcpStream,
    name: ServerName<'static>,
    offer: Offer,
    alpn: &[&[u8]],
    deadline: Instant,
) -> Result<(TlsStream<TcpStream>, Arc<Recorder>), (ProbeError, Option<Arc<Recorder>>)> {
    let provider = provider();
    let versions: &[&'static rustls::SupportedProtocolVersion] = match offer {
        Offer::Default => &[&rustls::version::TLS13, &rustls::version::TLS12],
        Offer::Tls13 => &[&rustls::version::TLS13],
        Offer::Tls12 => &[&rustls::version::TLS12],
    };
    let recorder = Recorder::new(provider.clone());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| (ProbeError::new(Failure::TlsFailed, e.to_string()), None))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config.resumption = rustls::client::Resumption::disabled();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    match tokio::time::timeout_at(deadline.into(), connector.connect(name, tcp)).await {
        Ok(Ok(stream)) => Ok((stream, recorder)),
        Ok(Err(e)) => Err((
            ProbeError::new(Failure::TlsFailed, format!("handshake failed: {e}")),
            Some(recorder),
        )),
        Err(_) => Err((
            ProbeError::new(Failure::Timeout, "no TLS handshake within the probe's time"),
            Some(recorder),
        )),
    }
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

/// The IANA name of a cipher suite (`TLS_AES_128_GCM_SHA256`).
pub fn cipher_name(s: rustls::CipherSuite) -> String {
    let name = s.as_str().map_or_else(|| format!("{s:?}"), str::to_string);
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

pub async fn probe(
    settings: &ProbeSettings,
    target: &Target,
    deadline: Instant,
) -> Result<TlsReport, ProbeError> {
    let addrs = super::resolve(settings, &target.endpoint, deadline).await?;
    let name = server_name(target)?;
    // The first address that accepts a connection is the one every
    // handshake uses: no second lookup.
    let (first, address) = connect(&addrs, deadline).await?;
    let mut first = Some(first);
    let mut attempts = Vec::new();
    let mut chain: Vec<CertificateDer<'static>> = Vec::new();
    for offer in [Offer::Default, Offer::Tls13, Offer::Tls12] {
        let done = match first.take() {
            Some(tcp) => handshake_on(tcp, name.clone(), offer, &[], deadline).await,
            None => handshake(address, name.clone(), offer, &[], deadline).await,
        };
        let attempt = match done {
            Ok((stream, recorder)) => {
                let (_, conn) = stream.get_ref();
                if chain.is_empty() {
                    chain = recorder.chain();
                }
                TlsAttempt {
                    offered: offer.label().into(),
                    accepted: true,
                    version: conn.protocol_version().map(version_name),
                    cipher: conn
                        .negotiated_cipher_suite()
                        .map(|s| cipher_name(s.suite())),
                    error: None,
                }
            }
            Err((e, recorder)) => {
                if chain.is_empty()
                    && let Some(r) = recorder
                {
                    chain = r.chain();
                }
                TlsAttempt {
                    offered: offer.label().into(),
                    accepted: false,
                    version: None,
                    cipher: None,
                    error: Some(e.message),
                }
            }
        };
        attempts.push(attempt);
    }
    let certificate = if chain.is_empty() {
        None
    } else {
        Some(certificate_info(settings, &chain, &name))
    };
    Ok(TlsReport {
        endpoint: target.to_string(),
        address: address.to_string(),
        attempts,
        certificate,
        not_probed: vec![
            "TLSv1.1: not probed (the host's TLS library speaks only TLS 1.2 and 1.3)".into(),
            "TLSv1.0: not probed (the host's TLS library speaks only TLS 1.2 and 1.3)".into(),
        ],
    })
}

fn roots(settings: &ProbeSettings) -> Arc<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for ca in &settings.extra_cas {
        // A CA rustls cannot parse is simply not a trust anchor.
        let _ = roots.add(ca.clone());
    }
    Arc::new(roots)
}

/// Verify the chain (ignoring the name), then the name on its own.
pub fn verify(
    settings: &ProbeSettings,
    chain: &[CertificateDer<'static>],
    name: &ServerName<'static>,
) -> (bool, Option<String>, bool) {
    let provider = provider();
    let name_ok = rustls::server::ParsedCertificate::try_from(&chain[0])
        .and_then(|c| rustls::client::verify_server_name(&c, name))
        .is_ok();
    let verifier = match rustls::client::WebPkiServerVerifier::builder_with_provider(
        roots(settings),
        provider,
    )
    .build()
    {
        Ok(v) => v,
        Err(e) => return (false, Some(format!("no verifier: {e}")), name_ok),
    };
    match verifier.verify_server_cert(&chain[0], &chain[1..], name, &[], UnixTime::now()) {
        Ok(_) => (true, None, name_ok),
        Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => (true, None, false),
        Err(e) => (false, Some(e.to_string()), name_ok),
    }
}

fn certificate_info(
    settings: &ProbeSettings,
    chain: &[CertificateDer<'static>],
    name: &ServerName<'static>,
) -> CertificateInfo {
    let (chain_valid, chain_error, hostname_matches) = verify(settings, chain, name);
    let mut info = CertificateInfo {
        subject: String::new(),
        issuer: String::new(),
        names: Vec::new(),
        not_before: String::new(),
        not_after: String::new(),
        days_to_expiry: 0,
        chain_length: chain.len() as u32,
        chain_valid,
        chain_error,
        hostname_matches,
    };
    match x509_parser::parse_x509_certificate(&chain[0]) {
        Ok((_, cert)) => {
            info.subject = cert.subject().to_string();
            info.issuer = cert.issuer().to_string();
            if let Ok(Some(san)) = cert.subject_alternative_name() {
                for n in &san.value.general_names {
                    use x509_parser::extensions::GeneralName;
                    match n {
                        GeneralName::DNSName(d) => info.names.push(d.to_string()),
                        GeneralName::IPAddress(b) => info.names.push(match b.len() {
                            4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
                            16 => {
                                let a: [u8; 16] = (*b).try_into().expect("16 bytes");
                                std::net::Ipv6Addr::from(a).to_string()
                            }
                            _ => format!("IP {b:02x?}"),
                        }),
                        _ => {}
                    }
                }
            }
            let v = cert.validity();
            let nb = v.not_before.timestamp();
            let na = v.not_after.timestamp();
            info.not_before = rfc3339(nb);
            info.not_after = rfc3339(na);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            info.days_to_expiry = (na - now).div_euclid(86_400);
        }
        Err(e) => {
            let msg = format!("the leaf certificate does not parse: {e}");
            info.chain_error.get_or_insert(msg);
        }
    }
    info
}

/// Seconds since the epoch as RFC 3339 UTC (`2027-01-31T12:00:00Z`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let mut y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    if m <= 2 {
        y += 1;
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn cipher_suites_have_iana_names() {
        assert_eq!(
            cipher_name(rustls::CipherSuite::TLS13_AES_128_GCM_SHA256),
            "TLS_AES_128_GCM_SHA256"
        );
        assert_eq!(
            cipher_name(rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        );
    }
}
