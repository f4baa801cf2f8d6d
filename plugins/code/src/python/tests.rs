use super::*;

fn issues(src: &str) -> Vec<(Kind, u32)> {
    Analyzer::new()
        .analyze(src, "t.py")
        .unwrap()
        .into_iter()
        .map(|i| (i.kind, i.line))
        .collect()
}

use Kind::*;

#[test]
fn python_aliases_and_from_imports_resolve() {
    let src = "import torch as t\nfrom pickle import loads as l\nimport yaml\n\
t.load('m.pt')\nl(b'')\nfrom joblib import load\nload('x.pkl')\nimport cPickle\ncPickle.load(f)\n";
    assert_eq!(
        issues(src),
        vec![
            (TorchLoad, 4),
            (UnsafeDeserialization, 5),
            (UnsafeDeserialization, 7),
            (UnsafeDeserialization, 9)
        ]
    );
}

#[test]
fn python_torch_load_weights_only() {
    let src = "import torch\ntorch.load('a', weights_only=True)\ntorch.load('a', weights_only=False)\ntorch.load('a')\ntorch.load('a', weights_only=flag)\n";
    assert_eq!(
        issues(src),
        vec![(TorchLoad, 3), (TorchLoad, 4), (TorchLoad, 5)]
    );
}

#[test]
fn python_yaml_loaders() {
    let src = "import yaml\nfrom yaml import SafeLoader, FullLoader\n\
yaml.load(f, Loader=yaml.SafeLoader)\n\
yaml.load(f, Loader=SafeLoader)\n\
yaml.load(f, yaml.CSafeLoader)\n\
yaml.load(f)\n\
yaml.load(f, Loader=yaml.Loader)\n\
yaml.load(f, Loader=yaml.UnsafeLoader)\n\
yaml.load(f, Loader=FullLoader)\n\
yaml.unsafe_load(f)\n\
yaml.safe_load(f)\n\
class L(yaml.SafeLoader):\n    pass\n\
yaml.load(f, Loader=L)\n\
class U(yaml.FullLoader):\n    pass\n\
yaml.load(f, Loader=U)\n";
    assert_eq!(
        issues(src),
        vec![
            (YamlLoad, 6),
            (YamlLoad, 7),
            (YamlLoad, 8),
            (YamlLoad, 9),
            (YamlLoad, 10),
            (YamlLoad, 17)
        ]
    );
}

#[test]
fn python_shell_tls_and_debug() {
    let src = "import subprocess, os, requests\nfrom flask import Flask\nimport uvicorn\n\
subprocess.run(cmd, shell=True)\n\
subprocess.run(['ls'], shell=False)\n\
os.system('ls ' + d)\n\
requests.get(u, verify=False)\n\
requests.get(u, verify='/ca.pem')\n\
s = requests.Session()\n\
s.get(u, verify=False)\n\
s.verify = False\n\
app = Flask(__name__)\n\
app.run(debug=True, host='0.0.0.0')\n\
app.run(debug=True)\n\
app.run(host='0.0.0.0')\n\
uvicorn.run('m:app', host='0.0.0.0', reload=True)\n\
uvicorn.run('m:app', host='127.0.0.1', reload=True)\n";
    assert_eq!(
        issues(src),
        vec![
            (Shell, 4),
            (Shell, 6),
            (TlsVerify, 7),
            (TlsVerify, 10),
            (TlsVerify, 11),
            (DebugExposed, 13),
            (DebugExposed, 16)
        ]
    );
}

#[test]
fn python_false_positive_traps() {
    let src = "import json\n\
class Store:\n    def load(self, f):\n        return json.load(f)\n\
store = Store()\nstore.load(f)\nmodel.load('x')\n\
x = 'eval(payload)'  # eval(y) pickle.load(f)\n\
def f(pickle):\n    return pickle.load(b)\n\
def eval(s):\n    return s\n\
eval('1')\n\
from ruamel.yaml import YAML\nyaml = YAML()\nyaml.load(f)\n\
def g():\n    import torch\n    return torch.load('m', weights_only=True)\n";
    assert_eq!(issues(src), vec![]);
}

#[test]
fn python_eval_exec_and_trust_remote_code() {
    let src = "from transformers import AutoModel\nAutoModel.from_pretrained('x', trust_remote_code=True)\n\
AutoModel.from_pretrained('x', trust_remote_code=False)\neval(user)\nexec(code)\nimport builtins\nbuiltins.eval(s)\n";
    assert_eq!(
        issues(src),
        vec![(TrustRemoteCode, 2), (Eval, 4), (Eval, 5), (Eval, 7)]
    );
}

