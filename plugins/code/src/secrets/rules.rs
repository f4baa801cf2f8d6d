//! The provider rules: what a credential of each provider looks like, the
//! keywords that must occur for it to be there at all (the engine looks for
//! every rule's keywords in one pass), and the checks that tell a real
//! credential from a look-alike.

use crate::checks;

/// One pattern for one kind of credential.
pub struct Rule {
    /// The check a hit is reported under.
    pub check: &'static str,
    /// What was found, in a few words ("GitHub token").
    pub what: &'static str,
    /// Literals one of which occurs in every match (matched ignoring ASCII
    /// case); the pattern runs only around them.
    pub keywords: &'static [&'static str],
    /// The regular expression; capture group [`Rule::group`] is the secret.
    pub pattern: &'static str,
    pub group: usize,
    /// How far before a keyword a match may start, and how long it may be.
    pub back: usize,
    pub span: usize,
    /// Least Shannon entropy (bits per character) of the secret.
    pub min_entropy: f64,
    /// Characters of the secret the evidence may show (the provider's
    /// fixed prefix, never the random part).
    pub show: usize,
    /// A further test, given the whole text and where the secret is in it
    /// (byte offsets); returns where the secret ends (it may extend it).
    pub validate: Option<Validate>,
}

/// Given the text and the secret's byte range, where the secret ends, or
/// None when it is not one.
pub type Validate = fn(&str, usize, usize) -> Option<usize>;

macro_rules! rule {
    ($check:expr, $what:expr, $kw:expr, $pat:expr, group $g:expr, back $b:expr, span $s:expr, entropy $e:expr, show $show:expr $(, validate $v:expr)?) => {
        Rule {
            check: $check,
            what: $what,
            keywords: $kw,
            pattern: $pat,
            group: $g,
            back: $b,
            span: $s,
            min_entropy: $e,
            show: $show,
            validate: rule!(@v $($v)?),
        }
    };
    (@v) => { None };
    (@v $v:expr) => { Some($v) };
}

