//! Owners and modes of what must not be open to every local user: private
//! keys and credentials (not readable by others, not writable by the
//! group), models, their folders and configuration (not writable by
//! others). Modes come from the host's `file-meta` (natively, from the real
//! files), never follow a final link, and a folder with the sticky bit
//! (`/tmp`-like) is not called world-writable.

use aicomply_sdk::{FileKind, FileMetadata, Location, Scan};

use crate::checks;

/// What a file is to these checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitive {
    /// A private key or credentials: no read for others, no group write.
    Secret,
    /// A model file: no write for others.
    Model,
    /// Configuration: no write for others.
    Config,
}

/// Extensions of model files (serialised weights and whole models).
const MODEL_EXTENSIONS: &[&str] = &[
    "safetensors",
    "pt",
    "pth",
    "ckpt",
    "onnx",
    "gguf",
    "ggml",
    "h5",
    "hdf5",
    "keras",
    "pkl",
    "pickle",
    "joblib",
    "tflite",
    "mlmodel",
    "mar",
    "nemo",
    "pb",
];

const CONFIG_EXTENSIONS: &[&str] = &[
    "yaml",
    "yml",
    "json",
    "toml",
    "ini",
    "conf",
    "cfg",
    "properties",
    "env",
];

/// Names of files that are credentials whatever their content.
const SECRET_NAMES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
    ".env",
    "credentials",
    "credentials.json",
    ".netrc",
    ".pgpass",
    "kubeconfig",
    ".git-credentials",
    ".dockercfg",
    "shadow",
    "gshadow",
    "htpasswd",
    ".htpasswd",
    "service-account.json",
    "service_account.json",
];

/// `.env` variants that hold examples, not secrets.
const ENV_EXAMPLES: &[&str] = &["example", "sample", "template", "dist", "defaults"];

/// Whether `relative` is a secret by name alone, may be one (a `.pem` or
/// `.key`, decided by its content: a certificate is public), or neither.
pub fn classify(relative: &str) -> Option<(Sensitive, bool)> {
    // Installed dependencies and test data are not this target's keys,
    // models or configuration (packages ship test keys world-readable on
    // purpose: `site-packages/tornado/test/test.key`).
    let dirs = relative.rsplit_once('/').map_or("", |(d, _)| d);
    if !relative.starts_with("etc/")
        && dirs.split('/').any(|c| {
            matches!(
                c,
                "node_modules"
                    | "site-packages"
                    | "dist-packages"
                    | ".venv"
                    | "venv"
                    | "vendor"
                    | "test"
                    | "tests"
                    | "testdata"
                    | "testresources"
                    | "__tests__"
                    | "fixtures"
            )
        })
    {
        return None;
    }
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if SECRET_NAMES.contains(&lower.as_str())
        || (lower.starts_with(".env.") && !ENV_EXAMPLES.contains(&ext))
        || lower.ends_with(".kubeconfig")
        || ["p12", "pfx", "jks", "keystore", "ppk"].contains(&ext)
        || (lower.starts_with("ssh_host_") && lower.ends_with("_key"))
    {
        // shadow only as the system's (etc/shadow), not any file so named.
        if (lower == "shadow" || lower == "gshadow") && relative != format!("etc/{lower}") {
            return None;
        }
        return Some((Sensitive::Secret, false));
    }
    if ext == "pem" || ext == "key" {
        return Some((Sensitive::Secret, true));
    }
    if MODEL_EXTENSIONS.contains(&ext)
        || (ext == "bin" && relative.to_ascii_lowercase().contains("model"))
    {
        return Some((Sensitive::Model, false));
    }
    if CONFIG_EXTENSIONS.contains(&ext) || relative.starts_with("etc/") {
        return Some((Sensitive::Config, false));
    }
    None
}

/// Whether the text of a `.pem`/`.key` file holds a private key (a file
/// of certificates or public keys only is public).
pub fn holds_private_key(text: &str) -> bool {
    text.contains("PRIVATE KEY-----")
        || text.contains("BEGIN OPENSSH PRIVATE KEY")
        || text.contains("PuTTY-User-Key-File")
        // A bare base64 key (no PEM armour): base64 text and nothing else.
        || (!text.contains("-----BEGIN") && {
            let t = text.trim();
            t.len() >= 32
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/=-_\r\n ".contains(c))
        })
}

