use super::*;

fn nb_scan() -> Scan {
    let mut cat = catalogue();
    cat.extend(python::catalogue());
    Scan::new(cat)
}

fn remote(cmd: &str) -> bool {
    judge_shell(cmd)
        .iter()
        .any(|i| matches!(i, ShellIssue::RemoteScript(_)))
}
fn unpinned(cmd: &str) -> bool {
    judge_shell(cmd)
        .iter()
        .any(|i| matches!(i, ShellIssue::Unpinned(_)))
}

#[test]
fn notebooks_shell_pipes_into_interpreters() {
    assert!(remote("curl -fsSL https://x.sh | sh"));
    assert!(remote("curl -s https://x | sudo -E bash -"));
    assert!(remote("wget -qO- https://x | python3"));
    assert!(remote("bash <(curl -s https://x)"));
    assert!(remote("sh -c \"$(curl -fsSL https://x)\""));
    assert!(remote("cd /tmp && curl https://x | /bin/bash"));
    assert!(!remote(
        "curl -o x.sh https://x && sha256sum -c x.sha && sh x.sh"
    ));
    assert!(!remote("curl https://x | tar xz"));
    assert!(!remote("echo 'curl x | sh'"));
    assert!(!remote("cat data | python script.py"));
}

#[test]
fn notebooks_unpinned_installs() {
    assert!(unpinned("pip install transformers"));
    assert!(unpinned("pip install -q torch>=2.0"));
    assert!(unpinned("pip install 'numpy==1.*'"));
    assert!(unpinned(
        "python -m pip install -U accelerate==0.30.1 datasets"
    ));
    assert!(unpinned(
        "pip install git+https://github.com/huggingface/transformers"
    ));
    assert!(unpinned("conda install -c conda-forge numpy"));
    assert!(unpinned(
        "pip install torch --index-url https://download.pytorch.org/whl/cu121"
    ));
    assert!(!unpinned(
        "pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121"
    ));
    assert!(!unpinned("pip install -r requirements.txt"));
    assert!(!unpinned("pip install -e ."));
    assert!(!unpinned("pip install ./dist/pkg-1.0-py3-none-any.whl"));
    assert!(!unpinned(
        "pip install \"pkg @ git+https://github.com/o/r.git@0123456789abcdef0123456789abcdef01234567\""
    ));
    assert!(!unpinned("pip install $PKG"));
    assert!(!unpinned("conda install numpy=1.26.4"));
    assert!(!unpinned("pip list"));
    assert!(!unpinned("echo pip install x"));
}

#[test]
fn notebooks_magics_keep_line_numbers() {
    let lines = [
        "import os",
        "!pip install x",
        "if True:",
        "    !curl -s u | sh",
        "files = !ls",
        "os?",
        "%matplotlib inline",
        "x = 1 != 2",
    ];
    let mut py = Vec::new();
    let mut sh = Vec::new();
    transform(&lines, 0, &mut py, &mut sh);
    assert_eq!(
        py,
        [
            "import os",
            "pass",
            "if True:",
            "    pass",
            "files = None",
            "pass",
            "pass",
            "x = 1 != 2"
        ]
    );
    assert_eq!(sh.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [1, 3, 4]);
}

#[test]
fn notebooks_ansi_codes_are_stripped() {
    assert_eq!(
        strip_ansi("\u{1b}[0;31mKeyError\u{1b}[0m: 'x'"),
        "KeyError: 'x'"
    );
    assert_eq!(strip_ansi("\u{1b}]8;;http://x\u{7}link"), "link");
}

/// A fake secrets engine: `TOKEN_` followed by letters is a secret.
fn fake(text: &str) -> Vec<SecretHit> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if let Some(col) = line.find("TOKEN_") {
            out.push(SecretHit {
                what: "fake token".into(),
                line: i as u32 + 1,
                column: line[..col].chars().count() as u32 + 1,
                evidence: "TOKE…".into(),
            });
        }
    }
    out
}

