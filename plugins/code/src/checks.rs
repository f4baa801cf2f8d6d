//! The code plugin's check catalogue: secrets in text files, Python, CI
//! pipelines and dependencies (CODE-1), notebooks (CODE-2) and model files
//! (CODE-3, CODE-4). Each module owns its checks; ids are stable.

use aicomply_sdk::{Check, Severity};

pub const PICKLE_CALL: &str = "CODE-PICKLE-DANGEROUS-CALL";
pub const PICKLE_IMPORT: &str = "CODE-PICKLE-DANGEROUS-IMPORT";
pub const PICKLE_SUSPICIOUS: &str = "CODE-PICKLE-SUSPICIOUS";
pub const PICKLE_UNKNOWN_CALL: &str = "CODE-PICKLE-UNKNOWN-CALL";
pub const PICKLE_UNRESOLVED: &str = "CODE-PICKLE-UNRESOLVED";
pub const MODEL_INVALID: &str = "CODE-MODEL-INVALID";
pub const MODEL_INCOMPLETE: &str = "CODE-MODEL-SCAN-INCOMPLETE";
pub const ARCHIVE_UNSAFE: &str = "CODE-ARCHIVE-UNSAFE";
pub const KERAS_LAMBDA: &str = "CODE-KERAS-CODE";
pub const TF_OPS: &str = "CODE-TF-DANGEROUS-OP";
pub const EXTERNAL_DATA: &str = "CODE-MODEL-EXTERNAL-DATA";
pub const SAFETENSORS_INVALID: &str = "CODE-SAFETENSORS-INVALID";
pub const PICKLE_FORMAT: &str = "CODE-MODEL-PICKLE-FORMAT";
pub const MODEL_UNRECOGNISED: &str = "CODE-MODEL-NOT-SCANNED";

pub const SECRET_AWS_ACCESS_KEY: &str = "CODE-SECRET-AWS-ACCESS-KEY";
pub const SECRET_AWS_SECRET_KEY: &str = "CODE-SECRET-AWS-SECRET-KEY";
pub const SECRET_GCP_SERVICE_ACCOUNT: &str = "CODE-SECRET-GCP-SERVICE-ACCOUNT";
pub const SECRET_GCP_API_KEY: &str = "CODE-SECRET-GCP-API-KEY";
pub const SECRET_AZURE_STORAGE_KEY: &str = "CODE-SECRET-AZURE-STORAGE-KEY";
pub const SECRET_AZURE_SAS: &str = "CODE-SECRET-AZURE-SAS";
pub const SECRET_GITHUB: &str = "CODE-SECRET-GITHUB-TOKEN";
pub const SECRET_GITLAB: &str = "CODE-SECRET-GITLAB-TOKEN";
pub const SECRET_SLACK_TOKEN: &str = "CODE-SECRET-SLACK-TOKEN";
pub const SECRET_SLACK_WEBHOOK: &str = "CODE-SECRET-SLACK-WEBHOOK";
pub const SECRET_STRIPE: &str = "CODE-SECRET-STRIPE-KEY";
pub const SECRET_OPENAI: &str = "CODE-SECRET-OPENAI-KEY";
pub const SECRET_ANTHROPIC: &str = "CODE-SECRET-ANTHROPIC-KEY";
pub const SECRET_HUGGINGFACE: &str = "CODE-SECRET-HUGGINGFACE-TOKEN";
pub const SECRET_COHERE: &str = "CODE-SECRET-COHERE-KEY";
pub const SECRET_REPLICATE: &str = "CODE-SECRET-REPLICATE-TOKEN";
pub const SECRET_WANDB: &str = "CODE-SECRET-WANDB-KEY";
pub const SECRET_PRIVATE_KEY: &str = "CODE-SECRET-PRIVATE-KEY";
pub const SECRET_JWT: &str = "CODE-SECRET-JWT";
pub const SECRET_DB_URL: &str = "CODE-SECRET-DB-URL-PASSWORD";
pub const SECRET_NETRC: &str = "CODE-SECRET-NETRC";
pub const SECRET_ENV_FILE: &str = "CODE-SECRET-ENV-FILE";
pub const SECRET_K8S: &str = "CODE-SECRET-K8S-SECRET";
pub const SECRET_GENERIC: &str = "CODE-SECRET-GENERIC";

