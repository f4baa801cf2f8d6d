//! The container plugin's check catalogue. Ids are stable: reports, waivers
//! and SARIF rule ids depend on them. Never rename one; retire it instead.

use aicomply_sdk::{Check, Severity};

pub const BASE_LATEST: &str = "CONT-DOCKERFILE-BASE-LATEST";
pub const BASE_UNPINNED: &str = "CONT-DOCKERFILE-BASE-UNPINNED";
pub const ROOT_USER: &str = "CONT-DOCKERFILE-ROOT-USER";
pub const SECRET_IN_ENV: &str = "CONT-DOCKERFILE-SECRET-ENV";
pub const ADD_URL: &str = "CONT-DOCKERFILE-ADD-URL";
pub const DAEMON_USERNS: &str = "CONT-DAEMON-USERNS-REMAP";
pub const DAEMON_INSECURE_REGISTRY: &str = "CONT-DAEMON-INSECURE-REGISTRY";
pub const DAEMON_TCP_NO_TLS: &str = "CONT-DAEMON-TCP-NO-TLS";
pub const K8S_PRIVILEGED: &str = "CONT-K8S-PRIVILEGED";
pub const K8S_RUN_AS_ROOT: &str = "CONT-K8S-RUN-AS-ROOT";
pub const K8S_HOST_NAMESPACE: &str = "CONT-K8S-HOST-NAMESPACE";
pub const K8S_RUNTIME_SOCKET: &str = "CONT-K8S-RUNTIME-SOCKET";

pub const DOCKERFILE_CHECKS: &[&str] = &[
    BASE_LATEST,
    BASE_UNPINNED,
    ROOT_USER,
    SECRET_IN_ENV,
    ADD_URL,
];
pub const DAEMON_CHECKS: &[&str] = &[DAEMON_USERNS, DAEMON_INSECURE_REGISTRY, DAEMON_TCP_NO_TLS];
pub const K8S_CHECKS: &[&str] = &[
    K8S_PRIVILEGED,
    K8S_RUN_AS_ROOT,
    K8S_HOST_NAMESPACE,
    K8S_RUNTIME_SOCKET,
];

const CIS_DOCKER: &str = "https://www.cisecurity.org/benchmark/docker";
const PSS: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

pub fn catalogue() -> Vec<Check> {
    vec![
        Check::new(
            BASE_LATEST,
            "CONT-1",
            Severity::Medium,
            "Base image uses the latest tag or no tag",
            "Pin the base image to a specific version tag, and better to a digest (image:tag@sha256:...), so builds are reproducible and updates are deliberate.",
            &["https://docs.docker.com/build/building/best-practices/#from"],
        ),
        Check::new(
            BASE_UNPINNED,
            "CONT-1",
            Severity::Low,
            "Base image is not pinned by digest",
            "Add the image digest to FROM (image:tag@sha256:...) so a re-pushed tag cannot change what is built; let a bot such as Renovate or Dependabot update it.",
            &["https://docs.docker.com/build/building/best-practices/#pin-base-image-versions"],
        ),
        Check::new(
            ROOT_USER,
            "CONT-2",
            Severity::High,
            "Container runs as root",
            "Create an unprivileged user in the final stage and switch to it with USER (by name or a non-zero UID).",
            &[
                CIS_DOCKER,
                "https://docs.docker.com/reference/dockerfile/#user",
            ],
        ),
        Check::new(
            SECRET_IN_ENV,
            "CONT-1",
            Severity::High,
            "Secret baked into the image with ENV or ARG",
            "Remove the value from the Dockerfile and rotate it. Pass secrets at run time (orchestrator secrets) or at build time with `RUN --mount=type=secret`; ENV and ARG values are stored in the image's metadata and history.",
            &["https://docs.docker.com/build/building/secrets/"],
        ),
        Check::new(
            ADD_URL,
            "CONT-1",
            Severity::Medium,
            "ADD downloads a remote file into the image",
            "Download with a verified checksum (ADD --checksum=sha256:... or curl followed by sha256sum -c) or COPY the file from the build context.",
            &["https://docs.docker.com/reference/dockerfile/#add"],
        ),
        Check::new(
            DAEMON_USERNS,
            "CONT-2",
            Severity::Medium,
            "Docker daemon does not remap user namespaces",
            "Set \"userns-remap\": \"default\" (or a dedicated user) in daemon.json, with matching /etc/subuid and /etc/subgid entries, so root in a container is not root on the host.",
            &[
                CIS_DOCKER,
                "https://docs.docker.com/engine/security/userns-remap/",
            ],
        ),
        Check::new(
            DAEMON_INSECURE_REGISTRY,
            "CONT-1",
            Severity::High,
            "Docker daemon trusts an insecure registry",
            "Remove the registry from \"insecure-registries\" and serve it over TLS with a trusted certificate.",
            &[
                CIS_DOCKER,
                "https://docs.docker.com/reference/cli/dockerd/#insecure-registries",
            ],
        ),
        Check::new(
            DAEMON_TCP_NO_TLS,
            "CONT-1",
            Severity::Critical,
            "Docker daemon listens on TCP without TLS client verification",
            "Listen on the unix socket only, or set \"tlsverify\": true with tlscacert, tlscert and tlskey so only clients with a certificate can reach the daemon (which is root on the host).",
            &[
                CIS_DOCKER,
                "https://docs.docker.com/engine/security/protect-access/",
            ],
        ),
        Check::new(
            K8S_PRIVILEGED,
            "CONT-2",
            Severity::Critical,
            "Kubernetes container is privileged",
            "Remove securityContext.privileged (or set it to false) and grant only the specific capabilities the workload needs.",
            &[PSS],
        ),
        Check::new(
            K8S_RUN_AS_ROOT,
            "CONT-2",
            Severity::Medium,
            "Kubernetes container may run as root",
            "Set securityContext.runAsNonRoot: true (pod or container level) and a non-zero runAsUser.",
            &[PSS],
        ),
        Check::new(
            K8S_HOST_NAMESPACE,
            "CONT-2",
            Severity::High,
            "Kubernetes pod shares a host namespace",
            "Remove hostNetwork, hostPID and hostIPC from the pod spec; expose ports through a Service instead.",
            &[PSS],
        ),
        Check::new(
            K8S_RUNTIME_SOCKET,
            "CONT-2",
            Severity::Critical,
            "Kubernetes pod mounts the container runtime socket",
            "Do not mount docker.sock, containerd.sock or crio.sock (or the directories holding them) with hostPath: access to the socket is root on the node.",
            &[PSS, CIS_DOCKER],
        ),
    ]
}
