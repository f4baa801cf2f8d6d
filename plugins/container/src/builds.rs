//! Images the repository builds itself, from the commands that build them
//! (`docker build -t acme/base .` in a Makefile, a script or a CI step;
//! `docker tag`). A Dockerfile whose base is one of them is built on a local
//! image: it is not "unpinned from a registry", and the base's own
//! Dockerfile is where its base is judged.
//!
//! Commands are recognised as commands (a build verb, then its flags), never
//! from a word inside a name: `docker buildx` alone builds nothing.

use std::collections::BTreeMap;

use crate::dockerfile::image_parts;

/// Where the repository builds each image: repository name (registry and
/// path, no tag) → `path:line` of the first command that builds or tags it.
#[derive(Debug, Default)]
pub struct LocalImages {
    built: BTreeMap<String, String>,
}

/// Build scripts: Makefiles, shell scripts, justfiles.
pub fn is_build_script(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "makefile" | "gnumakefile" | "justfile")
        || lower.ends_with(".mk")
        || lower.ends_with(".sh")
        || lower.ends_with(".bash")
}

/// The build verbs, as the words that start them.
const BUILDERS: &[&[&str]] = &[
    &["docker", "build"],
    &["docker", "image", "build"],
    &["docker", "buildx", "build"],
    &["docker", "builder", "build"],
    &["podman", "build"],
    &["podman", "image", "build"],
    &["buildah", "bud"],
    &["buildah", "build"],
    &["nerdctl", "build"],
];

impl LocalImages {
    /// Read the build commands of one file (a script, a Makefile, a CI file).
    pub fn read(&mut self, path: &str, text: &str) {
        for (line_no, line) in logical_lines(text) {
            let words: Vec<String> = shell_words(&line);
            for start in 0..words.len() {
                let rest = &words[start..];
                if let Some(builder) = BUILDERS.iter().find(|b| starts_with_words(rest, b)) {
                    for tag in tags(&rest[builder.len()..]) {
                        self.add(&tag, path, line_no);
                    }
                }
                // `docker tag SOURCE TARGET` names TARGET locally.
                if starts_with_words(rest, &["docker", "tag"])
                    || starts_with_words(rest, &["docker", "image", "tag"])
                    || starts_with_words(rest, &["podman", "tag"])
                {
                    let skip = if rest[1] == "image" { 3 } else { 2 };
                    let args: Vec<&String> = rest[skip..]
                        .iter()
                        .filter(|w| !w.starts_with('-'))
                        .collect();
                    if let Some(target) = args.get(1) {
                        self.add(target, path, line_no);
                    }
                }
            }
        }
    }

    fn add(&mut self, image: &str, path: &str, line: u32) {
        let repo = repository(image);
        if repo.is_empty() || repo.starts_with('$') {
            return;
        }
        self.built
            .entry(repo)
            .or_insert_with(|| format!("{path}:{line}"));
    }

    /// Where the repository builds `image` (any tag of it), if it does.
    pub fn built_at(&self, image: &str) -> Option<&str> {
        self.built.get(&repository(image)).map(String::as_str)
    }
}

/// The repository part of an image reference, lower-cased, with Docker
/// Hub's implicit `docker.io/` and `library/` taken off.
fn repository(image: &str) -> String {
    let (name, _, _) = image_parts(image.trim_matches(|c| c == '"' || c == '\''));
    let name = name.to_ascii_lowercase();
    let name = name.strip_prefix("docker.io/").unwrap_or(&name);
    let name = name.strip_prefix("library/").unwrap_or(name);
    name.to_string()
}

fn starts_with_words(words: &[String], verb: &[&str]) -> bool {
    words.len() >= verb.len() && words.iter().zip(verb).all(|(w, v)| w == v)
}

/// The `-t`/`--tag` values of a build command's arguments, up to the end
/// of the command (`&&`, `;`, `|`).
fn tags(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let w = args[i].as_str();
        if matches!(w, "&&" | "||" | ";" | "|") {
            break;
        }
        if w == "-t" || w == "--tag" {
            if let Some(v) = args.get(i + 1) {
                out.push(v.clone());
            }
            i += 2;
            continue;
        }
        if let Some(v) = w.strip_prefix("--tag=").or_else(|| w.strip_prefix("-t=")) {
            out.push(v.to_string());
        } else if let Some(v) = w.strip_prefix("-t").filter(|v| !v.is_empty()) {
            out.push(v.to_string());
        }
        i += 1;
    }
    out
}

/// Lines with backslash continuations joined, numbered by their first line;
/// comment lines dropped.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if current.is_none() && line.starts_with('#') {
            continue;
        }
        let (body, continues) = match line.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (line, false),
        };
        let entry = current.get_or_insert_with(|| (i as u32 + 1, String::new()));
        entry.1.push(' ');
        entry.1.push_str(body);
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

/// Split a line into words: whitespace-separated, quotes removed, shell
/// operators as words of their own. (A YAML `run: docker build ...` line
/// starts with `run:`, which is a word like any other.)
fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => flush(&mut word, &mut out),
            (None, ';') => {
                flush(&mut word, &mut out);
                out.push(";".into());
            }
            (None, '&' | '|') => {
                flush(&mut word, &mut out);
                let doubled = chars.peek() == Some(&c);
                if doubled {
                    chars.next();
                }
                out.push(if doubled {
                    format!("{c}{c}")
                } else {
                    c.to_string()
                });
            }
            (None, c) => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_commands_name_the_images_they_build() {
        let mut local = LocalImages::default();
        local.read(
            "Makefile",
            "# docker build -t commented/out .\nbase:\n\tdocker build -t ghcr.io/acme/base:$(VERSION) -f images/base/Dockerfile .\napi: base\n\tdocker buildx build \\\n\t  --platform linux/amd64 \\\n\t  --tag=acme/api:dev images/api && docker push acme/api:dev\n",
        );
        local.read(
            "scripts/tag.sh",
            "docker tag acme/api:dev registry.local:5000/acme/api:dev\n",
        );
        local.read(
            ".github/workflows/ci.yml",
            "      - name: Set up Docker Buildx\n        uses: docker/setup-buildx-action@v3\n      - run: podman build -t \"localhost/tools:1\" tools\n",
        );
        assert_eq!(local.built_at("ghcr.io/acme/base:1.2"), Some("Makefile:3"));
        assert_eq!(local.built_at("acme/api"), Some("Makefile:5"));
        assert_eq!(
            local.built_at("docker.io/acme/api:latest"),
            Some("Makefile:5")
        );
        assert_eq!(
            local.built_at("registry.local:5000/acme/api:x"),
            Some("scripts/tag.sh:1")
        );
        assert_eq!(
            local.built_at("localhost/tools:1"),
            Some(".github/workflows/ci.yml:3")
        );
        assert_eq!(local.built_at("commented/out"), None);
        assert_eq!(local.built_at("python:3.12"), None);
    }
}
