//! The engine on one line per case: what each rule must find, and the
//! look-alikes it must not.

use super::*;

/// Test credentials assembled at run time, so this file holds none.
fn k(parts: &[&str]) -> String {
    parts.concat()
}

/// A deterministic pseudo-random string of `len` characters of `alphabet`.
fn rnd(len: usize, alphabet: &str, seed: u64) -> String {
    let a = alphabet.as_bytes();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            a[(x % a.len() as u64) as usize] as char
        })
        .collect()
}

const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn checks_in(rel: &str, text: &str) -> Vec<(&'static str, u32)> {
    find_in_file(rel, text)
        .iter()
        .map(|h| (h.check, h.line))
        .collect()
}

fn one(rel: &str, text: &str, check: &str) {
    let hits = find_in_file(rel, text);
    assert!(
        hits.iter().any(|h| h.check == check),
        "{check} not found in {rel}: {text:?}\n got {hits:?}"
    );
    for h in &hits {
        assert!(
            h.evidence.contains("chars)"),
            "evidence not redacted: {}",
            h.evidence
        );
    }
}

fn none(rel: &str, text: &str) {
    let hits = find_in_file(rel, text);
    assert!(
        hits.is_empty(),
        "false positive in {rel}: {text:?}\n got {hits:?}"
    );
}

