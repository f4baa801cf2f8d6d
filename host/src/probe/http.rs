//! `host.probe-http`: one GET without credentials, over HTTP/1.1 (TLS for
//! `https`), the response head parsed with httparse within
//! [`MAX_HEAD_BYTES`], the body read up to [`MAX_BODY_BYTES`] and dropped.
//! Redirects are reported and followed only within the plugin's grants.
//! `body-bytes` counts bytes as received (chunk framing included), up to
//! the bound; `truncated` says there was more (or the time ran out).

use std::net::SocketAddr;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::tls::{self, Offer};
use super::{
    Endpoint, Failure, HttpReport, MAX_BODY_BYTES, MAX_HEAD_BYTES, MAX_REDIRECTS, ProbeError,
    Prober, Redirect, Scheme, Target, connect,
};

/// Response headers a probe reports (names in lower case); `ratelimit-*`
/// and `x-ratelimit-*` by prefix.
const SELECTED: &[&str] = &[
    "strict-transport-security",
    "retry-after",
    "www-authenticate",
    "location",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "server",
];
const MAX_HEADERS: usize = 128;
const MAX_HEADER_VALUE: usize = 1024;

fn selected(name: &str) -> bool {
    SELECTED.contains(&name) || name.starts_with("ratelimit-") || name.starts_with("x-ratelimit-")
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

struct Response {
    status: u16,
    /// Selected headers, lower-case names.
    headers: Vec<(String, String)>,
    location: Option<String>,
    body_bytes: u64,
    truncated: bool,
}

/// What to do with a redirect to `location` from `current`, having
/// followed `followed` already: the URL to follow, or why not.
pub fn decide(
    grants: &[Endpoint],
    current: &Target,
    location: &str,
    followed: usize,
) -> Result<Target, String> {
    let base = url::Url::parse(&current.to_string()).map_err(|e| e.to_string())?;
    let next = base
        .join(location)
        .map_err(|e| format!("not followed: the location is not a URL ({e})"))?;
    let next = Target::from_url(next).map_err(|e| format!("not followed: {e}"))?;
    if !grants.iter().any(|g| g.covers(&next.endpoint)) {
        return Err(format!(
            "not followed: {next} is not an endpoint granted to this plugin"
        ));
    }
    if followed >= MAX_REDIRECTS {
        return Err(format!(
            "not followed: {MAX_REDIRECTS} redirects were followed already"
        ));
    }
    Ok(next)
}

pub async fn probe(
    prober: &Prober,
    target: Target,
    deadline: Instant,
) -> Result<HttpReport, ProbeError> {
    let endpoint = target.to_string();
    let mut current = target;
    let mut addrs = prober.resolve(&current.endpoint, deadline).await?;
    let mut redirects = Vec::new();
    loop {
        let (resp, address) = fetch(&current, &addrs, deadline).await?;
        let mut report = HttpReport {
            endpoint: endpoint.clone(),
            url: current.to_string(),
            address: address.to_string(),
            status: resp.status,
            headers: resp.headers,
            refused_unauthenticated: matches!(resp.status, 401 | 403),
            redirects: Vec::new(),
            body_bytes: resp.body_bytes,
            truncated: resp.truncated,
        };
        let location = resp.location.filter(|_| (300..400).contains(&resp.status));
        let Some(location) = location else {
            report.redirects = redirects;
            return Ok(report);
        };
        let shown = super::clip(&location);
        match decide(&prober.endpoints, &current, &location, redirects.len()) {
            Err(note) => {
                redirects.push(Redirect {
                    status: resp.status,
                    location: shown,
                    followed: false,
                    note: super::clip(&note),
                });
            }
            Ok(next) => match prober.resolve(&next.endpoint, deadline).await {
                Err(e) => redirects.push(Redirect {
                    status: resp.status,
                    location: shown,
                    followed: false,
                    note: format!("not followed ({}): {}", e.failure.as_str(), e.message),
                }),
                Ok(next_addrs) => {
                    redirects.push(Redirect {
                        status: resp.status,
                        location: shown,
                        followed: true,
                        note: super::clip(&format!("followed to {next}, a granted endpoint")),
                    });
                    current = next;
                    addrs = next_addrs;
                    continue;
                }
            },
        }
        report.redirects = redirects;
        return Ok(report);
    }
}

async fn open(
    t: &Target,
    addrs: &[SocketAddr],
    deadline: Instant,
) -> Result<(Box<dyn Stream>, SocketAddr), ProbeError> {
    match t.endpoint.scheme {
        Scheme::Http => {
            let (s, a) = connect(addrs, deadline).await?;
            Ok((Box::new(s), a))
        }
        Scheme::Https => {
            let name = tls::server_name(t)?;
            let mut last = None;
            for a in addrs {
                match tls::handshake(*a, name.clone(), Offer::Default, &[b"http/1.1"], deadline)
                    .await
                {
                    Ok((s, _)) => return Ok((Box::new(s), *a)),
                    Err((e, _)) if e.failure == Failure::ConnectFailed => last = Some(e),
                    Err((e, _)) => return Err(e),
                }
            }
            Err(last.unwrap_or_else(|| ProbeError::new(Failure::ConnectFailed, "no address")))
        }
    }
}

async fn fetch(
    t: &Target,
    addrs: &[SocketAddr],
    deadline: Instant,
) -> Result<(Response, SocketAddr), ProbeError> {
    let (mut stream, address) = open(t, addrs, deadline).await?;
    let default_port = match t.endpoint.scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
    };
    let host = if t.endpoint.port == default_port {
        t.endpoint.host_str()
    } else {
        format!("{}:{}", t.endpoint.host_str(), t.endpoint.port)
    };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: aicomply-probe/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        t.request_target(),
        env!("CARGO_PKG_VERSION")
    );
    let io = |e: std::io::Error| ProbeError::new(Failure::ProtocolError, format!("{address}: {e}"));
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;

    // The head, within MAX_HEAD_BYTES.
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 8192];
    let (head_len, status, headers, location, content_length) = loop {
        let room = MAX_HEAD_BYTES + 1 - buf.len();
        let n = stream
            .read(&mut chunk[..room.min(8192)])
            .await
            .map_err(io)?;
        if n == 0 {
            return Err(ProbeError::new(
                Failure::ProtocolError,
                format!(
                    "the connection closed before a complete HTTP response head ({} bytes read)",
                    buf.len()
                ),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut slots);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let status = resp.code.unwrap_or(0);
                let mut kept = Vec::new();
                let mut location = None;
                let mut content_length = None;
                for h in resp.headers.iter() {
                    let name = h.name.to_ascii_lowercase();
                    let value = String::from_utf8_lossy(h.value).trim().to_string();
                    if name == "content-length" {
                        content_length = value.parse::<u64>().ok();
                    }
                    if name == "location" && location.is_none() {
                        location = Some(value.clone());
                    }
                    if selected(&name) {
                        kept.push((name, super::clip_to(&value, MAX_HEADER_VALUE)));
                    }
                }
                break (len, status, kept, location, content_length);
            }
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
                return Err(ProbeError::new(
                    Failure::ProtocolError,
                    format!(
                        "the response head is larger than {} KiB; not read further",
                        MAX_HEAD_BYTES >> 10
                    ),
                ));
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ProbeError::new(
                    Failure::ProtocolError,
                    format!("the response has more than {MAX_HEADERS} headers"),
                ));
            }
            Err(e) => {
                return Err(ProbeError::new(
                    Failure::ProtocolError,
                    format!("not an HTTP/1.x response: {e}"),
                ));
            }
        }
    };

    // The body, up to MAX_BODY_BYTES (and one byte more, to tell whether
    // there was more), until the deadline: then what was read is reported.
    let mut body = (buf.len() - head_len) as u64;
    let no_body = matches!(status, 100..=199 | 204 | 304);
    let wanted = content_length.unwrap_or(u64::MAX);
    let limit = MAX_BODY_BYTES as u64 + 1;
    let mut timed_out = false;
    if !no_body {
        while body < wanted.min(limit) {
            let room = (wanted.min(limit) - body).min(chunk.len() as u64) as usize;
            match tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk[..room])).await {
                Ok(Ok(0)) => break,
                Ok(Ok(n)) => body += n as u64,
                Ok(Err(_)) => break,
                Err(_) => {
                    timed_out = true;
                    break;
                }
            }
        }
    } else {
        body = 0;
    }
    let truncated = timed_out
        || body > MAX_BODY_BYTES as u64
        || content_length.is_some_and(|l| l > MAX_BODY_BYTES as u64);
    Ok((
        Response {
            status,
            headers,
            location,
            body_bytes: body.min(MAX_BODY_BYTES as u64),
            truncated,
        },
        address,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(list: &[&str]) -> Vec<Endpoint> {
        list.iter().map(|e| Endpoint::parse(e).unwrap()).collect()
    }

    #[test]
    fn redirects_are_followed_only_within_the_grants_and_the_limit() {
        let g = grants(&["https://api.test/v1", "http://127.0.0.1:8080/"]);
        let here = Target::parse("https://api.test/v1/models").unwrap();
        // Relative, within the grant.
        let next = decide(&g, &here, "/v1/login", 0).unwrap();
        assert_eq!(next.to_string(), "https://api.test:443/v1/login");
        let next = decide(&g, &here, "other?x=1", 0).unwrap();
        assert_eq!(next.to_string(), "https://api.test:443/v1/other?x=1");
        // Another granted endpoint, by IP literal.
        assert!(decide(&g, &here, "http://127.0.0.1:8080/x", 2).is_ok());
        // Outside the grants: another path, scheme, port, host, metadata.
        for loc in [
            "/admin",
            "http://api.test/v1",
            "https://api.test:444/v1",
            "https://evil.test/v1",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:8080/",
            "http://[::ffff:127.0.0.1]:8080/",
            "https://user:pw@api.test/v1",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "//evil.test/v1",
        ] {
            let e = decide(&g, &here, loc, 0).unwrap_err();
            assert!(e.starts_with("not followed"), "{loc}: {e}");
        }
        // Past the limit, even when granted.
        let e = decide(&g, &here, "/v1/again", MAX_REDIRECTS).unwrap_err();
        assert!(e.contains("redirects were followed"), "{e}");
    }

    #[test]
    fn only_the_selected_headers_are_kept() {
        for h in [
            "strict-transport-security",
            "ratelimit-limit",
            "x-ratelimit-remaining",
            "retry-after",
            "www-authenticate",
            "location",
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "server",
        ] {
            assert!(selected(h), "{h}");
        }
        for h in ["set-cookie", "authorization", "content-type", "x-api-key"] {
            assert!(!selected(h), "{h}");
        }
    }
}