fn mode_text(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// Judge one file's metadata.
pub fn check_file(relative: &str, what: Sensitive, meta: &FileMetadata, scan: &mut Scan) {
    if meta.kind != FileKind::File {
        return;
    }
    let mode = meta.mode;
    let evidence = format!("mode {} uid {} gid {}", mode_text(mode), meta.uid, meta.gid);
    let at = Location::target(relative);
    let label = match what {
        Sensitive::Secret => "private key or credentials file",
        Sensitive::Model => "model file",
        Sensitive::Config => "configuration file",
    };
    if mode & 0o002 != 0 {
        scan.finding(
            checks::WORLD_WRITABLE,
            format!(
                "{relative} ({label}) is writable by every user (mode {})",
                mode_text(mode)
            ),
        )
        .at(at.clone())
        .evidence(evidence.clone());
    }
    if what == Sensitive::Secret {
        if mode & 0o004 != 0 {
            scan.finding(
                checks::SECRET_READABLE,
                format!(
                    "{relative} ({label}) is readable by every user (mode {})",
                    mode_text(mode)
                ),
            )
            .at(at.clone())
            .evidence(evidence.clone());
        }
        if mode & 0o020 != 0 && mode & 0o002 == 0 {
            scan.finding(
                checks::KEY_GROUP_WRITABLE,
                format!(
                    "{relative} ({label}) is writable by its group {} (mode {})",
                    meta.gid,
                    mode_text(mode)
                ),
            )
            .at(at)
            .evidence(evidence);
        }
    }
}

/// Judge a folder that holds models: writable by others without the
/// sticky bit lets any user replace a model.
pub fn check_model_dir(relative: &str, meta: &FileMetadata, scan: &mut Scan) {
    if meta.kind != FileKind::Directory {
        return;
    }
    let mode = meta.mode;
    if mode & 0o002 != 0 && mode & 0o1000 == 0 {
        scan.finding(
            checks::WORLD_WRITABLE,
            format!(
                "{relative}/ (a folder of models) is writable by every user (mode {}): anyone can replace a model",
                mode_text(mode)
            ),
        )
        .at(Location::target(relative))
        .evidence(format!(
            "mode {} uid {} gid {}",
            mode_text(mode),
            meta.uid,
            meta.gid
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_secrets_models_and_config() {
        assert_eq!(
            classify("home/a/.ssh/id_rsa"),
            Some((Sensitive::Secret, false))
        );
        assert_eq!(classify("home/a/.ssh/id_rsa.pub"), None);
        assert_eq!(classify("app/.env"), Some((Sensitive::Secret, false)));
        assert_eq!(
            classify("app/.env.production"),
            Some((Sensitive::Secret, false))
        );
        assert_eq!(classify("app/.env.example"), None);
        assert_eq!(classify("tls/server.pem"), Some((Sensitive::Secret, true)));
        assert_eq!(classify("etc/shadow"), Some((Sensitive::Secret, false)));
        assert_eq!(classify("docs/shadow"), None);
        assert_eq!(
            classify("models/m.safetensors"),
            Some((Sensitive::Model, false))
        );
        assert_eq!(
            classify("models/pytorch_model.bin"),
            Some((Sensitive::Model, false))
        );
        assert_eq!(classify("data/blob.bin"), None);
        assert_eq!(classify("app/server.py"), None);
        assert_eq!(
            classify("config/app.yaml"),
            Some((Sensitive::Config, false))
        );
        assert!(holds_private_key("-----BEGIN RSA PRIVATE KEY-----\nx"));
        assert!(!holds_private_key("-----BEGIN CERTIFICATE-----\nx"));
        assert!(!holds_private_key("-----BEGIN PUBLIC KEY-----\nx"));
        assert!(holds_private_key(
            "MC4CAQAwBQYDK2VwBCIEIFakeFakeFakeFakeFakeFakeFake\n"
        ));
        assert!(!holds_private_key(
            "PK\u{3}\u{4} a Keynote presentation, zipped"
        ));
        assert_eq!(classify("web/node_modules/x/package.json"), None);
        assert_eq!(classify("internal/testresources/client-key.pem"), None);
        assert_eq!(
            classify("usr/lib/python3/dist-packages/twisted/test/server.pem"),
            None
        );
    }
}