#[test]
fn provider_tokens() {
    let gh = k(&["ghp_", "R4nd0mT0k3nV4lu3Abcdefghijklmnop1234"]);
    one("a.py", &format!("token = '{gh}'\n"), checks::SECRET_GITHUB);
    one(
        "a.py",
        &format!(
            "x = \"{}\"",
            k(&[
                "github_pat_",
                "11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij"
            ])
        ),
        checks::SECRET_GITHUB,
    );
    one(
        "a.py",
        &format!("T = \"{}\"", k(&["glpat-", "xY7kQ2mW9pL4nR8sT1vZ"])),
        checks::SECRET_GITLAB,
    );
    one(
        "a.txt",
        &k(&["AKIA", "Z7QK3XW2MNB5VJ4P"]),
        checks::SECRET_AWS_ACCESS_KEY,
    );
    one(
        "c.ini",
        &format!(
            "aws_secret_access_key = {}\n",
            k(&["Zx9Kq2Mw7pLn4Rs8Tv1Yb3Ce", "5Gh6Jk0Fd/Ua+Wo2"])
        ),
        checks::SECRET_AWS_SECRET_KEY,
    );
    one(
        "s.js",
        &format!(
            "const s = '{}';",
            k(&[
                "xoxb-",
                "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
            ])
        ),
        checks::SECRET_SLACK_TOKEN,
    );
    one(
        "s.md",
        &k(&[
            "https://hooks.slack.com/services/",
            "T01ABCDEF/B02GHIJKL/",
            "aB3dE5fG7hI9jK1lM3nO5pQ7",
        ]),
        checks::SECRET_SLACK_WEBHOOK,
    );
    one(
        "p.py",
        &format!(
            "stripe.api_key = \"{}\"",
            k(&["sk_live_", "51H8xKzL2mN4pQ6rS8tU0vW2xY4z"])
        ),
        checks::SECRET_STRIPE,
    );
    one(
        "o.py",
        &format!(
            "client = OpenAI(api_key=\"{}\")",
            k(&[
                "sk-proj-",
                "Ab3De5Fg7Hi9Jk1Lm3No5Pq7Rs9Tu1Vw3Xy5Za7Bc9De1Fg3Hi5Jk7Lm9"
            ])
        ),
        checks::SECRET_OPENAI,
    );
    one(
        "o.py",
        &format!(
            "key = '{}'",
            k(&[
                "sk-",
                "Ab3De5Fg7Hi9Jk1Lm3No",
                "T3BlbkFJ",
                "Pq7Rs9Tu1Vw3Xy5Za7Bc"
            ])
        ),
        checks::SECRET_OPENAI,
    );
    one(
        "a.py",
        &format!(
            "k = \"{}\"",
            k(&[
                "sk-ant-",
                "api03-",
                "Ab3De5Fg7Hi9Jk1Lm3No5Pq7Rs9Tu1Vw3Xy5Za7Bc9De1Fg3Hi5Jk7Lm9No1Pq3-AA"
            ])
        ),
        checks::SECRET_ANTHROPIC,
    );
    one(
        "h.py",
        &format!(
            "login(token=\"{}\")",
            k(&["hf_", "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"])
        ),
        checks::SECRET_HUGGINGFACE,
    );
    one(
        "r.sh",
        &format!(
            "export REPLICATE_API_TOKEN={}",
            k(&["r8_", "Ab3De5Fg7Hi9Jk1Lm3No5Pq7Rs9Tu1Vw3Xy5Za"])
        ),
        checks::SECRET_REPLICATE,
    );
    one(
        "c.py",
        &format!(
            "co = cohere.Client(\"{}\")",
            k(&["Ab3De5Fg7Hi9Jk1Lm3No", "5Pq7Rs9Tu1Vw3Xy5Za7B"])
        ),
        checks::SECRET_COHERE,
    );
    one(
        "c.env",
        &format!(
            "COHERE_API_KEY={}",
            k(&["Ab3De5Fg7Hi9Jk1Lm3No", "5Pq7Rs9Tu1Vw3Xy5Za7B"])
        ),
        checks::SECRET_COHERE,
    );
    one(
        "w.py",
        &format!(
            "wandb.login(key=\"{}\")",
            k(&["3f2a9c1e7b5d4a6f8e0c", "2b4d6f8a0c1e3a5b7d9f"])
        ),
        checks::SECRET_WANDB,
    );
    one(
        "w.sh",
        &format!(
            "WANDB_API_KEY={}",
            k(&["3f2a9c1e7b5d4a6f8e0c", "2b4d6f8a0c1e3a5b7d9f"])
        ),
        checks::SECRET_WANDB,
    );
    one(
        "g.js",
        &format!(
            "apiKey: \"{}\"",
            k(&["AIza", "SyAb3De5Fg7Hi9Jk1Lm3No5Pq7Rs9Tu1VWx"])
        ),
        checks::SECRET_GCP_API_KEY,
    );
    one(
        "a.cfg",
        &format!(
            "conn = DefaultEndpointsProtocol=https;AccountName=x;AccountKey={};EndpointSuffix=core.windows.net",
            rnd(86, B64, 1) + "=="
        ),
        checks::SECRET_AZURE_STORAGE_KEY,
    );
    one(
        "u.txt",
        &format!(
            "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig={}",
            k(&["Ab3De5Fg7Hi9Jk1Lm3No5Pq7Rs9Tu1Vw3Xy5Za7B", "%3D"])
        ),
        checks::SECRET_AZURE_SAS,
    );
    one(
        "j.txt",
        &format!(
            "Authorization: Bearer {}",
            k(&[
                "eyJhbGciOiJIUzI1NiJ9",
                ".",
                "eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiJ9",
                ".",
                "Zx9Kq2Mw7pLn4Rs8Tv1Yb3Ce5Gh6Jk0Fd"
            ])
        ),
        checks::SECRET_JWT,
    );
    one(
        "d.yaml",
        &format!(
            "url: postgresql://app:{}@db.internal:5432/app",
            k(&["Xk29", "vLq8Zp"])
        ),
        checks::SECRET_DB_URL,
    );
}

#[test]
fn private_keys_with_a_body_only() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n";
    let pem = format!(
        "-----BEGIN {}PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\n",
        ""
    );
    one("k.pem", &pem, checks::SECRET_PRIVATE_KEY);
    let json = format!(
        "{{\"key\": \"-----BEGIN RSA {}-----\\n{}-----END RSA PRIVATE KEY-----\\n\"}}",
        "PRIVATE KEY",
        body.replace('\n', "\\n")
    );
    one("k.json", &json, checks::SECRET_PRIVATE_KEY);
    none(
        "doc.md",
        "Paste your key:\n-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
    );
    none(
        "cert.pem",
        "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\nRTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYD\n-----END CERTIFICATE-----\n",
    );
}

#[test]
fn gcp_service_account_key() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4";
    let text = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\",\n  \"private_key\": \"-----BEGIN {}-----\\n{body}\\n-----END PRIVATE KEY-----\\n\"\n}}\n",
        "PRIVATE KEY"
    );
    let hits = checks_in("sa.json", &text);
    assert_eq!(hits, vec![(checks::SECRET_GCP_SERVICE_ACCOUNT, 4)]);
}

