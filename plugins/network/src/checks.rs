//! The network plugin's check catalogue. Ids are stable: reports, waivers
//! and SARIF rule ids depend on them. Never rename one; retire it instead.

use aicomply_sdk::{Check, Severity};

// NET-1: TLS 1.3 in transit.
pub const NGINX_TLS_PROTOCOL: &str = "NET-NGINX-TLS-OLD-PROTOCOL";
pub const NGINX_WEAK_CIPHERS: &str = "NET-NGINX-WEAK-CIPHERS";
pub const NGINX_PLAINTEXT: &str = "NET-NGINX-PLAINTEXT-HTTP";
pub const NGINX_HSTS: &str = "NET-NGINX-HSTS-MISSING";
pub const HAPROXY_TLS_PROTOCOL: &str = "NET-HAPROXY-TLS-OLD-PROTOCOL";
pub const HAPROXY_PLAINTEXT: &str = "NET-HAPROXY-PLAINTEXT-HTTP";
pub const ENVOY_TLS_PROTOCOL: &str = "NET-ENVOY-TLS-OLD-PROTOCOL";
pub const ENVOY_PLAINTEXT: &str = "NET-ENVOY-PLAINTEXT-LISTENER";
pub const TRAEFIK_TLS_PROTOCOL: &str = "NET-TRAEFIK-TLS-OLD-PROTOCOL";
pub const APP_TLS_PROTOCOL: &str = "NET-APP-SERVER-TLS-OLD-PROTOCOL";
pub const INGRESS_NO_TLS: &str = "NET-INGRESS-NO-TLS";
pub const PROBE_TLS_PROTOCOL: &str = "NET-PROBE-TLS12-ACCEPTED";
pub const PROBE_CERT_INVALID: &str = "NET-PROBE-CERT-INVALID";
pub const PROBE_CERT_EXPIRY: &str = "NET-PROBE-CERT-EXPIRING";
pub const PROBE_HSTS: &str = "NET-PROBE-HSTS-MISSING";

// NET-2: rate limits and firewall rules.
pub const NGINX_RATE_LIMIT: &str = "NET-NGINX-NO-RATE-LIMIT";
pub const HAPROXY_RATE_LIMIT: &str = "NET-HAPROXY-NO-RATE-LIMIT";
pub const ENVOY_RATE_LIMIT: &str = "NET-ENVOY-NO-RATE-LIMIT";
pub const INGRESS_RATE_LIMIT: &str = "NET-INGRESS-NO-RATE-LIMIT";
pub const K8S_NETWORK_POLICY: &str = "NET-K8S-NETWORKPOLICY-MISSING";
pub const K8S_SERVICE_EXPOSED: &str = "NET-K8S-SERVICE-EXPOSED-NON-443";
pub const PROBE_RATE_LIMIT: &str = "NET-PROBE-NO-RATE-LIMIT-HEADERS";

// NET-3: authentication in front of inference routes.
pub const NGINX_NO_AUTH: &str = "NET-NGINX-NO-AUTH";
pub const ENVOY_NO_AUTH: &str = "NET-ENVOY-NO-AUTH";
pub const INGRESS_NO_AUTH: &str = "NET-INGRESS-NO-AUTH";
pub const APP_AUTH_DISABLED: &str = "NET-APP-AUTH-DISABLED";
pub const APP_NO_API_KEY: &str = "NET-APP-NO-API-KEY";
pub const CORS_WILDCARD: &str = "NET-CORS-WILDCARD-CREDENTIALS";
pub const PROBE_UNAUTHENTICATED: &str = "NET-PROBE-UNAUTHENTICATED";

// NET-4: model integrity (SHA-256) and encryption.
pub const MODEL_DIGEST_MISMATCH: &str = "NET-MODEL-DIGEST-MISMATCH";
pub const MODEL_NO_MANIFEST: &str = "NET-MODEL-NO-MANIFEST";
pub const MODEL_FILE_MISSING: &str = "NET-MODEL-FILE-MISSING";
pub const MODEL_WEAK_DIGEST: &str = "NET-MODEL-WEAK-DIGEST";
pub const MODEL_ENCRYPTION: &str = "NET-MODEL-ENCRYPTION-WEAK";