/// Every provider rule, the most specific first (where two rules find the
/// same characters, the first one's hit is kept).
pub fn all() -> Vec<Rule> {
    vec![
        rule!(checks::SECRET_GCP_SERVICE_ACCOUNT, "Google Cloud service-account key", &["\"private_key\""],
            r#""private_key"\s*:\s*"(-----BEGIN[ A-Z]{0,20}PRIVATE KEY-----[^"]{64,})""#,
            group 1, back 0, span 16384, entropy 0.0, show 0, validate service_account),
        rule!(checks::SECRET_PRIVATE_KEY, "private key", &["PRIVATE KEY"],
            r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----",
            group 0, back 48, span 80, entropy 0.0, show 0, validate private_key_body),
        rule!(checks::SECRET_AWS_SECRET_KEY, "AWS secret access key", &["aws", "secret_access", "secretaccess", "secret-access"],
            r#"(?i)(?:aws[\w.\-]{0,30}(?:secret|sk)[\w.\-]{0,20}|secret[_.\-]?access[_.\-]?key[\w.\-]{0,10})\\?["']?\s*(?:=>|:=|[:=])\s*\\?["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
            group 1, back 64, span 200, entropy 3.5, show 0),
        rule!(checks::SECRET_AWS_ACCESS_KEY, "AWS access key ID", &["AKIA", "ASIA", "ABIA", "ACCA"],
            r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
            group 1, back 0, span 24, entropy 3.0, show 4),
        rule!(checks::SECRET_GCP_API_KEY, "Google API key", &["AIza"],
            r"\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
            group 1, back 0, span 48, entropy 3.5, show 4),
        rule!(checks::SECRET_AZURE_STORAGE_KEY, "Azure storage account key", &["AccountKey"],
            r"(?i)AccountKey\s*=\s*([A-Za-z0-9+/]{86}==)",
            group 1, back 0, span 120, entropy 4.0, show 0),
        rule!(checks::SECRET_AZURE_SAS, "Azure shared access signature", &["sig="],
            r"[&?]sig=([A-Za-z0-9%/+]{30,}(?:%3[dD]|=){0,2})",
            group 1, back 1, span 200, entropy 3.5, show 0, validate sas_token),
        rule!(checks::SECRET_GITHUB, "GitHub token", &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            r"\b(gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})\b",
            group 1, back 0, span 300, entropy 3.5, show 4),
        rule!(checks::SECRET_GITLAB, "GitLab token", &["glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glft-", "glimt-", "glcbt-", "glagent-", "GR1348941"],
            r"\b((?:glpat|gldt|glrt|glsoat|glft|glimt|glcbt|glagent)-[A-Za-z0-9_\-.]{20,}|glptt-[0-9a-f]{40}|GR1348941[A-Za-z0-9_\-]{20})",
            group 1, back 0, span 300, entropy 3.3, show 6),
        rule!(checks::SECRET_SLACK_WEBHOOK, "Slack webhook URL", &["hooks.slack.com"],
            r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_]{6,}/[A-Za-z0-9_]{6,}/[A-Za-z0-9_]{16,})",
            group 1, back 8, span 200, entropy 3.0, show 33),
        rule!(checks::SECRET_SLACK_TOKEN, "Slack token", &["xox", "xapp-"],
            r"\b(xox[abposre]-[0-9A-Za-z\-]{10,250}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)\b",
            group 1, back 0, span 260, entropy 3.0, show 5),
        rule!(checks::SECRET_STRIPE, "Stripe key", &["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"],
            r"\b((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{20,247}|whsec_[A-Za-z0-9+/=]{32,})\b",
            group 1, back 0, span 260, entropy 3.5, show 8),
        rule!(checks::SECRET_ANTHROPIC, "Anthropic API key", &["sk-ant-"],
            r"\b(sk-ant-[a-z0-9]{2,12}-[A-Za-z0-9_\-]{32,200})(?:[^A-Za-z0-9_\-]|$)",
            group 1, back 0, span 230, entropy 3.5, show 7),
        rule!(checks::SECRET_OPENAI, "OpenAI API key", &["sk-"],
            r"\b(sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{40,300}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|sk-[A-Za-z0-9]{48})(?:[^A-Za-z0-9_\-]|$)",
            group 1, back 0, span 320, entropy 4.0, show 3, validate openai),
        rule!(checks::SECRET_HUGGINGFACE, "Hugging Face token", &["hf_", "api_org_"],
            r"\b(hf_[A-Za-z0-9]{30,40}|api_org_[A-Za-z0-9]{30,40})\b",
            group 1, back 0, span 60, entropy 3.5, show 3, validate mixed_case),
        rule!(checks::SECRET_REPLICATE, "Replicate API token", &["r8_"],
            r"\b(r8_[A-Za-z0-9]{36,40})\b",
            group 1, back 0, span 50, entropy 3.5, show 3, validate mixed_case),
        rule!(checks::SECRET_COHERE, "Cohere API key", &["cohere", "co_api_key"],
            r#"(?i)(?:cohere[\w.\-]{0,25}(?:api[_\-]?key|key|token)|\bco_api_key)\\?["']?\s*(?:=>|:=|[:=])\s*\\?["']?([A-Za-z0-9]{40})(?:[^A-Za-z0-9]|$)"#,
            group 1, back 40, span 200, entropy 3.5, show 0, validate mixed_case),
        rule!(checks::SECRET_COHERE, "Cohere API key", &["cohere"],
            r#"(?i)cohere\.(?:Async)?Client(?:V2)?\(\s*(?:api_key\s*=\s*)?\\?["']([A-Za-z0-9]{40})\\?["']"#,
            group 1, back 0, span 200, entropy 3.5, show 0, validate mixed_case),
        rule!(checks::SECRET_WANDB, "Weights & Biases API key", &["wandb"],
            r#"(?i)wandb[\w.\-]{0,25}\\?["']?\s*(?:=>|:=|[:=])\s*\\?["']?((?:local-)?[a-f0-9]{40})(?:[^A-Za-z0-9]|$)"#,
            group 1, back 0, span 200, entropy 3.0, show 0),
        rule!(checks::SECRET_WANDB, "Weights & Biases API key", &["wandb"],
            r#"(?i)wandb\.login\([^)]{0,80}?key\s*=\s*\\?["']((?:local-)?[a-f0-9]{40})\\?["']"#,
            group 1, back 0, span 240, entropy 3.0, show 0),
        rule!(checks::SECRET_JWT, "JSON Web Token", &["eyJ"],
            r"\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})(?:[^A-Za-z0-9_\-.=]|$)",
            group 1, back 0, span 8192, entropy 3.0, show 3, validate jwt),
        rule!(checks::SECRET_DB_URL, "password in a database URL", &["://"],
            r#"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|oracle|cockroachdb|clickhouse|couchdb|neo4j(?:\+s)?|bolt|cassandra|memcached|snowflake|db2|jdbc:[a-z0-9]+)(?:\+[a-z0-9]+)?://([^:/?#@\s"'<>\\]{1,128}):([^@/?\s"'<>\\]{1,256})@[A-Za-z0-9.\-_\[]"#,
            group 2, back 40, span 600, entropy 0.0, show 0, validate url_password),
    ]
}