#[test]
fn generic_assignments() {
    one(
        "a.py",
        "DB_PASSWORD = \"Zq8!xLm2#pR7\"\n",
        checks::SECRET_GENERIC,
    );
    one(
        "a.yaml",
        "database:\n  password: Zq8xLm2pR7vT\n",
        checks::SECRET_GENERIC,
    );
    one(
        "a.json",
        "{\"a\": {\"b\": {\"api_key\": \"Zq8xLm2pR7vTk3\"}}}",
        checks::SECRET_GENERIC,
    );
    one(
        "a.ts",
        "const cfg = { clientSecret: 'Zq8xLm2pR7vTk3' }",
        checks::SECRET_GENERIC,
    );
    one(
        ".env",
        "# old one\n# DB_PASS=Zq8xLm2p\nAPI_TOKEN=Zq8xLm2pR7vT\n",
        checks::SECRET_ENV_FILE,
    );
    one(
        "Dockerfile",
        "FROM python:3.12\nENV API_TOKEN Zq8xLm2pR7vTk3Wn\n",
        checks::SECRET_GENERIC,
    );
    one(
        "Dockerfile",
        "FROM python:3.12\nENV A=1 \\\n    DB_PASSWORD=Zq8xLm2pR7vTk3Wn \\\n    B=2\n",
        checks::SECRET_GENERIC,
    );
    none(
        "a.py",
        "password = os.environ[\"DB_PASSWORD\"]\napi_key = get_key()\ntoken = request.headers.get('token')\n",
    );
    none("a.py", "if password == \"Zq8xLm2pR7vT\":\n    pass\n");
    none(
        "a.yaml",
        "password: ${DB_PASSWORD}\napi_key: <your-key>\ntoken: changeme\nsecret: \"{{ .Values.secret }}\"\n",
    );
    none(
        "a.py",
        "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased')\nmax_tokens = 4096\npad_token = '<pad>'\n",
    );
    none(
        "a.yaml",
        "secretName: my-tls-secret\npasswordSecretRef: db-credentials\n",
    );
    none(
        ".env.example",
        "API_KEY=your-api-key-here\nDB_PASSWORD=changeme\n",
    );
}

#[test]
fn line_and_column_in_the_raw_file() {
    let gh = k(&["ghp_", "R4nd0mT0k3nV4lu3Abcdefghijklmnop1234"]);
    let text = format!("a\r\nb\r\n  x = '{gh}'\r\n");
    let hits = find_in_file("a.py", &text);
    assert_eq!((hits[0].line, hits[0].column), (3, 8));
    assert_eq!(hits[0].evidence, "ghp_…(40 chars)");
}

#[test]
fn kubernetes_secret_data_is_decoded() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  username: YWRtaW4=\n  password: WnE4eExtMnBSN3ZU\n  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n";
    let hits = checks_in("s.yaml", text);
    assert_eq!(hits, vec![(checks::SECRET_K8S, 7)]);
    // The last word of a data key decides: a database name is no secret.
    let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  POSTGRES_DB: a2F0aWI=\n  POSTGRES_PASSWORD: WnE4eExtMnBSN3ZU\n";
    assert_eq!(checks_in("s.yaml", text), vec![(checks::SECRET_K8S, 7)]);
}

#[test]
fn a_config_file_in_a_secret_is_judged_by_what_it_assigns() {
    let public = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: rclone-gs-public\nstringData:\n  gs: |\n    type: \"google cloud storage\"\n    name: gs\n    parameters:\n      anonymous: true\n";
    assert_eq!(checks_in("s.yaml", public), vec![]);
    let keyed = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: minio\nstringData:\n  s3: |\n    type: s3\n    parameters:\n      secret_access_key: Zq8xLm2pR7vTk4Wn\n";
    assert_eq!(checks_in("s.yaml", keyed).len(), 1);
    none("event_test.go", "\t\t\t\t\t\t\"token\": \"asdf1234\",\n");
}

#[test]
fn object_references_are_not_secrets() {
    // cert-manager names the Secret that holds a CA: namespace/name.
    none(
        "cert-manager.yaml",
        "  annotations:\n    cert-manager.io/inject-ca-from-secret: \"cert-manager/cert-manager-webhook-ca\"\n",
    );
}

#[test]
fn netrc_entries() {
    let hits = checks_in(
        ".netrc",
        "machine api.wandb.ai\n  login user\n  password Zq8xLm2pR7vT\n",
    );
    assert_eq!(hits, vec![(checks::SECRET_NETRC, 3)]);
}

