//! Whether a name says it holds a secret and whether a value can be one:
//! the judgement every plugin that meets credentials shares (the code
//! plugin's secret rules, the container plugin's `ENV` and `ARG` check), so
//! that a placeholder, a name, a made-up value or a reference reads the same
//! everywhere.

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Documented example credentials (AWS, Stripe and jwt.io documentation):
/// found in every tutorial, never live.
pub const DOCUMENTED_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "AKIAI44QH8DHBEXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "sk_test_26PHem9AhJZvU623DfE1x4sd",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
];

/// Words that mark a value as a placeholder or an example.
pub const STOP_WORDS: &[&str] = &[
    "example",
    "sample",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "your",
    "placeholder",
    "dummy",
    "fake",
    "redacted",
    "replace",
    "insert",
    "enter_",
    "todo",
    "fixme",
    "xxxx",
    "****",
    "....",
    "lorem",
    "notasecret",
    "not-a-secret",
    "not_a_secret",
    "none",
    "null",
    "undefined",
    "foobar",
    "secret_here",
    "key_here",
    "token_here",
    "here_",
];

pub fn is_documented_example(text: &str) -> bool {
    DOCUMENTED_EXAMPLES.iter().any(|e| text.contains(e))
}

/// Splits a key into lower-case words: `dbPassword`, `DB_PASSWORD`,
/// `db-password` and `db.password` are all `db`, `password`.
fn words(key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = key.chars().collect();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|j| chars.get(j)) {
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let boundary = (prev.is_ascii_lowercase() && c.is_ascii_uppercase())
                || (prev.is_ascii_uppercase()
                    && c.is_ascii_uppercase()
                    && next.is_ascii_lowercase())
                || (prev.is_ascii_alphabetic() && c.is_ascii_digit());
            if boundary && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Words that may follow the secret word in a key (`DB_PASSWORD_PROD`).
const SUFFIXES: &[&str] = &[
    "prod",
    "production",
    "dev",
    "development",
    "staging",
    "stage",
    "test",
    "live",
    "local",
    "base",
    "value",
    "str",
    "string",
    "b64",
    "base64",
    "encoded",
    "raw",
    "primary",
    "secondary",
    "old",
    "new",
    "v1",
    "v2",
    "v3",
    "plain",
    "plaintext",
    "cleartext",
];

/// Words that make a key something other than a secret.
const NOT_SECRET: &[&str] = &[
    "hash",
    "hashed",
    "hasher",
    "digest",
    "sha",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "checksum",
    "crc",
    "uuid",
    "guid",
    "fingerprint",
    "public",
    "publishable",
    "pub",
    "pubkey",
    "file",
    "filename",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "name",
    "names",
    "len",
    "length",
    "str",
    "size",
    "count",
    "max",
    "min",
    "num",
    "limit",
    "type",
    "field",
    "fields",
    "label",
    "prompt",
    "placeholder",
    "hint",
    "regex",
    "pattern",
    "policy",
    "rotation",
    "expiry",
    "expires",
    "expire",
    "expiration",
    "expired",
    "ttl",
    "timeout",
    "lifetime",
    "age",
    "validator",
    "validation",
    "required",
    "enabled",
    "enable",
    "disabled",
    "reset",
    "forgot",
    "header",
    "param",
    "prefix",
    "suffix",
    "format",
    "env",
    "var",
    "ref",
    "arn",
    "location",
    "id",
    "ids",
    "index",
    "idx",
    "pad",
    "eos",
    "bos",
    "unk",
    "sep",
    "cls",
    "mask",
    "special",
    "eot",
    "start",
    "end",
    "stop",
    "image",
    "audio",
    "video",
    "vision",
    "next",
    "page",
    "continuation",
    "cancellation",
    "usage",
    "input",
    "output",
    "prompt",
    "completion",
    "budget",
    "cost",
    "rate",
    "per",
    "bucket",
    "strength",
    "policy",
    "style",
    "class",
    "color",
    "icon",
    "mode",
    "method",
    "algorithm",
    "alg",
    "kind",
    "scheme",
    "version",
    "store",
    "manager",
    "provider",
    "source",
    "mount",
    "volume",
    "selector",
    "template",
    "generator",
    "generated",
    "set",
    "get",
    "is",
    "has",
    "use",
    "show",
    "sample",
    "example",
    "dummy",
    "mock",
    "fake",
    "spec",
    "secretref",
    "secretname",
    "keyref",
    "valuefrom",
    "keyboard",
    "keys",
    "tokens",
    "keyword",
    "keywords",
    "keypair",
    "keyspace",
    "keystore",
    "keychain",
    "keyring",
    "passthrough",
    "bypass",
    "compass",
    "nopasswd",
    "nopassword",
];

/// Words before `key` that make it a credential (`api_key`, not `key`).
const KEY_PREFIXES: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "auth",
    "client",
    "master",
    "signing",
    "encryption",
    "app",
    "account",
    "license",
    "admin",
    "session",
    "shared",
    "storage",
    "subscription",
    "consumer",
    "webhook",
    "service",
    "x",
    "openai",
    "anthropic",
    "cohere",
    "stripe",
    "deploy",
    "ssh",
    "jwt",
    "hmac",
    "aes",
    "crypt",
    "cipher",
    "decryption",
    "sendgrid",
    "twilio",
    "mailgun",
];

