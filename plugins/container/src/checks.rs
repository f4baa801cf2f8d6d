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

pub const CURL_PIPE_SHELL: &str = "CONT-DOCKERFILE-CURL-PIPE-SHELL";
pub const SSHD_IN_IMAGE: &str = "CONT-DOCKERFILE-SSHD";
pub const WORLD_WRITABLE: &str = "CONT-DOCKERFILE-WORLD-WRITABLE";
pub const NO_HEALTHCHECK: &str = "CONT-DOCKERFILE-NO-HEALTHCHECK";
pub const DAEMON_ICC: &str = "CONT-DAEMON-ICC";
pub const DAEMON_HARDENING: &str = "CONT-DAEMON-HARDENING";
pub const COMPOSE_PRIVILEGED: &str = "CONT-COMPOSE-PRIVILEGED";
pub const COMPOSE_SOCKET: &str = "CONT-COMPOSE-RUNTIME-SOCKET";
pub const COMPOSE_HOST_NETWORK: &str = "CONT-COMPOSE-HOST-NETWORK";
pub const COMPOSE_IMAGE: &str = "CONT-COMPOSE-IMAGE-UNPINNED";
pub const COMPOSE_PORTS: &str = "CONT-COMPOSE-PORT-ALL-INTERFACES";
pub const COMPOSE_HOST_NAMESPACE: &str = "CONT-COMPOSE-HOST-NAMESPACE";
pub const COMPOSE_UNCONFINED: &str = "CONT-COMPOSE-UNCONFINED";
pub const COMPOSE_CAP_ADD: &str = "CONT-COMPOSE-CAP-ADD";
pub const K8S_PRIV_ESC: &str = "CONT-K8S-PRIVILEGE-ESCALATION";
pub const K8S_IMAGE: &str = "CONT-K8S-IMAGE-UNPINNED";
pub const K8S_LIMITS: &str = "CONT-K8S-RESOURCE-LIMITS";
pub const K8S_READONLY: &str = "CONT-K8S-READONLY-ROOTFS";
pub const K8S_SECCOMP: &str = "CONT-K8S-SECCOMP";
pub const K8S_CAPS: &str = "CONT-K8S-CAPABILITIES";
pub const K8S_HOST_USERS: &str = "CONT-K8S-HOST-USERS";
pub const CI_IMAGE_SCAN: &str = "CONT-CI-IMAGE-SCAN";
pub const RUNTIME_OUTDATED: &str = "CONT-RUNTIME-OUTDATED";

