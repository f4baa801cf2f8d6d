//! Host-mediated probes and hashing (contract 0.1.3). A plugin never gets a
//! socket: it names an endpoint the operator granted and the host makes the
//! connection, checks the address it resolved to, bounds the probe and
//! records it in the report. Natively (unit tests) there is no host, so a
//! probe fails with `not-granted` and the plugin's judging is tested on
//! reports built by hand; hashing is done natively.

use crate::{Context, HttpReport, ProbeError, TlsReport};

#[cfg(target_arch = "wasm32")]
use crate::bindings::aicomply::plugin::host;

impl Context {
    /// The endpoints this plugin may probe (`https://host:port/path`), as
    /// the operator granted them; empty without the `net-probe` capability.
    pub fn endpoints(&self) -> Vec<String> {
        #[cfg(target_arch = "wasm32")]
        {
            host::endpoints()
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.endpoints.clone()
        }
    }

    /// The same context with endpoints granted (for native tests; probes
    /// of them still fail natively).
    pub fn with_endpoints(mut self, endpoints: &[&str]) -> Self {
        self.endpoints = endpoints.iter().map(|e| e.to_string()).collect();
        self
    }

    /// TLS handshakes with a granted endpoint, made by the host.
    pub fn probe_tls(&self, endpoint: &str) -> Result<TlsReport, ProbeError> {
        #[cfg(target_arch = "wasm32")]
        {
            host::probe_tls(endpoint)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            Err(no_host(endpoint))
        }
    }

    /// A GET without credentials of a granted endpoint, made by the host.
    pub fn probe_http(&self, endpoint: &str) -> Result<HttpReport, ProbeError> {
        #[cfg(target_arch = "wasm32")]
        {
            host::probe_http(endpoint)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            Err(no_host(endpoint))
        }
    }

    /// SHA-256 (lower-case hex) of a regular file under the mounted root
    /// named `root` (`path` relative to it), hashed by the host at native
    /// speed: inside the sandbox SHA-256 runs several times slower.
    pub fn hash_file(&self, root: &str, path: &str) -> Result<String, String> {
        #[cfg(target_arch = "wasm32")]
        {
            host::hash_file(root, path)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let dir = self
                .root(root)
                .ok_or_else(|| format!("root {root} is not mounted"))?;
            native_sha256(&dir.join(path))
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn no_host(endpoint: &str) -> ProbeError {
    ProbeError {
        failure: crate::ProbeFailure::NotGranted,
        message: format!("{endpoint}: probes are made only by the aicomply host"),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn native_sha256(path: &std::path::Path) -> Result<String, String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let (mut file, _) = crate::fs::open_regular(path).map_err(|e| e.to_string())?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