/// Whether the name a value is assigned to says it is a secret.
pub fn secret_key(key: &str) -> bool {
    if key.len() > 64 || key.is_empty() {
        return false;
    }
    let w = words(key);
    if w.iter().any(|x| NOT_SECRET.contains(&x.as_str())) {
        return false;
    }
    // The secret word is the last word, or followed only by suffixes.
    let Some(last) = w
        .iter()
        .rposition(|x| !SUFFIXES.contains(&x.as_str()) && x.parse::<u32>().is_err())
    else {
        return false;
    };
    let word = w[last].as_str();
    let before = last.checked_sub(1).map(|i| w[i].as_str());
    match word {
        "password" | "passwd" | "pwd" | "pass" | "passphrase" | "secret" | "token" | "apikey"
        | "credential" | "credentials" | "pw" => true,
        "key" => before.is_some_and(|b| KEY_PREFIXES.contains(&b)),
        "auth" => w.len() == 1,
        _ => [
            "password",
            "passwd",
            "secret",
            "token",
            "apikey",
            "secretkey",
            "accesskey",
            "privatekey",
            "authkey",
            "passphrase",
        ]
        .iter()
        .any(|s| word.ends_with(s)),
    }
}

/// Values that stand for a secret rather than being one: references to
/// variables and templates, placeholders, stop words.
pub fn placeholder_value(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() {
        return true;
    }
    let first = v.as_bytes()[0];
    if matches!(
        first,
        b'$' | b'%' | b'{' | b'<' | b'[' | b'(' | b'!' | b'&' | b'*' | b'@' | b'#'
    ) {
        return true;
    }
    const TEMPLATES: &[&str] = &[
        "${",
        "{{",
        "}}",
        "$(",
        "%(",
        "#{",
        "<%",
        "%>",
        "{%",
        "%s",
        "%d",
        "os.environ",
        "getenv",
        "process.env",
    ];
    if TEMPLATES.iter().any(|t| v.contains(t)) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const WHOLE: &[&str] = &[
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "apikey",
        "api_key",
        "user",
        "username",
        "changeme",
        "default",
        "string",
        "str",
        "bool",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "required",
        "optional",
        "empty",
        "blank",
        "hidden",
        "masked",
        "env",
        "environment",
        "bearer",
        "basic",
        "localhost",
        "test",
        "testing",
        "demo",
        "mypassword",
        "mysecret",
        "secretpassword",
        "password123",
        "pass123",
        "admin123",
        "secret123",
        "qwerty",
        "letmein",
        "abc123",
        "123456",
        "12345678",
        "123456789",
        "s3cr3t",
        "p4ssw0rd",
        "p@ssw0rd",
        "p@ssword",
        "passw0rd",
        "unset",
        "unknown",
        "tbd",
        "n/a",
        "nil",
        "redacted",
        "string_value",
        "keep",
        "override",
        "inherit",
        "auto",
        "generate",
        "random",
        "sensitive",
    ];
    if WHOLE.contains(&lower.as_str()) {
        return true;
    }
    if STOP_WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    let b = v.as_bytes();
    b.iter().all(|&c| c == b[0]) || sequences_and_words(v) || object_reference(v)
}