pub const NGINX_CHECKS: &[&str] = &[
    NGINX_TLS_PROTOCOL,
    NGINX_WEAK_CIPHERS,
    NGINX_PLAINTEXT,
    NGINX_HSTS,
    NGINX_RATE_LIMIT,
    NGINX_NO_AUTH,
];
pub const HAPROXY_CHECKS: &[&str] = &[HAPROXY_TLS_PROTOCOL, HAPROXY_PLAINTEXT, HAPROXY_RATE_LIMIT];
pub const ENVOY_CHECKS: &[&str] = &[
    ENVOY_TLS_PROTOCOL,
    ENVOY_PLAINTEXT,
    ENVOY_RATE_LIMIT,
    ENVOY_NO_AUTH,
];
pub const TRAEFIK_CHECKS: &[&str] = &[TRAEFIK_TLS_PROTOCOL];
pub const K8S_CHECKS: &[&str] = &[
    INGRESS_NO_TLS,
    INGRESS_RATE_LIMIT,
    INGRESS_NO_AUTH,
    K8S_NETWORK_POLICY,
    K8S_SERVICE_EXPOSED,
];
/// Checks of server command lines and settings (Dockerfiles, compose,
/// Kubernetes containers, gunicorn.conf.py, .env, application code).
pub const APP_CHECKS: &[&str] = &[
    APP_TLS_PROTOCOL,
    APP_AUTH_DISABLED,
    APP_NO_API_KEY,
    CORS_WILDCARD,
];
pub const PROBE_CHECKS: &[&str] = &[
    PROBE_TLS_PROTOCOL,
    PROBE_CERT_INVALID,
    PROBE_CERT_EXPIRY,
    PROBE_HSTS,
    PROBE_RATE_LIMIT,
    PROBE_UNAUTHENTICATED,
];
pub const MODEL_CHECKS: &[&str] = &[
    MODEL_DIGEST_MISMATCH,
    MODEL_NO_MANIFEST,
    MODEL_FILE_MISSING,
    MODEL_WEAK_DIGEST,
];

const NIST_52: &str = "https://csrc.nist.gov/pubs/sp/800/52/r2/final";
const MOZILLA_TLS: &str = "https://wiki.mozilla.org/Security/Server_Side_TLS";
const NGINX_SSL: &str = "https://nginx.org/en/docs/http/ngx_http_ssl_module.html";
const NGINX_LIMIT_REQ: &str = "https://nginx.org/en/docs/http/ngx_http_limit_req_module.html";
const NGINX_AUTH: &str = "https://nginx.org/en/docs/http/ngx_http_auth_request_module.html";
const HSTS: &str = "https://datatracker.ietf.org/doc/html/rfc6797";
const OWASP_API4: &str =
    "https://owasp.org/API-Security/editions/2023/en/0xa4-unrestricted-resource-consumption/";
const OWASP_API2: &str =
    "https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/";
const K8S_NETPOL: &str =
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/";
const INGRESS_NGINX: &str =
    "https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/";
const SHA256SUM: &str =
    "https://www.gnu.org/software/coreutils/manual/html_node/sha2-utilities.html";
const NIST_GCM: &str = "https://csrc.nist.gov/pubs/sp/800/38/d/final";