/// Checks evaluated whenever at least one text file was searched.
pub const SECRET_CHECKS: &[&str] = &[
    SECRET_AWS_ACCESS_KEY,
    SECRET_AWS_SECRET_KEY,
    SECRET_GCP_SERVICE_ACCOUNT,
    SECRET_GCP_API_KEY,
    SECRET_AZURE_STORAGE_KEY,
    SECRET_AZURE_SAS,
    SECRET_GITHUB,
    SECRET_GITLAB,
    SECRET_SLACK_TOKEN,
    SECRET_SLACK_WEBHOOK,
    SECRET_STRIPE,
    SECRET_OPENAI,
    SECRET_ANTHROPIC,
    SECRET_HUGGINGFACE,
    SECRET_COHERE,
    SECRET_REPLICATE,
    SECRET_WANDB,
    SECRET_PRIVATE_KEY,
    SECRET_JWT,
    SECRET_DB_URL,
    SECRET_NETRC,
    SECRET_ENV_FILE,
    SECRET_K8S,
    SECRET_GENERIC,
];

/// Checks evaluated whenever at least one model file was found.
pub const MODEL_CHECKS: &[&str] = &[
    PICKLE_CALL,
    PICKLE_IMPORT,
    PICKLE_SUSPICIOUS,
    PICKLE_UNKNOWN_CALL,
    PICKLE_UNRESOLVED,
    MODEL_INVALID,
    MODEL_INCOMPLETE,
    ARCHIVE_UNSAFE,
    KERAS_LAMBDA,
    TF_OPS,
    EXTERNAL_DATA,
    SAFETENSORS_INVALID,
    PICKLE_FORMAT,
    MODEL_UNRECOGNISED,
];

const PICKLE_DOCS: &str = "https://docs.python.org/3/library/pickle.html#restricting-globals";
const SAFETENSORS: &str = "https://huggingface.co/docs/safetensors";

const ROTATE: &str = "Revoke and rotate it now (it is in the repository's history even after the file changes), then load it at run time from a secret manager or the environment. Remove it from history with git filter-repo if the repository is shared.";
const GITLEAKS: &str = "https://github.com/gitleaks/gitleaks";
const OWASP_SECRETS: &str =
    "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html";
const CWE_798: &str = "https://cwe.mitre.org/data/definitions/798.html";

/// One secret check: CODE-1, rotate-and-remove remediation, the provider's
/// own guidance first among the references.
fn secret(id: &str, severity: Severity, title: &str, how: &str, provider: &str) -> Check {
    let remediation = format!("{how} {ROTATE}");
    let mut refs = vec![provider, OWASP_SECRETS, CWE_798, GITLEAKS];
    refs.retain(|r| !r.is_empty());
    Check::new(id, "CODE-1", severity, title, &remediation, &refs)
}