#[test]
fn secrets_split_over_literals() {
    let a = "sk-proj-Ab3De5Fg7Hi9Jk1Lm3No5P";
    let b = "q7Rs9Tu1Vw3Xy5Za7Bc9De1Fg3Hi5Jk7Lm9";
    one(
        "a.py",
        &format!("key = (\"{a}\"\n       \"{b}\")\n"),
        checks::SECRET_OPENAI,
    );
    one(
        "a.js",
        &format!("const key = \"{a}\" + \"{b}\";\n"),
        checks::SECRET_OPENAI,
    );
}

#[test]
fn look_alikes_are_not_secrets() {
    none(
        "SHA256SUMS",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  model.bin\n",
    );
    none(
        "package-lock.json",
        "\"integrity\": \"sha512-Zq8xLm2pR7vTk3Wn5Yb1Ce3Gh5Jk7Lm9No1Pq3Rs5Tu7Vw9Xy1Za3Bc5De7Fg9Hi1Jk3Lm5No7Pq9==\"\n",
    );
    none(
        "a.txt",
        "commit 3f2a9c1e7b5d4a6f8e0c2b4d6f8a0c1e3a5b7d9f\nid: 123e4567-e89b-12d3-a456-426614174000\n",
    );
    none(
        "docs.md",
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    none(
        "a.py",
        "stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'\n",
    );
    none(
        "a.py",
        "OPENAI_API_KEY = \"sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n",
    );
    none("a.md", "token = ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    none(
        "a.js",
        "const taskId = 'task-123'; const disk = 'sk-1'; hf_hub_download(repo_id='x')\n",
    );
}

/// Shapes found on public repositories (an inference Helm chart, a model
/// serving operator, a notebook course) that are not secrets.
#[test]
fn names_made_up_values_and_expressions_are_not_secrets() {
    // A key's name, not its value (secretKeyRef, generated API models).
    none(
        "chart/templates/d.yaml",
        "          secretKey: vllmApiKey\n          secretKey: servingEngineSpec-apikey\n",
    );
    none(
        "models/pod_spec.py",
        "    'automount_service_account_token': 'automountServiceAccountToken',\n",
    );
    none(
        "constants.go",
        "\tLoggerDefaultStorageKey = \"credentials\"\n\tstorageKey := \"my-s3-credentials\"\n",
    );
    // Words: a textual-inversion token, a fill-mask prediction.
    none(
        "a.py",
        "pipe.load_textual_inversion(\"x/y\", token=\"EasyNegative\")\n",
    );
    none(
        "a.py",
        "{'score': 0.49, 'token': 7200, 'token_str': 'délicieux'}\n",
    );
    // Made of sequences and filler words.
    none(
        "test_log.py",
        "{\"x-api-key\": \"sk-1234567890\"}\n\"X-API-Key\": \"sk-abc123\",\n",
    );
    none(
        "values.yaml",
        "vllmApiKey: \"abc123XYZ987\"\nkey_id: \"abc123def456\"\n",
    );
    none(
        "t.tfvars.template",
        "grafana_admin_password = \"admin1234\"\n",
    );
    none(
        "secret.json",
        "\"secret_access_key\": \"s3admin123\",\n\"secret_access_key\": \"THEPASSWORD\",\n",
    );
    // base64 of "password".
    none("azure.json", "{\"clientSecret\": \"cGFzc3dvcmQ=\"}\n");
    // An HCL expression.
    none(
        "providers.tf",
        "provider \"google\" {\n  credentials = file(var.credentials_file)\n}\n",
    );
    // Local test credentials of a MinIO in a Kubernetes Secret.
    none(
        "s3_secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s3\ndata:\n  AWS_ACCESS_KEY_ID: bWluaW8=\n  AWS_SECRET_ACCESS_KEY: bWluaW8xMjM=\nstringData:\n  accesskey: s3admin\n  secretkey: s3admin123\n",
    );
    // "machine" and "password" in the same file are not a netrc entry.
    none(
        "storage.py",
        "# runs on any machine\nif secure: pass\nconfig.password = porcelain.clone(uri, out_dir)\n",
    );
    // A lazy-import table, and labels in a minified UI bundle.
    none(
        "__init__.py",
        "_LAZY = {\"ApiToken\": \"._internal.cloud.api_token:ApiToken\"}\n",
    );
    none(
        "swagger-ui-bundle.js",
        "We.createElement(\"label\",{htmlFor:\"auth_password\"},\"Password:\"),U?We.createElement(\"code\",null,\" ****** \"):We.cr",
    );
    // ...and the real ones next to them still are.
    one(
        "cred.json",
        "{\"client_secret\": \"d-FL95Q19q7MQmHD0TyFpd7h\"}\n",
        checks::SECRET_GENERIC,
    );
    one("a.yaml", "password: Zq8xLm2pR7vT\n", checks::SECRET_GENERIC);
    one("a.py", "token = \"QwErTy7uIoPa\"\n", checks::SECRET_GENERIC);
    one(
        "build.sh",
        "echo \"machine github.com login bot password Zq8xLm2pR7vT\" > ~/.netrc\n",
        checks::SECRET_NETRC,
    );
}

#[test]
fn a_five_megabyte_line_is_fast() {
    let mut text = String::with_capacity(5 << 20);
    while text.len() < 5 << 20 {
        text.push_str("var a=function(b){return b.key+b.token+'sk-'+\"password\"};");
    }
    text.push_str(&format!(
        "var t='{}';",
        k(&["ghp_", "R4nd0mT0k3nV4lu3Abcdefghijklmnop1234"])
    ));
    let start = std::time::Instant::now();
    let hits = find_in_file("bundle.min.js", &text);
    let took = start.elapsed();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].line, 1);
    // Unoptimised test build: the release plugin is many times faster.
    assert!(took.as_secs_f64() < 10.0, "{took:?}");
}