#[test]
fn notebooks_secrets_point_at_the_raw_line_of_each_place() {
    let nb = r#"{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {"tags": ["parameters"]},
   "outputs": [
    {"name": "stdout", "output_type": "stream", "text": ["ok\n", "key TOKEN_stream\n"]},
    {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["\u001b[0;31mTOKEN_\u001b[0mtrace"]},
    {"output_type": "execute_result", "data": {"text/plain": ["x\n", "TOKEN_plain"], "application/json": {"a": {"b": "TOKEN_json"}}, "text/html": ["<td>&quot;TOKEN_html&quot;</td>"]}, "metadata": {}, "execution_count": 1}
   ],
   "source": ["a = 1\n", "b = \"TOKEN_source\"\n"]
  },
  {"cell_type": "markdown", "metadata": {}, "source": "line one\nTOKEN_md"}
 ],
 "metadata": {"papermill": {"parameters": {"api_key": "TOKEN_param"}}},
 "nbformat": 4,
 "nbformat_minor": 5
}"#;
    let mut scan = nb_scan();
    let finder = SecretFinder {
        code: &fake,
        text: &fake,
    };
    assert!(scan_file_with("n.ipynb", nb, &mut scan, &finder));
    let got: Vec<(String, u32)> = scan
        .findings()
        .iter()
        .map(|f| {
            (
                f.check_id.clone(),
                f.location.as_ref().unwrap().line.unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u32)> = [
        (SECRET_SOURCE, 12),
        (SECRET_OUTPUT, 8),
        (SECRET_OUTPUT, 9),
        (SECRET_OUTPUT, 10),
        (SECRET_OUTPUT, 10),
        (SECRET_OUTPUT, 10),
        (SECRET_SOURCE, 14),
        (SECRET_METADATA, 16),
    ]
    .iter()
    .map(|(c, l)| (c.to_string(), *l))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn notebooks_with_the_real_secrets_engine() {
    let key = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
    let nb = format!(
        r#"{{"cells": [{{"cell_type": "code", "metadata": {{}}, "outputs": [], "source": ["import os\n", "token = \"{key}\"\n"]}}],
 "metadata": {{"papermill": {{"parameters": {{"gh": "{key}"}}}}}}, "nbformat": 4, "nbformat_minor": 5}}"#
    );
    let mut scan = nb_scan();
    assert!(scan_file("n.ipynb", &nb, &mut scan));
    let ids: Vec<&str> = scan
        .findings()
        .iter()
        .map(|f| f.check_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [SECRET_SOURCE, SECRET_METADATA],
        "{:#?}",
        scan.findings()
    );
    assert!(
        scan.findings()
            .iter()
            .all(|f| !f.evidence.as_deref().unwrap_or("").contains(&key[8..]))
    );
}

#[test]
fn notebooks_invalid_json_is_a_diagnostic_and_incomplete() {
    let mut scan = nb_scan();
    assert!(scan_file("bad.ipynb", "{\"cells\": [", &mut scan));
    assert_eq!(scan.diagnostics().len(), 1);
    assert!(scan.incomplete_checks().contains_key(TORCH_LOAD));
    assert!(!scan_file("x.json", "{}", &mut scan));
}

#[test]
fn notebooks_fixture_trees() {
    for tree in [
        "notebooks-insecure",
        "notebooks-hardened",
        "notebooks-tricky",
    ] {
        let mut cat = catalogue();
        cat.extend(python::catalogue());
        let seen = crate::python::tests::assert_fixture(tree, cat, &|rel, text, scan| {
            scan_file(rel, text, scan)
        });
        assert!(seen >= 2, "{tree}: {seen} notebooks");
    }
}

#[test]
fn notebooks_shell_run_from_python_is_judged_as_shell() {
    let nb = r#"{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": [
"import os\n",
"os.system(\"curl -s https://x | sh\")\n",
"get_ipython().system('wget -qO- https://y | bash')\n",
"get_ipython().run_line_magic('pip', 'install torch')\n",
"get_ipython().run_cell_magic('bash', '', 'pip install numpy==1.26.4\\ncurl https://z | sh\\n')\n"
]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#;
    let mut scan = nb_scan();
    assert!(scan_file_with(
        "j.ipynb",
        nb,
        &mut scan,
        &SecretFinder {
            code: &fake,
            text: &fake
        }
    ));
    let mut got: Vec<(String, u32)> = scan
        .findings()
        .iter()
        .map(|f| {
            (
                f.check_id.clone(),
                f.location.as_ref().unwrap().line.unwrap(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, u32)> = [
        // The constant os.system command is judged as the shell command
        // it is; being constant, it is no injection.
        (REMOTE_SCRIPT, 3),
        (REMOTE_SCRIPT, 4),
        (UNPINNED_INSTALL, 5),
        (REMOTE_SCRIPT, 6),
    ]
    .iter()
    .map(|(c, l)| (c.to_string(), *l))
    .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn notebooks_ipython_syntax_parses() {
    // Top-level await, help, line magics with arguments, `!!`, shell
    // assignment, an indented magic in a block, CRLF line ends.
    let cells = [
        "import asyncio\r\nawait asyncio.sleep(0)\r\n",
        "%load_ext autoreload\n%autoreload 2\n%env HF_HOME=/tmp/hf\n%cd /data\n??torch\nlen?\n",
        "for p in paths:\n    !echo {p}\n    %time f(p)\n",
        "out = !!ls\nx, y = 1, 2\nflag = x != y\n",
    ];
    let sources: Vec<String> = cells
        .iter()
        .map(|c| {
            let lines: Vec<String> = c
                .split_inclusive('\n')
                .map(|l| serde_json::to_string(l).unwrap())
                .collect();
            format!(
                r#"{{"cell_type": "code", "metadata": {{}}, "outputs": [], "source": [{}]}}"#,
                lines.join(", ")
            )
        })
        .collect();
    let nb = format!(
        r#"{{"cells": [{}], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}"#,
        sources.join(", ")
    );
    let mut scan = nb_scan();
    assert!(scan_file_with(
        "i.ipynb",
        &nb,
        &mut scan,
        &SecretFinder {
            code: &fake,
            text: &fake
        }
    ));
    assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
    assert!(scan.findings().is_empty(), "{:?}", scan.findings());
}