pub use aicomply_sdk::secret_values::{STOP_WORDS, entropy, is_documented_example};

/// Whether a provider credential is in fact a placeholder: a stop word,
/// a documented example, or a long run of one character.
pub fn looks_like_placeholder(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    if STOP_WORDS.iter().any(|w| lower.contains(w)) || is_documented_example(secret) {
        return true;
    }
    let b = secret.as_bytes();
    let mut run = 1;
    for i in 1..b.len() {
        if b[i] == b[i - 1] {
            run += 1;
            if run >= 8 {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

fn mixed_case(text: &str, start: usize, end: usize) -> Option<usize> {
    let secret = &text[start..end];
    let tail = secret.split('_').next_back().unwrap_or(secret);
    let upper = tail.bytes().any(|b| b.is_ascii_uppercase());
    let lower = tail.bytes().any(|b| b.is_ascii_lowercase());
    (upper && lower).then_some(end)
}

fn openai(text: &str, start: usize, end: usize) -> Option<usize> {
    let secret = &text[start..end];
    if secret.contains("T3BlbkFJ")
        || ["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"]
            .iter()
            .any(|p| secret.starts_with(p))
    {
        return Some(end);
    }
    // A bare `sk-` and 48 characters: only with digits and both cases.
    let digits = secret[3..].bytes().any(|b| b.is_ascii_digit());
    (digits && mixed_case(text, start + 3, end).is_some()).then_some(end)
}

/// A private key is one only with a body: at least 64 characters of
/// base64 (and line breaks, escaped or not) up to its END line, within
/// 64 KiB. The secret then runs to the END line.
fn private_key_body(text: &str, _start: usize, end: usize) -> Option<usize> {
    let rest = &text[end..];
    let limit = rest.len().min(64 << 10);
    let window = &rest.as_bytes()[..limit];
    let stop = memchr_find(window, b"-----END")?;
    let body = &rest[..stop];
    let mut base64 = 0;
    let mut bytes = body.bytes().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => base64 += 1,
            b'\\' => {
                // An escaped line break (`\n` in JSON, `\\n` in code).
                bytes.next_if(|&c| c == b'n' || c == b'r');
            }
            _ => {}
        }
    }
    // Headers of encrypted PEM (`Proc-Type: 4,ENCRYPTED`) count a little;
    // a placeholder body (`...`, `<key>`) does not reach 64.
    if base64 < 64 || looks_like_placeholder(body) {
        return None;
    }
    let end_line = rest[stop..].find('\n').map_or(rest.len(), |i| stop + i);
    Some(end + end_line.min(stop + 64))
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The private key of a service-account JSON file (`"type":
/// "service_account"` in the same file).
fn service_account(text: &str, _: usize, end: usize) -> Option<usize> {
    text.contains("service_account").then_some(end)
}

/// A SAS token has a version (`sv=`) and an expiry or permissions in the
/// same query string.
fn sas_token(text: &str, start: usize, end: usize) -> Option<usize> {
    let from = start.saturating_sub(400);
    let from = (from..start)
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(start);
    let before = &text[from..start];
    let query = before
        .rsplit(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .next()
        .unwrap_or("");
    (query.contains("sv=") && (query.contains("se=") || query.contains("sp="))).then_some(end)
}

fn jwt(text: &str, start: usize, end: usize) -> Option<usize> {
    let secret = &text[start..end];
    let header = secret.split('.').next()?;
    let decoded = super::base64::decode(header.as_bytes(), true)?;
    let text = String::from_utf8(decoded).ok()?;
    text.contains("\"alg\"").then_some(end)
}

fn url_password(text: &str, start: usize, end: usize) -> Option<usize> {
    (!super::engine::placeholder_value(&text[start..end])).then_some(end)
}