/// `namespace/name` of a Kubernetes object (`cert-manager/webhook-ca`, as
/// cert-manager's `inject-ca-from-secret` annotation names a Secret): two
/// names made of lowercase words, which no generated secret is.
fn object_reference(v: &str) -> bool {
    let Some((ns, name)) = v.split_once('/') else {
        return false;
    };
    let words_only = |part: &str| {
        !part.is_empty()
            && part
                .split(['-', '.'])
                .all(|w| w.len() >= 2 && w.bytes().all(|c| c.is_ascii_lowercase()))
    };
    words_only(ns) && words_only(name) && v.contains('-')
}

/// Words that make up made-up credentials (`admin1234`, `THEPASSWORD`,
/// `minio123`), with [`sequences_and_words`].
const FILLER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "admin",
    "minio",
    "minioadmin",
    "root",
    "user",
    "test",
    "demo",
    "guest",
    "token",
    "apikey",
    "api",
    "key",
    "pass",
    "the",
    "my",
    "qwerty",
    // Keyboard rows typed as test tokens (`asdf1234`).
    "asdf",
    "zxcv",
    "qwer",
    "hello",
    "world",
    "foo",
    "bar",
    "baz",
    "default",
    "local",
    "dev",
];

/// Whether at least three quarters of a value (after a provider-style
/// prefix such as `sk-`) is runs of consecutive characters (`abc`, `123`,
/// `XYZ`, `987`) and filler words: `sk-1234567890`, `abc123def456`,
/// `abc123XYZ987`, `admin1234`. A random secret is almost never so.
fn sequences_and_words(v: &str) -> bool {
    let body = match v.find(['-', '_']) {
        Some(i) if i <= 4 => &v[i + 1..],
        _ => v,
    };
    let lower: Vec<u8> = body.bytes().map(|c| c.to_ascii_lowercase()).collect();
    if lower.len() < 4 || !lower.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut covered = vec![false; lower.len()];
    // Runs of three or more consecutive characters, up or down.
    let mut start = 0;
    for i in 1..=lower.len() {
        let step = |a: u8, b: u8| {
            (a.is_ascii_digit() == b.is_ascii_digit())
                && (b == a.wrapping_add(1) || a == b.wrapping_add(1))
        };
        let continues = i < lower.len()
            && step(lower[i - 1], lower[i])
            && (i - start < 2
                || (lower[i] as i16 - lower[i - 1] as i16)
                    == (lower[i - 1] as i16 - lower[i - 2] as i16));
        if !continues {
            if i - start >= 3 {
                covered[start..i].iter_mut().for_each(|c| *c = true);
            }
            start = i;
        }
    }
    for w in FILLER_WORDS {
        let w = w.as_bytes();
        let mut i = 0;
        while i + w.len() <= lower.len() {
            if &lower[i..i + w.len()] == w {
                covered[i..i + w.len()].iter_mut().for_each(|c| *c = true);
                i += w.len();
            } else {
                i += 1;
            }
        }
    }
    covered.iter().filter(|&&c| c).count() * 4 >= lower.len() * 3
}

/// A value that is base64 of a placeholder (`cGFzc3dvcmQ=`, "password").
fn base64_of_placeholder(v: &str) -> bool {
    if v.len() < 8 || !v.len().is_multiple_of(4) {
        return false;
    }
    let Some(decoded) = crate::base64::decode(v.as_bytes(), false) else {
        return false;
    };
    match std::str::from_utf8(&decoded) {
        Ok(d) if d.bytes().all(|c| c.is_ascii_graphic()) => {
            placeholder_value(d) || identifier_like(d) || d.len() < 6
        }
        _ => false,
    }
}

