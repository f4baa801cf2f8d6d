//! The access plugin's check catalogue. Ids are stable: reports, waivers
//! and SARIF rule ids depend on them. Never rename one; retire it instead.

use aicomply_sdk::{Check, Severity};

// IAM-1: role-based access control.
pub const SECRET_READABLE: &str = "IAM-FILE-SECRET-WORLD-READABLE";
pub const KEY_GROUP_WRITABLE: &str = "IAM-FILE-KEY-GROUP-WRITABLE";
pub const WORLD_WRITABLE: &str = "IAM-FILE-WORLD-WRITABLE";
pub const DEFAULT_SA: &str = "IAM-K8S-DEFAULT-SERVICE-ACCOUNT";
pub const SA_UNBOUND: &str = "IAM-K8S-SERVICE-ACCOUNT-UNBOUND";

// IAM-2: least privilege.
pub const RBAC_WILDCARD: &str = "IAM-RBAC-WILDCARD";
pub const RBAC_CLUSTER_ADMIN: &str = "IAM-RBAC-CLUSTER-ADMIN-BINDING";
pub const RBAC_SECRETS: &str = "IAM-RBAC-SECRETS-READ";
pub const RBAC_EXEC: &str = "IAM-RBAC-POD-EXEC";
pub const RBAC_ESCALATE: &str = "IAM-RBAC-ESCALATE";
pub const DEFAULT_SA_BOUND: &str = "IAM-K8S-DEFAULT-SA-BOUND";
pub const TOKEN_AUTOMOUNT: &str = "IAM-K8S-TOKEN-AUTOMOUNT";
pub const CLOUD_ADMIN: &str = "IAM-CLOUD-ADMIN-POLICY";
pub const CLOUD_ACTION_WILDCARD: &str = "IAM-CLOUD-ACTION-WILDCARD";
pub const CLOUD_RESOURCE_WILDCARD: &str = "IAM-CLOUD-RESOURCE-WILDCARD";
pub const CLOUD_PRIMITIVE_ROLE: &str = "IAM-CLOUD-PRIMITIVE-ROLE";
pub const OS_UID0: &str = "IAM-OS-EXTRA-UID0";
pub const OS_SUDO_NOPASSWD: &str = "IAM-OS-SUDO-NOPASSWD-ALL";
pub const OS_SUDO_ALL: &str = "IAM-OS-SUDO-UNRESTRICTED";
pub const OS_DOCKER_GROUP: &str = "IAM-OS-DOCKER-GROUP";

/// Checks on file modes (need `file-meta`).
pub const FILE_CHECKS: &[&str] = &[SECRET_READABLE, KEY_GROUP_WRITABLE, WORLD_WRITABLE];
/// Checks on Kubernetes RBAC objects and workloads.
pub const K8S_CHECKS: &[&str] = &[
    DEFAULT_SA,
    SA_UNBOUND,
    RBAC_WILDCARD,
    RBAC_CLUSTER_ADMIN,
    RBAC_SECRETS,
    RBAC_EXEC,
    RBAC_ESCALATE,
    DEFAULT_SA_BOUND,
    TOKEN_AUTOMOUNT,
];
/// Checks judged on Kubernetes workloads (not on RBAC objects alone).
pub const WORKLOAD_CHECKS: &[&str] = &[DEFAULT_SA, SA_UNBOUND, TOKEN_AUTOMOUNT];
/// Checks judged on RBAC roles and bindings.
pub const RBAC_CHECKS: &[&str] = &[
    RBAC_WILDCARD,
    RBAC_CLUSTER_ADMIN,
    RBAC_SECRETS,
    RBAC_EXEC,
    RBAC_ESCALATE,
    DEFAULT_SA_BOUND,
];
/// Checks on cloud IAM policies (AWS JSON, CloudFormation, Terraform, GCP).
pub const CLOUD_CHECKS: &[&str] = &[
    CLOUD_ADMIN,
    CLOUD_ACTION_WILDCARD,
    CLOUD_RESOURCE_WILDCARD,
    CLOUD_PRIMITIVE_ROLE,
];
pub const PASSWD_CHECKS: &[&str] = &[OS_UID0];
pub const SUDO_CHECKS: &[&str] = &[OS_SUDO_NOPASSWD, OS_SUDO_ALL];
pub const GROUP_CHECKS: &[&str] = &[OS_DOCKER_GROUP];