#[test]
fn python_2_and_syntax_errors_are_incomplete_not_passed() {
    let mut scan = Scan::new(catalogue());
    assert!(scan_file("old.py", "print 'hello'\n", &mut scan));
    finish(&mut scan, 1);
    assert_eq!(scan.diagnostics().len(), 1);
    assert!(
        scan.diagnostics()[0]
            .message
            .contains("not parsed as Python 3"),
        "{:?}",
        scan.diagnostics()
    );
    for check in CHECKS {
        assert!(scan.incomplete_checks().contains_key(*check));
    }
}

#[test]
fn python_deep_nesting_is_refused_not_a_crash() {
    let deep = format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
    assert!(Analyzer::new().analyze(&deep, "d.py").is_err());
    let chain = format!("x = 1{}\n", " + 1".repeat(50_000));
    assert!(Analyzer::new().analyze(&chain, "c.py").is_err());
    // Within the limits: parsed, walked and dropped (also a flat list of
    // negative numbers longer than the limit).
    const MAX: usize = 600;
    let flat = format!("x = [{}]\n", "-1, ".repeat(50_000));
    assert!(Analyzer::new().analyze(&flat, "f.py").is_ok());
    let ok = format!("x = 1{}\n", " + 1".repeat(MAX - 1));
    assert!(Analyzer::new().analyze(&ok, "c.py").is_ok());
    let elifs = format!("if a:\n    pass\n{}", "elif a:\n    pass\n".repeat(5000));
    assert!(Analyzer::new().analyze(&elifs, "e.py").is_ok());
    let blocks: String = (0..100)
        .map(|i| format!("{}if a:\n", "    ".repeat(i)))
        .collect::<String>()
        + &"    ".repeat(100)
        + "x = 1"
        + &" + 1".repeat(10)
        + "\n";
    assert!(Analyzer::new().analyze(&blocks, "b.py").is_err());
    let blocks: String = (0..100)
        .map(|i| format!("{}if a:\n", "    ".repeat(i)))
        .collect::<String>()
        + &"    ".repeat(100)
        + "pass\n";
    assert!(Analyzer::new().analyze(&blocks, "b.py").is_ok());
}

#[test]
fn python_shebang_scripts_are_python() {
    assert!(is_python(
        "bin/serve",
        "#!/usr/bin/env python3\nimport os\n"
    ));
    assert!(!is_python("bin/run", "#!/bin/sh\n"));
    assert!(!is_python("README.md", "#!python\n"));
}