/// Whether an assigned value can be a secret: not a placeholder, long and
/// varied enough, not a reference, path, number, UUID or identifier.
pub fn plausible_value(v: &str, min_len: usize, floor: f64) -> bool {
    let n = v.chars().count();
    if n < min_len || n > 256 || placeholder_value(v) || is_documented_example(v) {
        return false;
    }
    if v.chars().any(char::is_whitespace)
        || v.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return false;
    }
    if is_uuid(v) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with('/')
        || lower.starts_with("./")
        || lower.starts_with("../")
        || lower.starts_with("~/")
        || lower.contains("://")
        || lower.starts_with("file:")
        || lower.starts_with("arn:")
        || lower.starts_with("vault:")
        || lower.starts_with("projects/")
        || [
            ".pem", ".key", ".json", ".txt", ".crt", ".p12", ".yaml", ".yml", ".env", ".pfx",
            ".jks",
        ]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return false;
    }
    if identifier_like(v) || base64_of_placeholder(v) {
        return false;
    }
    entropy(v) >= floor
}

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `settings.SECRET_KEY`, `DB_PASSWORD`, `my-secret-name`, `get_token`:
/// names, not values.
fn identifier_like(v: &str) -> bool {
    let parts_ok = |sep: char, part: &dyn Fn(&str) -> bool| {
        let parts: Vec<&str> = v.split(sep).collect();
        parts.len() >= 2 && parts.iter().all(|p| !p.is_empty() && part(p))
    };
    let ident = |p: &str| {
        p.as_bytes()[0].is_ascii_alphabetic() || p.as_bytes()[0] == b'_'
    } && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
    let lower_word = |p: &str| p.bytes().all(|c| c.is_ascii_lowercase());
    let upper_word = |p: &str| {
        p.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    // A part of a kebab or snake name: a lower-case word, or a short
    // token such as `s3`, `v1`, `k8s`.
    let name_part = |p: &str| {
        lower_word(p)
            || (p.len() <= 3
                && p.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
    };
    // `pkg.module:Attr` and `._internal.api_token:ApiToken`: an import path.
    let import_path = v.split_once(':').is_some_and(|(module, attr)| {
        let module = module.trim_start_matches('.');
        !module.is_empty()
            && module.split('.').all(|p| !p.is_empty() && ident(p))
            && !attr.is_empty()
            && ident(attr)
    });
    import_path
        || parts_ok('.', &ident)
        || parts_ok('_', &name_part)
        || parts_ok('-', &name_part)
        || parts_ok('_', &upper_word)
        || words_only(v)
}

/// Letters only (any script), written as one word or as words joined in
/// camelCase, PascalCase, kebab or snake case: `credentials`, `délicieux`,
/// `vllmApiKey`, `EasyNegative`, `servingEngineSpec-apikey`. Generated
/// secrets of this length nearly always hold a digit or a symbol, and a
/// run of random letters splits into short, oddly cased pieces.
fn words_only(v: &str) -> bool {
    let n = v.chars().count();
    if n > 40
        || !v
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '_' | '.'))
    {
        return false;
    }
    let mut words: Vec<String> = Vec::new();
    for part in v.split(['-', '_', '.']) {
        let mut cur = String::new();
        let chars: Vec<char> = part.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let prev_lower = i > 0 && chars[i - 1].is_lowercase();
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if c.is_uppercase() && (prev_lower || (prev_upper && next_lower)) && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            words.push(cur);
        }
    }
    if words.is_empty() {
        return false;
    }
    let letters: usize = words.iter().map(|w| w.chars().count()).sum();
    // Each word is Capitalised, lower or UPPER, and words are not tiny.
    words.iter().all(|w| {
        let mut c = w.chars();
        let first = c.next().unwrap();
        let rest: Vec<char> = c.collect();
        rest.iter().all(|c| c.is_lowercase())
            || (first.is_uppercase() && rest.iter().all(|c| c.is_uppercase()))
    }) && words.iter().all(|w| w.chars().count() >= 2)
        && letters >= words.len() * 3
}