fn secret_checks() -> Vec<Check> {
    use Severity::*;
    vec![
        secret(
            SECRET_AWS_ACCESS_KEY,
            High,
            "AWS access key ID committed",
            "An access key ID names a credential; its secret key is usually beside it. Deactivate the key in IAM.",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        ),
        secret(
            SECRET_AWS_SECRET_KEY,
            Critical,
            "AWS secret access key committed",
            "Deactivate and delete the access key in IAM; use roles (instance profiles, IRSA, OIDC in CI) instead of long-lived keys.",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        ),
        secret(
            SECRET_GCP_SERVICE_ACCOUNT,
            Critical,
            "Google Cloud service-account key file committed",
            "Delete the key in IAM (Service accounts > Keys); use workload identity instead of key files.",
            "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys",
        ),
        secret(
            SECRET_GCP_API_KEY,
            High,
            "Google API key committed",
            "Delete or regenerate the key in the Cloud console and restrict new keys by API and referrer.",
            "https://cloud.google.com/docs/authentication/api-keys",
        ),
        secret(
            SECRET_AZURE_STORAGE_KEY,
            Critical,
            "Azure storage account key committed",
            "Rotate the storage account key; use Entra ID (managed identities) rather than account keys.",
            "https://learn.microsoft.com/azure/storage/common/storage-account-keys-manage",
        ),
        secret(
            SECRET_AZURE_SAS,
            High,
            "Azure shared access signature committed",
            "Revoke the SAS (rotate the key that signed it, or delete its stored access policy); issue short-lived user-delegation SAS at run time.",
            "https://learn.microsoft.com/azure/storage/common/storage-sas-overview",
        ),
        secret(
            SECRET_GITHUB,
            Critical,
            "GitHub token committed",
            "Revoke the token (Settings > Developer settings); in Actions use the built-in GITHUB_TOKEN or OIDC.",
            "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/token-expiration-and-revocation",
        ),
        secret(
            SECRET_GITLAB,
            Critical,
            "GitLab token committed",
            "Revoke the token in GitLab (user, project or group access tokens; runner tokens by resetting them).",
            "https://docs.gitlab.com/ee/security/tokens/",
        ),
        secret(
            SECRET_SLACK_TOKEN,
            Critical,
            "Slack token committed",
            "Revoke the token (app settings > OAuth, or auth.revoke) and reinstall the app.",
            "https://api.slack.com/authentication/token-types",
        ),
        secret(
            SECRET_SLACK_WEBHOOK,
            High,
            "Slack incoming-webhook URL committed",
            "Anyone with the URL can post to the channel: delete the webhook in the app settings and create a new one.",
            "https://api.slack.com/messaging/webhooks",
        ),
        secret(
            SECRET_STRIPE,
            Critical,
            "Stripe secret or restricted key committed",
            "Roll the key in the Stripe dashboard (Developers > API keys).",
            "https://docs.stripe.com/keys",
        ),
        secret(
            SECRET_OPENAI,
            Critical,
            "OpenAI API key committed",
            "Revoke the key on the OpenAI platform's API keys page; use project-scoped keys from a secret store.",
            "https://platform.openai.com/docs/api-reference/authentication",
        ),
        secret(
            SECRET_ANTHROPIC,
            Critical,
            "Anthropic API key committed",
            "Disable the key in the Anthropic Console (API keys).",
            "https://docs.anthropic.com/en/api/getting-started",
        ),
        secret(
            SECRET_HUGGINGFACE,
            Critical,
            "Hugging Face token committed",
            "Invalidate the token in Hugging Face settings (Access Tokens); prefer fine-grained read tokens.",
            "https://huggingface.co/docs/hub/security-tokens",
        ),
        secret(
            SECRET_COHERE,
            Critical,
            "Cohere API key committed",
            "Delete the key in the Cohere dashboard (API keys).",
            "https://docs.cohere.com/docs/rate-limits",
        ),
        secret(
            SECRET_REPLICATE,
            Critical,
            "Replicate API token committed",
            "Revoke the token in Replicate's account settings (API tokens).",
            "https://replicate.com/docs/topics/security/api-tokens",
        ),
        secret(
            SECRET_WANDB,
            High,
            "Weights & Biases API key committed",
            "Revoke the key on wandb.ai/authorize (User settings > API keys); use WANDB_API_KEY from a secret store.",
            "https://docs.wandb.ai/guides/track/environment-variables/",
        ),
        secret(
            SECRET_PRIVATE_KEY,
            Critical,
            "Private key committed",
            "Treat the key pair as compromised: replace it (and any certificate issued for it) and keep private keys out of the tree.",
            "https://cwe.mitre.org/data/definitions/321.html",
        ),
        secret(
            SECRET_JWT,
            High,
            "JSON Web Token committed",
            "A JWT is a bearer credential until it expires: revoke the session or rotate the signing key, and do not commit tokens.",
            "https://datatracker.ietf.org/doc/html/rfc8725",
        ),
        secret(
            SECRET_DB_URL,
            Critical,
            "Password in a database or broker URL",
            "Change the database user's password; build the URL at run time from a secret (e.g. `postgresql://app@db/app` with the password in PGPASSFILE or the driver's password option).",
            "https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING",
        ),
        secret(
            SECRET_NETRC,
            Critical,
            "Password in a .netrc file",
            "Remove the .netrc from the tree, change the password or token, and keep .netrc in the user's home directory only (mode 600).",
            "https://everything.curl.dev/usingcurl/netrc.html",
        ),
        secret(
            SECRET_ENV_FILE,
            High,
            "Secret in a committed .env file",
            "Remove the .env file from the repository, add it to .gitignore and commit a .env.example with placeholders instead.",
            "https://12factor.net/config",
        ),
        secret(
            SECRET_K8S,
            High,
            "Secret value in a Kubernetes Secret manifest",
            "base64 is an encoding, not encryption: keep Secret values out of the repository (External Secrets, Sealed Secrets, SOPS) and rotate these.",
            "https://kubernetes.io/docs/concepts/configuration/secret/",
        ),
        secret(
            SECRET_GENERIC,
            High,
            "Hard-coded password, API key or token",
            "Read the value from the environment or a secret manager instead of the source.",
            "",
        ),
    ]
}

/// Every check of the plugin, one module's after the other.
pub fn catalogue() -> Vec<Check> {
    let mut all = secret_checks();
    all.extend(crate::python::catalogue());
    all.extend(crate::pipelines::catalogue());
    all.extend(crate::deps::catalogue());
    all.extend(crate::notebooks::catalogue());
    all.extend(model_checks());
    all
}