#[test]
fn find_in_text_is_usable_on_decoded_strings() {
    let hits = find_in_text(&format!(
        "import os\nos.environ['HF_TOKEN'] = '{}'\n",
        k(&["hf_", "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"])
    ));
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].check, hits[0].line),
        (checks::SECRET_HUGGINGFACE, 2)
    );
    assert!(!hits[0].evidence.contains("AbCdEf"));
}

/// Native throughput on a tree: `SECRETS_TREE=DIR cargo test --release
/// -p aicomply-plugin-code throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let Ok(dir) = std::env::var("SECRETS_TREE") else {
        return;
    };
    let mut options = aicomply_sdk::fs::WalkOptions::default();
    options
        .exclude
        .extend(["target".to_string(), "secrets-planted".to_string()]);
    let walk = aicomply_sdk::fs::walk(Path::new(&dir), &options);
    let mut texts = Vec::new();
    for e in &walk.files {
        let b = std::fs::read(&e.path).unwrap();
        texts.push((e.relative.clone(), b));
    }
    let total: usize = texts.iter().map(|(_, b)| b.len()).sum();
    let start = std::time::Instant::now();
    let mut hits = 0;
    let (mut t_dec, mut t_find) = (0.0, 0.0);
    for (rel, b) in &texts {
        let s = std::time::Instant::now();
        let Some(text) = decode::decode(b) else {
            continue;
        };
        t_dec += s.elapsed().as_secs_f64();
        let s = std::time::Instant::now();
        let found = find_in_file(rel, &text);
        if std::env::var("SECRETS_PRINT").is_ok() {
            for h in &found {
                println!("{rel}:{} {} {}", h.line, h.check, h.evidence);
            }
        }
        hits += found.len();
        t_find += s.elapsed().as_secs_f64();
    }
    let took = start.elapsed().as_secs_f64();
    let s = std::time::Instant::now();
    let mut n = 0;
    for (_, b) in &texts {
        if let Some(t) = decode::decode(b) {
            n += engine::engine().find(&t, Kind::Code, false).len();
        }
    }
    println!("engine only {:.2} s ({n})", s.elapsed().as_secs_f64());
    let s = std::time::Instant::now();
    let mut raw = Vec::new();
    for (_, b) in &texts {
        if let Some(t) = decode::decode(b) {
            structured::concatenations(&t, &mut raw);
        }
    }
    println!("concatenations only {:.2} s", s.elapsed().as_secs_f64());
    println!(
        "{} MB in {took:.2} s = {:.0} MB/s, {hits} hits (decode {t_dec:.2} s, find {t_find:.2} s)",
        total / 1_000_000,
        total as f64 / 1e6 / took
    );
}
