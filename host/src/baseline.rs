//! The controls of the AI security baseline. Control ids are stable: every
//! finding names one, and reports show each control's status.

/// A baseline control.
#[derive(Debug, Clone, Copy)]
pub struct Control {
    pub id: &'static str,
    pub domain: &'static str,
    pub title: &'static str,
}

/// The five domains, in report order.
pub const DOMAINS: &[(&str, &str)] = &[
    ("host", "Host and infrastructure"),
    ("container", "Containers"),
    ("network", "Network and API protection"),
    ("access", "Access and identity"),
    ("code", "Code and model security"),
];

pub const CONTROLS: &[Control] = &[
    Control {
        id: "HOST-1",
        domain: "host",
        title: "Hardened, supported base OS",
    },
    Control {
        id: "HOST-2",
        domain: "host",
        title: "OS and dependencies patched",
    },
    Control {
        id: "HOST-3",
        domain: "host",
        title: "Minimal installed software",
    },
    Control {
        id: "HOST-4",
        domain: "host",
        title: "Inbound traffic restricted to HTTPS (443)",
    },
    Control {
        id: "HOST-5",
        domain: "host",
        title: "Monitoring, auditing, backups and endpoint protection",
    },
    Control {
        id: "CONT-1",
        domain: "container",
        title: "Trusted, up-to-date runtime and images",
    },
    Control {
        id: "CONT-2",
        domain: "container",
        title: "Isolation with user namespaces and least privilege",
    },
    Control {
        id: "CONT-3",
        domain: "container",
        title: "Images scanned continuously for vulnerabilities",
    },
    Control {
        id: "NET-1",
        domain: "network",
        title: "TLS 1.3 for data in transit",
    },
    Control {
        id: "NET-2",
        domain: "network",
        title: "Rate limiting and firewall rules in front of inference APIs",
    },
    Control {
        id: "NET-3",
        domain: "network",
        title: "Authentication with OAuth2 and API keys",
    },
    Control {
        id: "NET-4",
        domain: "network",
        title: "Models encrypted (AES-256) and integrity verified (SHA-256)",
    },
    Control {
        id: "IAM-1",
        domain: "access",
        title: "Role-based access control",
    },
    Control {
        id: "IAM-2",
        domain: "access",
        title: "Least privilege",
    },
    Control {
        id: "CODE-1",
        domain: "code",
        title: "SAST, SCA and secret scanning in CI/CD",
    },
    Control {
        id: "CODE-2",
        domain: "code",
        title: "Notebooks scanned",
    },
    Control {
        id: "CODE-3",
        domain: "code",
        title: "Models saved in safe formats",
    },
    Control {
        id: "CODE-4",
        domain: "code",
        title: "Models scanned for embedded threats",
    },
];

pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}

pub fn is_domain(name: &str) -> bool {
    DOMAINS.iter().any(|(d, _)| *d == name)
}