fn model_checks() -> Vec<Check> {
    // The published scanner bypasses the gadget table names are the
    // dangerous-call check's references, so each finding's advisory is
    // among them.
    let mut dangerous_call = Check::new(
        PICKLE_CALL,
        "CODE-4",
        Severity::Critical,
        "Model file calls a dangerous function when loaded",
        "Do not load this file. Find out where it came from; if it should be a model, re-export the weights from a trusted source in safetensors format.",
        &[PICKLE_DOCS, SAFETENSORS],
    );
    dangerous_call
        .references
        .extend(crate::pickle::policy::advisory_urls());
    vec![
        dangerous_call,
        Check::new(
            PICKLE_IMPORT,
            "CODE-4",
            Severity::High,
            "Model file references a dangerous function",
            "Do not load this file with pickle, torch.load or joblib.load. Re-export the weights from a trusted source in safetensors format.",
            &[PICKLE_DOCS],
        ),
        Check::new(
            PICKLE_UNKNOWN_CALL,
            "CODE-4",
            Severity::High,
            "Model file calls code outside the known-safe frameworks",
            "Unpickling calls these functions or classes with arguments the file chooses; they are not among what PyTorch, NumPy, scikit-learn and joblib checkpoints use, so what they do was not verified. If they are your own classes, save weights only (state_dict) in safetensors; otherwise do not load the file.",
            &[
                PICKLE_DOCS,
                "https://pytorch.org/docs/stable/generated/torch.load.html",
            ],
        ),
        Check::new(
            PICKLE_SUSPICIOUS,
            "CODE-4",
            Severity::Info,
            "Model file imports code outside the known-safe frameworks",
            "Review the imported names: unpickling runs them. If they are your own classes, prefer a format without code (safetensors, ONNX) or load with an allow-list (torch.load(weights_only=True)).",
            &[PICKLE_DOCS],
        ),
        Check::new(
            PICKLE_UNRESOLVED,
            "CODE-4",
            Severity::High,
            "Model file computes what it calls",
            "A pickle that builds the name of what it calls at load time (computed STACK_GLOBAL, EXT codes, calls on call results) hides its behaviour from scanners. Do not load it.",
            &[PICKLE_DOCS],
        ),
        Check::new(
            MODEL_INVALID,
            "CODE-4",
            Severity::Medium,
            "Model file is corrupt or not what it claims to be",
            "The file could not be parsed, so it was not verified. Replace it with a known-good copy and compare its SHA-256 with the publisher's.",
            &[],
        ),
        Check::new(
            MODEL_INCOMPLETE,
            "CODE-4",
            Severity::Medium,
            "Model file was only partly scanned",
            "A scan limit (opcodes, memo, nesting, archive size or ratio) was reached, so the rest of the file was not verified. Inspect the file or raise the limit.",
            &[],
        ),
        Check::new(
            ARCHIVE_UNSAFE,
            "CODE-4",
            Severity::High,
            "Model archive is malformed in a way loaders and scanners disagree on",
            "Zip-slip paths, duplicate members, bad checksums, data before the archive and extreme compression ratios let a file look different to a scanner than to the loader. Re-create the archive from trusted files.",
            &["https://pytorch.org/docs/stable/notes/serialization.html"],
        ),
        Check::new(
            KERAS_LAMBDA,
            "CODE-4",
            Severity::High,
            "Keras model contains code (Lambda layers or custom objects)",
            "Lambda layers carry Python code that runs when the model is loaded or called. Replace them with built-in or registered layers, and load with safe_mode=True.",
            &["https://keras.io/api/models/model_saving_apis/model_saving_and_loading/"],
        ),
        Check::new(
            TF_OPS,
            "CODE-4",
            Severity::High,
            "TensorFlow SavedModel uses file or Python operations",
            "ReadFile, WriteFile, MatchingFiles and PyFunc operations read or write the host's files or run Python when the model runs. Remove them from the serving graph.",
            &["https://www.tensorflow.org/guide/saved_model"],
        ),
        Check::new(
            EXTERNAL_DATA,
            "CODE-4",
            Severity::High,
            "Model references data outside its own folder",
            "External tensor data with an absolute path or `..` makes the loader read other files of the host. Keep external data next to the model with relative names.",
            &["https://onnx.ai/onnx/repo-docs/ExternalData.html"],
        ),
        Check::new(
            SAFETENSORS_INVALID,
            "CODE-4",
            Severity::High,
            "safetensors file is malformed",
            "The header or the tensor offsets are inconsistent; loaders may read out of bounds or disagree about the weights. Re-export the file.",
            &[SAFETENSORS],
        ),
        Check::new(
            MODEL_UNRECOGNISED,
            "CODE-3",
            Severity::Medium,
            "Model-named file that no reader recognises was not scanned",
            "Its name says model but its content is none of the formats aicomply reads (empty, truncated, random, or an unknown container), so nothing in it was verified. Replace it with a known-good copy in a safe format, or remove it.",
            &[SAFETENSORS],
        ),
        Check::new(
            PICKLE_FORMAT,
            "CODE-3",
            Severity::Medium,
            "Model is saved in a pickle-based format",
            "Convert the model to safetensors (torch: safetensors.torch.save_file(model.state_dict(), ...); others: ONNX or Keras without Lambda layers). Loading a pickle runs code, so it is only as safe as its origin.",
            &[SAFETENSORS],
        ),
    ]
}
