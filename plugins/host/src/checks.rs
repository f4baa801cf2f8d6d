//! The host plugin's check catalogue. Ids are stable.

use aicomply_sdk::{Check, Severity};

pub const OS_EOL: &str = "HOST-OS-END-OF-SUPPORT";
pub const SYSCTL: &str = "HOST-SYSCTL-HARDENING";
pub const AUTO_UPDATES: &str = "HOST-AUTO-UPDATES";
pub const APT_UNSIGNED: &str = "HOST-APT-UNSIGNED";
pub const UNNEEDED_SERVICE: &str = "HOST-UNNEEDED-SERVICE";
pub const DEV_TOOLS: &str = "HOST-DEV-TOOLS";
pub const SSH_ROOT: &str = "HOST-SSH-ROOT-LOGIN";
pub const SSH_PASSWORD: &str = "HOST-SSH-PASSWORD-AUTH";
pub const SSH_EMPTY: &str = "HOST-SSH-EMPTY-PASSWORDS";
pub const SSH_HARDENING: &str = "HOST-SSH-HARDENING";
pub const FW_MISSING: &str = "HOST-FIREWALL-MISSING";
pub const FW_DEFAULT: &str = "HOST-FIREWALL-DEFAULT-ACCEPT";
pub const FW_PORTS: &str = "HOST-FIREWALL-OPEN-PORT";
pub const FW_LOGGING: &str = "HOST-FIREWALL-LOGGING-OFF";
pub const AUDIT: &str = "HOST-AUDIT-RULES";
pub const BACKUP: &str = "HOST-BACKUP-JOB";
pub const LOGGING: &str = "HOST-PERSISTENT-LOGS";
pub const AGENT: &str = "HOST-ENDPOINT-AGENT";

const CIS_UBUNTU: &str = "https://www.cisecurity.org/benchmark/ubuntu_linux";

pub fn catalogue() -> Vec<Check> {
    let c = |id, control, sev, title, fix| Check::new(id, control, sev, title, fix, &[CIS_UBUNTU]);
    vec![
        c(
            OS_EOL,
            "HOST-1",
            Severity::High,
            "Operating system release is past its end of support",
            "Upgrade to a release the vendor still patches (see the date in the finding).",
        ),
        c(
            SYSCTL,
            "HOST-1",
            Severity::Medium,
            "Kernel hardening parameter weakened",
            "Set the parameter to its hardened value in /etc/sysctl.d and remove the override.",
        ),
        c(
            AUTO_UPDATES,
            "HOST-2",
            Severity::Medium,
            "Automatic security updates are not configured",
            "Install and enable unattended-upgrades (Debian/Ubuntu) or dnf-automatic (RHEL family).",
        ),
        c(
            APT_UNSIGNED,
            "HOST-2",
            Severity::High,
            "Package source with signature checking disabled",
            "Remove trusted=yes / allow-insecure=yes and install the repository's signing key (signed-by=).",
        ),
        c(
            UNNEEDED_SERVICE,
            "HOST-3",
            Severity::High,
            "Legacy network service installed",
            "Purge the package (apt purge ...); these services send credentials in clear text or have no place on a serving host.",
        ),
        c(
            DEV_TOOLS,
            "HOST-3",
            Severity::Low,
            "Compilers, debuggers or network tools installed on a serving host",
            "Remove build and debugging tools from production hosts; build elsewhere and ship artifacts.",
        ),
        c(
            SSH_ROOT,
            "HOST-4",
            Severity::High,
            "SSH allows root login",
            "Set PermitRootLogin no (or prohibit-password with keys only) in sshd_config.",
        ),
        c(
            SSH_PASSWORD,
            "HOST-4",
            Severity::Medium,
            "SSH allows password authentication",
            "Set PasswordAuthentication no and KbdInteractiveAuthentication no; use keys or certificates.",
        ),
        c(
            SSH_EMPTY,
            "HOST-4",
            Severity::Critical,
            "SSH allows empty passwords",
            "Set PermitEmptyPasswords no.",
        ),
        c(
            SSH_HARDENING,
            "HOST-4",
            Severity::Low,
            "SSH server hardening setting weakened",
            "Apply the value given in the finding (CIS SSH server section).",
        ),
        c(
            FW_MISSING,
            "HOST-4",
            Severity::High,
            "No host firewall is enabled",
            "Install and enable a firewall (ufw enable, or nftables with a default-drop input chain).",
        ),
        c(
            FW_DEFAULT,
            "HOST-4",
            Severity::High,
            "Firewall accepts inbound or forwarded traffic by default",
            "Set the default input (and forward) policy to drop/deny and allow only what is needed.",
        ),
        c(
            FW_PORTS,
            "HOST-4",
            Severity::Medium,
            "Firewall opens a port other than 443",
            "Expose only HTTPS (443); restrict other ports (SSH) to administration networks.",
        ),
        c(
            FW_LOGGING,
            "HOST-5",
            Severity::Low,
            "Firewall logging is turned off",
            "Set LOGLEVEL=low (or higher) in /etc/ufw/ufw.conf, so that refused connections are logged.",
        ),
        c(
            AUDIT,
            "HOST-5",
            Severity::Medium,
            "auditd missing or without the baseline audit rules",
            "Install auditd and add watch rules for identity files, sudoers, logins and the container runtime; end the rules with -e 2.",
        ),
        c(
            BACKUP,
            "HOST-5",
            Severity::Low,
            "No backup job found",
            "Schedule backups (cron or a systemd timer running restic, borg or similar) and test restores.",
        ),
        c(
            LOGGING,
            "HOST-5",
            Severity::Low,
            "System logs are not kept across reboots",
            "Set Storage=persistent in journald.conf (or keep a syslog daemon writing to disk).",
        ),
        c(
            AGENT,
            "HOST-5",
            Severity::Low,
            "No endpoint protection or monitoring agent installed",
            "Install an endpoint or monitoring agent (osquery, falco, wazuh-agent, clamav, an EDR sensor).",
        ),
    ]
}