/// Every file under a fixture tree through `scan_one`; the findings and
/// diagnostics as `CHECK path line` lines, sorted, against the tree's
/// `expected-findings.txt`.
pub(crate) fn assert_fixture(
    tree: &str,
    catalogue: Vec<aicomply_sdk::Check>,
    scan_one: &dyn Fn(&str, &str, &mut Scan) -> bool,
) -> usize {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(tree);
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut scan = Scan::new(catalogue);
    let mut seen = 0;
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = aicomply_sdk::text::decode(&std::fs::read(f).unwrap());
        if scan_one(&rel, &text, &mut scan) {
            seen += 1;
        }
    }
    let mut got: Vec<String> = scan
        .findings()
        .iter()
        .map(|f| {
            let l = f.location.as_ref().unwrap();
            format!("{} {} {}", f.check_id, l.path, l.line.unwrap_or(0))
        })
        .chain(scan.diagnostics().iter().map(|d| {
            format!(
                "DIAGNOSTIC {} {}",
                d.location.path,
                d.location.line.unwrap_or(0)
            )
        }))
        .collect();
    got.sort();
    let mut want: Vec<String> = std::fs::read_to_string(root.join("expected-findings.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    want.sort();
    let show = |v: &[String]| v.join("\n  ");
    assert_eq!(
        got,
        want,
        "{tree}: findings differ\n got:\n  {}\n want:\n  {}\n messages:\n  {}",
        show(&got),
        show(&want),
        scan.findings()
            .iter()
            .map(|f| format!(
                "{} {:?}",
                f.message,
                f.location.as_ref().and_then(|l| l.line)
            ))
            .collect::<Vec<_>>()
            .join("\n  ")
            + "\n  "
            + &scan
                .diagnostics()
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("\n  ")
    );
    seen
}

#[test]
fn python_fixture_trees() {
    for tree in ["python-insecure", "python-hardened", "python-tricky"] {
        let seen = assert_fixture(tree, catalogue(), &|rel, text, scan| {
            scan_file(rel, text, scan)
        });
        assert!(seen >= 2, "{tree}: {seen} Python files");
    }
}

#[test]
fn python_scan_path_reads_scripts_by_shebang_only() {
    let dir = std::env::temp_dir().join(format!("aicomply-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("tool"),
        "#!/usr/bin/python3\nimport pickle\npickle.loads(b)\n",
    )
    .unwrap();
    std::fs::write(dir.join("run"), "#!/bin/sh\neval \"$x\"\n").unwrap();
    std::fs::write(dir.join("m.py"), "\u{feff}import os\nos.system(c)\n").unwrap();
    let mut scan = Scan::new(catalogue());
    assert!(scan_path(&dir.join("tool"), "tool", &mut scan));
    assert!(!scan_path(&dir.join("run"), "run", &mut scan));
    assert!(scan_path(&dir.join("m.py"), "m.py", &mut scan));
    assert!(!scan_path(&dir.join("tool"), "README.md", &mut scan));
    let got: Vec<(&str, u32)> = scan
        .findings()
        .iter()
        .map(|f| {
            (
                f.check_id.as_str(),
                f.location.as_ref().unwrap().line.unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [(UNSAFE_DESERIALIZATION, 3), (SHELL, 2)]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn python_crlf_positional_and_unpickler() {
    let src = "import pickle\r\nfrom flask import Flask\r\napp = Flask(__name__)\r\npickle.Unpickler(f).load()\r\napp.run('0.0.0.0', 5000, True)\r\n";
    assert_eq!(
        issues(src),
        vec![(UnsafeDeserialization, 4), (DebugExposed, 5)]
    );
}

#[test]
fn python_and_notebook_catalogues_are_complete_and_distinct() {
    let mut all = catalogue();
    all.extend(crate::notebooks::catalogue());
    let mut ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "duplicate ids");
    for c in &all {
        assert!(
            !c.remediation.is_empty() && !c.references.is_empty() && !c.title.is_empty(),
            "{}",
            c.id
        );
        let want = if c.id.starts_with("CODE-PY-") {
            "CODE-1"
        } else {
            "CODE-2"
        };
        assert_eq!(c.control, want, "{}", c.id);
    }
    assert_eq!(CHECKS.len(), catalogue().len());
    assert_eq!(
        crate::notebooks::checks().len(),
        crate::notebooks::catalogue().len()
    );
    // Not among the plugin's other checks (once wired, each is there once).
    let other = crate::checks::catalogue();
    for id in &ids {
        assert!(other.iter().filter(|c| c.id == *id).count() <= 1, "{id}");
    }
    assert!(other.iter().all(|c| ids.contains(&c.id.as_str())
        || !(c.id.starts_with("CODE-PY-") || c.id.starts_with("CODE-NB-"))));
}

#[test]
fn python_modern_syntax() {
    // 3.10 match, 3.11 except*, 3.12 type parameters and aliases: parsed.
    let src = "match x:\n    case {'a': 1}:\n        eval(y)\ntry:\n    pass\nexcept* ValueError:\n    pass\ndef f[T](a: T) -> T:\n    return a\ntype A = list[int]\n";
    assert_eq!(issues(src), vec![(Eval, 3)]);
}

#[test]
fn python_calls_in_keywords_comprehensions_defaults_and_decorators() {
    let src = "import pickle, torch\n\
model.load_state_dict(state_dict=torch.load(p))\n\
objs = [pickle.loads(b) for b in blobs if eval(b)]\n\
def f(x=pickle.loads(d)):\n    pass\n\
@register(loader=pickle.load)\ndef g():\n    pass\n\
lam = lambda b: pickle.loads(b)\n\
d = {k: torch.load(k) for k in ks}\n";
    assert_eq!(
        issues(src),
        vec![
            (TorchLoad, 2),
            (UnsafeDeserialization, 3),
            (Eval, 3),
            (UnsafeDeserialization, 4),
            (UnsafeDeserialization, 9),
            (TorchLoad, 10)
        ]
    );
}