pub const DOCKERFILE_CHECKS: &[&str] = &[
    BASE_LATEST,
    BASE_UNPINNED,
    ROOT_USER,
    SECRET_IN_ENV,
    ADD_URL,
    CURL_PIPE_SHELL,
    SSHD_IN_IMAGE,
    WORLD_WRITABLE,
    NO_HEALTHCHECK,
];
/// Dockerfile checks of how an image is built: they apply to every image.
pub const DOCKERFILE_BUILD_CHECKS: &[&str] = &[
    BASE_LATEST,
    BASE_UNPINNED,
    SECRET_IN_ENV,
    ADD_URL,
    CURL_PIPE_SHELL,
    SSHD_IN_IMAGE,
    WORLD_WRITABLE,
];
/// Dockerfile checks of how a container of the image runs: they do not
/// apply to an artifact image (one that is only copied from, never run).
pub const DOCKERFILE_RUN_CHECKS: &[&str] = &[ROOT_USER, NO_HEALTHCHECK];
pub const DAEMON_CHECKS: &[&str] = &[
    DAEMON_USERNS,
    DAEMON_INSECURE_REGISTRY,
    DAEMON_TCP_NO_TLS,
    DAEMON_ICC,
    DAEMON_HARDENING,
];
pub const K8S_CHECKS: &[&str] = &[
    K8S_PRIVILEGED,
    K8S_RUN_AS_ROOT,
    K8S_HOST_NAMESPACE,
    K8S_RUNTIME_SOCKET,
    K8S_PRIV_ESC,
    K8S_IMAGE,
    K8S_LIMITS,
    K8S_READONLY,
    K8S_SECCOMP,
    K8S_CAPS,
    K8S_HOST_USERS,
];
pub const COMPOSE_CHECKS: &[&str] = &[
    COMPOSE_PRIVILEGED,
    COMPOSE_SOCKET,
    COMPOSE_HOST_NETWORK,
    COMPOSE_IMAGE,
    COMPOSE_PORTS,
    COMPOSE_HOST_NAMESPACE,
    COMPOSE_UNCONFINED,
    COMPOSE_CAP_ADD,
];
pub const CI_CHECKS: &[&str] = &[CI_IMAGE_SCAN];
pub const RUNTIME_CHECKS: &[&str] = &[RUNTIME_OUTDATED];

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
            CURL_PIPE_SHELL,
            "CONT-1",
            Severity::High,
            "Image build pipes a download into a shell",
            "Download to a file, verify its checksum or signature, then run it; or install from a package repository.",
            &["https://docs.docker.com/build/building/best-practices/#using-pipes"],
        ),
        Check::new(
            SSHD_IN_IMAGE,
            "CONT-2",
            Severity::Medium,
            "Image runs or installs an SSH server",
            "Remove openssh-server and EXPOSE 22; use `docker exec` or `kubectl exec` for access.",
            &[CIS_DOCKER],
        ),
        Check::new(
            WORLD_WRITABLE,
            "CONT-2",
            Severity::Medium,
            "Image makes paths writable by everyone",
            "Give ownership to the runtime user (COPY --chown, chown) instead of chmod 777 / o+w.",
            &[CIS_DOCKER],
        ),
        Check::new(
            NO_HEALTHCHECK,
            "CONT-1",
            Severity::Low,
            "Final image has no HEALTHCHECK",
            "Add a HEALTHCHECK (or a liveness probe where an orchestrator runs the image) so a hung service is restarted.",
            &["https://docs.docker.com/reference/dockerfile/#healthcheck"],
        ),
        Check::new(
            DAEMON_ICC,
            "CONT-2",
            Severity::Medium,
            "Docker daemon lets containers talk to each other freely",
            "Set \"icc\": false and connect containers that must talk through user-defined networks.",
            &[CIS_DOCKER],
        ),
        Check::new(
            DAEMON_HARDENING,
            "CONT-2",
            Severity::Low,
            "Docker daemon hardening setting missing",
            "Set the value named in the finding in daemon.json (or the dockerd flag).",
            &[CIS_DOCKER],
        ),
        Check::new(
            COMPOSE_PRIVILEGED,
            "CONT-2",
            Severity::Critical,
            "Compose service is privileged",
            "Remove `privileged: true`; add only the capabilities the service needs with cap_add.",
            &[CIS_DOCKER],
        ),
        Check::new(
            COMPOSE_SOCKET,
            "CONT-2",
            Severity::Critical,
            "Compose service mounts the container runtime socket",
            "Do not mount docker.sock into services: it is root on the host.",
            &[CIS_DOCKER],
        ),
        Check::new(
            COMPOSE_HOST_NETWORK,
            "CONT-2",
            Severity::High,
            "Compose service shares the host network",
            "Remove `network_mode: host` and publish only the ports needed.",
            &[CIS_DOCKER],
        ),
        Check::new(
            COMPOSE_HOST_NAMESPACE,
            "CONT-2",
            Severity::High,
            "Compose service shares the host's process, IPC or user namespace",
            "Remove `pid: host`, `ipc: host` and `userns_mode: host`: they let the service see and signal host processes, read shared memory, or be root on the host.",
            &[CIS_DOCKER],
        ),
        Check::new(
            COMPOSE_UNCONFINED,
            "CONT-2",
            Severity::High,
            "Compose service turns off seccomp, AppArmor or SELinux confinement",
            "Remove `seccomp:unconfined`, `apparmor:unconfined` and `label:disable` from security_opt; if a syscall is missing, allow it in a custom seccomp profile.",
            &[
                CIS_DOCKER,
                "https://docs.docker.com/engine/security/seccomp/",
            ],
        ),
        Check::new(
            COMPOSE_CAP_ADD,
            "CONT-2",
            Severity::High,
            "Compose service adds a capability that reaches the host",
            "Drop `cap_add` of ALL, SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH, NET_ADMIN or BPF; add only narrow capabilities the service needs (NET_BIND_SERVICE).",
            &[
                CIS_DOCKER,
                "https://man7.org/linux/man-pages/man7/capabilities.7.html",
            ],
        ),
        Check::new(
            COMPOSE_IMAGE,
            "CONT-1",
            Severity::Medium,
            "Compose service image is not pinned",
            "Pin images to a version tag and digest (image:tag@sha256:...).",
            &[],
        ),
        Check::new(
            COMPOSE_PORTS,
            "CONT-2",
            Severity::Low,
            "Compose publishes a port on every interface",
            "Bind published ports to the address that needs them (\"127.0.0.1:8080:80\") or put a proxy in front.",
            &[],
        ),
        Check::new(
            K8S_PRIV_ESC,
            "CONT-2",
            Severity::Medium,
            "Kubernetes container may gain privileges",
            "Set securityContext.allowPrivilegeEscalation: false.",
            &[PSS],
        ),
        Check::new(
            K8S_IMAGE,
            "CONT-1",
            Severity::Medium,
            "Kubernetes container image is not pinned",
            "Pin images to a version tag and a digest (image:tag@sha256:...).",
            &[PSS],
        ),
        Check::new(
            K8S_LIMITS,
            "CONT-2",
            Severity::Low,
            "Kubernetes container has no CPU or memory limit",
            "Set resources.limits.cpu and resources.limits.memory so one container cannot starve the node.",
            &[PSS],
        ),
        Check::new(
            K8S_READONLY,
            "CONT-2",
            Severity::Low,
            "Kubernetes container root filesystem is writable",
            "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where writes are needed.",
            &[PSS],
        ),
        Check::new(
            K8S_SECCOMP,
            "CONT-2",
            Severity::Low,
            "Kubernetes pod runs without a seccomp profile",
            "Set securityContext.seccompProfile.type: RuntimeDefault (pod or container).",
            &[PSS],
        ),
        Check::new(
            K8S_CAPS,
            "CONT-2",
            Severity::Low,
            "Kubernetes container keeps its default capabilities",
            "Set securityContext.capabilities.drop: [\"ALL\"] and add back only what is needed.",
            &[PSS],
        ),
        Check::new(
            K8S_HOST_USERS,
            "CONT-2",
            Severity::Low,
            "Kubernetes pod does not use a user namespace",
            "Set hostUsers: false (Kubernetes 1.30+) so root in the pod is not root on the node.",
            &["https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/"],
        ),
        Check::new(
            CI_IMAGE_SCAN,
            "CONT-3",
            Severity::Medium,
            "CI builds an image without scanning it for vulnerabilities",
            "Add an image scan step (trivy, grype, docker scout, snyk) after the build, failing on high and critical vulnerabilities.",
            &["https://github.com/aquasecurity/trivy-action"],
        ),
        Check::new(
            RUNTIME_OUTDATED,
            "CONT-1",
            Severity::High,
            "Container runtime release is no longer supported",
            "Upgrade docker-ce and containerd to a release series that still receives security fixes.",
            &[
                "https://docs.docker.com/engine/release-notes/",
                "https://containerd.io/releases/",
            ],
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