const CIS_K8S: &str = "https://www.cisecurity.org/benchmark/kubernetes";
const K8S_RBAC_GOOD: &str = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";
const K8S_SA: &str = "https://kubernetes.io/docs/concepts/security/service-accounts/";
const AWS_LP: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege";
const AWS_NOTACTION: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html";
const CIS_AWS: &str = "https://www.cisecurity.org/benchmark/amazon_web_services";
const CIS_LINUX: &str = "https://www.cisecurity.org/benchmark/ubuntu_linux";

pub fn catalogue() -> Vec<Check> {
    vec![
        Check::new(
            SECRET_READABLE,
            "IAM-1",
            Severity::High,
            "Private key or credentials file is readable by every user",
            "Remove the read bit for others (chmod o-r, usually chmod 600 or 640) and make the file owned by the service account that uses it; rotate the secret if untrusted users had access.",
            &[
                "https://man.openbsd.org/ssh#FILES",
                "https://www.cisecurity.org/benchmark/ubuntu_linux",
            ],
        ),
        Check::new(
            KEY_GROUP_WRITABLE,
            "IAM-1",
            Severity::Medium,
            "Private key or credentials file is writable by its group",
            "Remove the group write bit (chmod g-w): only the owning service account should be able to replace a key or credential.",
            &["https://www.cisecurity.org/benchmark/ubuntu_linux"],
        ),
        Check::new(
            WORLD_WRITABLE,
            "IAM-1",
            Severity::High,
            "Model, key or configuration is writable by every user",
            "Remove the write bit for others (chmod o-w); make models and configuration owned by a deployment account and read-only to the service that loads them, so no local user can swap a model or change a setting.",
            &[CIS_LINUX],
        ),
        Check::new(
            DEFAULT_SA,
            "IAM-1",
            Severity::Low,
            "Kubernetes workload runs as the namespace's default service account with its token mounted",
            "Create a dedicated ServiceAccount for the workload, set serviceAccountName, and bind it only the Role it needs, or set automountServiceAccountToken: false if it needs no API access; every pod of the namespace shares the default account and anything granted to it.",
            &[CIS_K8S, K8S_SA],
        ),
        Check::new(
            SA_UNBOUND,
            "IAM-1",
            Severity::Low,
            "Kubernetes service account with a mounted token has no RBAC binding in the tree",
            "Either define the Role/RoleBinding the workload's service account needs next to the workload, or set automountServiceAccountToken: false so an unused API credential is not mounted into the pod.",
            &[CIS_K8S, K8S_SA],
        ),
        Check::new(
            RBAC_WILDCARD,
            "IAM-2",
            Severity::High,
            "RBAC rule uses a wildcard in verbs, resources or apiGroups",
            "List the verbs, resources and API groups the subject needs explicitly; a `*` also grants every resource and verb added to the API in the future.",
            &[CIS_K8S, K8S_RBAC_GOOD],
        ),
        Check::new(
            RBAC_CLUSTER_ADMIN,
            "IAM-2",
            Severity::Critical,
            "cluster-admin (or an all-wildcard role) is bound to a subject",
            "Bind a Role with only the permissions the subject needs; keep cluster-admin for break-glass human access, never for workloads or CI.",
            &[CIS_K8S, K8S_RBAC_GOOD],
        ),
        Check::new(
            RBAC_SECRETS,
            "IAM-2",
            Severity::Medium,
            "RBAC rule can read Secrets",
            "Remove get/list/watch on secrets, or restrict the rule with resourceNames to the one Secret the workload needs; list and watch return every Secret's contents.",
            &[CIS_K8S, K8S_RBAC_GOOD],
        ),
        Check::new(
            RBAC_EXEC,
            "IAM-2",
            Severity::High,
            "RBAC rule allows exec or attach into pods",
            "Remove pods/exec and pods/attach from roles bound to workloads and automation; they run commands in other pods with those pods' identities and secrets.",
            &[CIS_K8S, K8S_RBAC_GOOD],
        ),
        Check::new(
            RBAC_ESCALATE,
            "IAM-2",
            Severity::High,
            "RBAC rule grants escalate, bind or impersonate",
            "Remove the escalate, bind and impersonate verbs: they let the subject grant itself, or act as, any role or user.",
            &[CIS_K8S, K8S_RBAC_GOOD],
        ),
        Check::new(
            DEFAULT_SA_BOUND,
            "IAM-2",
            Severity::High,
            "RBAC binding grants a role to a default service account or to every account",
            "Bind roles to a dedicated ServiceAccount, not to `default` or to groups such as system:serviceaccounts or system:authenticated, which every pod (or every user) belongs to.",
            &[CIS_K8S, K8S_RBAC_GOOD],
        ),
        Check::new(
            TOKEN_AUTOMOUNT,
            "IAM-2",
            Severity::Medium,
            "Default service account token is mounted into a workload",
            "Set automountServiceAccountToken: false on the pod spec (or on the default ServiceAccount); the pod setting wins over the ServiceAccount's.",
            &[CIS_K8S, K8S_SA],
        ),
        Check::new(
            CLOUD_ADMIN,
            "IAM-2",
            Severity::Critical,
            "Cloud IAM policy grants full administrative access",
            "Replace Action \"*\" (or NotAction) on Resource \"*\" with the specific actions and resources the principal needs; use AWS managed job-function policies or IAM Access Analyzer policy generation as a start.",
            &[CIS_AWS, AWS_LP, AWS_NOTACTION],
        ),
        Check::new(
            CLOUD_ACTION_WILDCARD,
            "IAM-2",
            Severity::High,
            "Cloud IAM policy allows every action of a service",
            "List the actions needed instead of `service:*`, `*` or NotAction (which allows everything not listed).",
            &[AWS_LP, AWS_NOTACTION],
        ),
        Check::new(
            CLOUD_RESOURCE_WILDCARD,
            "IAM-2",
            Severity::Medium,
            "Cloud IAM policy allows changing or reading data on every resource",
            "Scope Resource to the ARNs the principal needs (bucket, table, key), or add a Condition; Resource \"*\" is needed only for actions that do not support resource-level permissions.",
            &[
                AWS_LP,
                "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
            ],
        ),
        Check::new(
            CLOUD_PRIMITIVE_ROLE,
            "IAM-2",
            Severity::High,
            "GCP basic role (owner or editor) granted",
            "Grant predefined or custom roles with the permissions needed instead of roles/owner or roles/editor.",
            &["https://cloud.google.com/iam/docs/roles-overview#basic"],
        ),
        Check::new(
            OS_UID0,
            "IAM-2",
            Severity::Critical,
            "An account other than root has UID 0",
            "Give the account a unique non-zero UID, or remove it; use sudo with specific commands for administrative tasks.",
            &[CIS_LINUX],
        ),
        Check::new(
            OS_SUDO_NOPASSWD,
            "IAM-2",
            Severity::High,
            "sudo grants every command without a password",
            "Limit the rule to the commands the user or group needs, and drop NOPASSWD for ALL, so a stolen session or service account is not root at once.",
            &[CIS_LINUX, "https://www.sudo.ws/docs/man/sudoers.man/"],
        ),
        Check::new(
            OS_SUDO_ALL,
            "IAM-2",
            Severity::Medium,
            "sudo grants every command to a user or group other than the administrators",
            "Restrict `ALL=(ALL) ALL` to the administrators' group (sudo or wheel) and give others only the commands they need.",
            &[CIS_LINUX, "https://www.sudo.ws/docs/man/sudoers.man/"],
        ),
        Check::new(
            OS_DOCKER_GROUP,
            "IAM-2",
            Severity::High,
            "Users are members of the docker group (root-equivalent)",
            "Remove users from the docker group; the Docker socket gives root on the host. Use rootless Docker or sudo for specific commands.",
            &[
                "https://www.cisecurity.org/benchmark/docker",
                "https://docs.docker.com/engine/security/#docker-daemon-attack-surface",
            ],
        ),
    ]
}