pub fn catalogue() -> Vec<Check> {
    use Severity::*;
    vec![
        Check::new(
            NGINX_TLS_PROTOCOL,
            "NET-1",
            Medium,
            "nginx accepts TLS versions older than 1.3",
            "Set `ssl_protocols TLSv1.3;` at http level (and in every server that overrides it); TLSv1 and TLSv1.1 must never be enabled.",
            &[NGINX_SSL, NIST_52, MOZILLA_TLS],
        ),
        Check::new(
            NGINX_WEAK_CIPHERS,
            "NET-1",
            Medium,
            "nginx enables weak TLS cipher suites",
            "Remove RC4, DES/3DES, MD5, NULL, EXPORT and anonymous suites from `ssl_ciphers` (or allow only TLS 1.3, whose suites are all strong).",
            &[NGINX_SSL, MOZILLA_TLS],
        ),
        Check::new(
            NGINX_PLAINTEXT,
            "NET-1",
            Medium,
            "nginx serves the API over plain HTTP without redirecting to HTTPS",
            "Make the port-80 server only `return 301 https://$host$request_uri;` (ACME challenges excepted), and serve the API on `listen 443 ssl`.",
            &[NGINX_SSL],
        ),
        Check::new(
            NGINX_HSTS,
            "NET-1",
            Low,
            "nginx TLS server sends no Strict-Transport-Security header",
            "Add `add_header Strict-Transport-Security \"max-age=63072000\" always;` to the server, and again in every location that has add_header of its own (add_header is inherited only by levels that set none).",
            &[
                HSTS,
                "https://nginx.org/en/docs/http/ngx_http_headers_module.html#add_header",
            ],
        ),
        Check::new(
            HAPROXY_TLS_PROTOCOL,
            "NET-1",
            Medium,
            "HAProxy accepts TLS versions older than 1.3",
            "Set `ssl-default-bind-options ssl-min-ver TLSv1.3` in global (and `ssl-min-ver TLSv1.3` on binds that set their own options).",
            &[
                "https://docs.haproxy.org/2.8/configuration.html#5.1-ssl-min-ver",
                NIST_52,
            ],
        ),
        Check::new(
            HAPROXY_PLAINTEXT,
            "NET-1",
            Medium,
            "HAProxy frontend serves plain HTTP without redirecting to HTTPS",
            "Add `http-request redirect scheme https unless { ssl_fc }` to frontends that bind without ssl.",
            &["https://docs.haproxy.org/2.8/configuration.html#4.2-http-request%20redirect"],
        ),
        Check::new(
            ENVOY_TLS_PROTOCOL,
            "NET-1",
            Medium,
            "Envoy listener accepts TLS versions older than 1.3",
            "Set `common_tls_context.tls_params.tls_minimum_protocol_version: TLSv1_3` in the DownstreamTlsContext (Envoy's default minimum is TLS 1.2).",
            &[
                "https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/transport_sockets/tls/v3/common.proto",
                NIST_52,
            ],
        ),
        Check::new(
            ENVOY_PLAINTEXT,
            "NET-1",
            Medium,
            "Envoy listener serves HTTP without TLS",
            "Add a DownstreamTlsContext transport_socket to the listener's filter chains, or bind it to loopback only.",
            &["https://www.envoyproxy.io/docs/envoy/latest/start/quick-start/securing"],
        ),
        Check::new(
            TRAEFIK_TLS_PROTOCOL,
            "NET-1",
            Medium,
            "Traefik TLS options accept versions older than 1.3",
            "Set `minVersion: VersionTLS13` in the `default` TLS options (dynamic configuration or TLSOption resource); Traefik's default minimum is TLS 1.2.",
            &[
                "https://doc.traefik.io/traefik/https/tls/#minimum-tls-version",
                NIST_52,
            ],
        ),
        Check::new(
            APP_TLS_PROTOCOL,
            "NET-1",
            Medium,
            "Application server terminates TLS with versions older than 1.3",
            "Terminate TLS in a proxy restricted to TLS 1.3, or (gunicorn >= 21) set `context.minimum_version = ssl.TLSVersion.TLSv1_3` in an `ssl_context` hook; uvicorn's --ssl-version cannot restrict to TLS 1.3.",
            &[
                "https://docs.gunicorn.org/en/stable/settings.html#ssl-context",
                "https://www.uvicorn.org/settings/#https",
                NIST_52,
            ],
        ),
        Check::new(
            INGRESS_NO_TLS,
            "NET-1",
            Medium,
            "Kubernetes Ingress serves hosts without TLS",
            "Add `spec.tls` with a certificate Secret covering every host in `spec.rules`.",
            &["https://kubernetes.io/docs/concepts/services-networking/ingress/#tls"],
        ),
        Check::new(
            PROBE_TLS_PROTOCOL,
            "NET-1",
            Medium,
            "Live endpoint accepts a TLS 1.2 handshake",
            "Restrict the endpoint's TLS terminator to TLS 1.3 only.",
            &[NIST_52],
        ),
        Check::new(
            PROBE_CERT_INVALID,
            "NET-1",
            High,
            "Live endpoint presents a certificate that does not verify",
            "Serve a certificate chain from a trusted CA that names the endpoint's host.",
            &["https://datatracker.ietf.org/doc/html/rfc9525"],
        ),
        Check::new(
            PROBE_CERT_EXPIRY,
            "NET-1",
            Medium,
            "Live endpoint's certificate has expired or expires within 30 days",
            "Renew the certificate and automate renewal (ACME / cert-manager).",
            &["https://cert-manager.io/docs/"],
        ),
        Check::new(
            PROBE_HSTS,
            "NET-1",
            Low,
            "Live endpoint sends no Strict-Transport-Security header over HTTPS",
            "Send `Strict-Transport-Security: max-age=63072000` on every HTTPS response.",
            &[HSTS],
        ),
        Check::new(
            NGINX_RATE_LIMIT,
            "NET-2",
            Medium,
            "nginx proxies the inference API without a rate limit",
            "Define `limit_req_zone $binary_remote_addr zone=api:10m rate=10r/s;` at http level and `limit_req zone=api burst=20;` in every proxying location (or once at server level, if no location sets its own).",
            &[NGINX_LIMIT_REQ, OWASP_API4],
        ),
        Check::new(
            HAPROXY_RATE_LIMIT,
            "NET-2",
            Medium,
            "HAProxy frontend has no request rate limit",
            "Track clients in a stick-table (`http-request track-sc0 src`) and deny above a rate (`http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }`).",
            &[
                "https://www.haproxy.com/blog/four-examples-of-haproxy-rate-limiting",
                OWASP_API4,
            ],
        ),
        Check::new(
            ENVOY_RATE_LIMIT,
            "NET-2",
            Medium,
            "Envoy HTTP listener has no rate-limit filter",
            "Add `envoy.filters.http.local_ratelimit` (or the global `envoy.filters.http.ratelimit`) to the http_connection_manager's http_filters.",
            &[
                "https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/local_rate_limit_filter",
                OWASP_API4,
            ],
        ),
        Check::new(
            INGRESS_RATE_LIMIT,
            "NET-2",
            Medium,
            "Ingress in front of an inference service has no rate limit",
            "Add `nginx.ingress.kubernetes.io/limit-rps` (ingress-nginx), a Traefik rateLimit middleware, or your gateway's rate-limit policy.",
            &[INGRESS_NGINX, OWASP_API4],
        ),
        Check::new(
            K8S_NETWORK_POLICY,
            "NET-2",
            Medium,
            "Inference pods are not isolated by a NetworkPolicy",
            "Add a default-deny ingress NetworkPolicy (`podSelector: {}`, `policyTypes: [Ingress]`) to the namespace and one that allows only the gateway to reach the inference pods' port.",
            &[
                K8S_NETPOL,
                "https://www.checkov.io/5.Policy%20Index/kubernetes.html",
            ],
        ),
        Check::new(
            K8S_SERVICE_EXPOSED,
            "NET-2",
            Medium,
            "Service exposes a port other than 443 outside the cluster",
            "Expose inference services through an Ingress/gateway on 443 only; keep the Service ClusterIP, or restrict it with loadBalancerSourceRanges.",
            &[
                "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
            ],
        ),
        Check::new(
            PROBE_RATE_LIMIT,
            "NET-2",
            Info,
            "Live endpoint shows no rate-limit headers",
            "Return rate-limit headers (`RateLimit-*`, `X-RateLimit-*`, `Retry-After` on 429) so clients can tell a limit is enforced.",
            &["https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/"],
        ),
        Check::new(
            NGINX_NO_AUTH,
            "NET-3",
            High,
            "nginx proxies an inference route without authentication",
            "Put `auth_request /oauth2/auth;` (oauth2-proxy), `auth_jwt` or an API-key check in front of every proxying location, or at server level.",
            &[
                NGINX_AUTH,
                "https://oauth2-proxy.github.io/oauth2-proxy/configuration/integrations/nginx",
                OWASP_API2,
            ],
        ),
        Check::new(
            ENVOY_NO_AUTH,
            "NET-3",
            High,
            "Envoy HTTP listener has no authentication filter",
            "Add `envoy.filters.http.jwt_authn`, `envoy.filters.http.oauth2` or `envoy.filters.http.ext_authz` to the http_filters.",
            &[
                "https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/ext_authz_filter",
                OWASP_API2,
            ],
        ),
        Check::new(
            INGRESS_NO_AUTH,
            "NET-3",
            High,
            "Ingress in front of an inference service has no authentication",
            "Add `nginx.ingress.kubernetes.io/auth-url` / `auth-signin` (oauth2-proxy), a Traefik forwardAuth middleware, or your gateway's JWT/OIDC policy.",
            &[INGRESS_NGINX, OWASP_API2],
        ),
        Check::new(
            APP_AUTH_DISABLED,
            "NET-3",
            High,
            "Application settings turn authentication off",
            "Keep OAuth2 / API-key authentication enabled in every deployed configuration.",
            &[OWASP_API2],
        ),
        Check::new(
            APP_NO_API_KEY,
            "NET-3",
            Medium,
            "Model server started without an API key",
            "Start vLLM with `--api-key` (or VLLM_API_KEY from a Secret), llama.cpp's server with `--api-key-file`, or put authentication in front of it.",
            &[
                "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
                OWASP_API2,
            ],
        ),
        Check::new(
            CORS_WILDCARD,
            "NET-3",
            Medium,
            "CORS allows any origin together with credentials",
            "List the allowed origins explicitly when credentials are allowed; never reflect `$http_origin` or `*` with `Access-Control-Allow-Credentials: true`.",
            &[
                "https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS#credentialed_requests_and_wildcards",
            ],
        ),
        Check::new(
            PROBE_UNAUTHENTICATED,
            "NET-3",
            High,
            "Live endpoint answers a request without credentials",
            "Require OAuth2 or an API key on the endpoint: an unauthenticated request must get 401 or 403.",
            &[OWASP_API2],
        ),
        Check::new(
            MODEL_DIGEST_MISMATCH,
            "NET-4",
            High,
            "Model file does not match its SHA-256 manifest",
            "Find out why the file changed; restore it from a trusted source or, if the change is intended, regenerate the manifest (`sha256sum -b models/* > SHA256SUMS`) and review it.",
            &[SHA256SUM],
        ),
        Check::new(
            MODEL_NO_MANIFEST,
            "NET-4",
            Medium,
            "Model file is not covered by a SHA-256 manifest",
            "Record every model file in a SHA256SUMS manifest (`sha256sum -b *.safetensors > SHA256SUMS`) and verify it before loading.",
            &[SHA256SUM],
        ),
        Check::new(
            MODEL_FILE_MISSING,
            "NET-4",
            Medium,
            "SHA-256 manifest lists a model file that is not there",
            "Remove stale entries from the manifest, or restore the file.",
            &[SHA256SUM],
        ),
        Check::new(
            MODEL_WEAK_DIGEST,
            "NET-4",
            Medium,
            "Model manifest uses MD5 or SHA-1",
            "Replace MD5/SHA-1 manifests with SHA-256 (`sha256sum`): collisions for both are practical.",
            &[SHA256SUM, "https://shattered.io/"],
        ),
        Check::new(
            MODEL_ENCRYPTION,
            "NET-4",
            High,
            "Model encryption is off or not AES-256-GCM",
            "Encrypt model artifacts at rest with AES-256-GCM (authenticated); AES-128, unauthenticated CBC/CTR or no encryption do not meet the baseline.",
            &[NIST_GCM],
        ),
    ]
}
