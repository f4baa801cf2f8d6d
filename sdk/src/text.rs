//! Text helpers: decoding file bytes and redacting secrets for evidence.

/// Decode file bytes as text: strips a UTF-8 byte-order mark, decodes UTF-8,
/// and falls back to Latin-1 for bytes that are not UTF-8 (so a config file
/// saved in a legacy encoding is still read rather than skipped).
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Redact a secret for use as evidence: at most the first four characters
/// of a long value stay visible, so an engineer can tell which credential it
/// is without the report becoming a copy of it.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let shown: String = if n >= 16 {
        secret.chars().take(4).collect()
    } else {
        String::new()
    };
    format!("{shown}…[redacted, {n} chars]")
}

/// Shorten `s` to at most `max` characters, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_strips_bom_and_reads_latin1() {
        assert_eq!(decode(b"\xEF\xBB\xBFFROM x"), "FROM x");
        assert_eq!(decode(b"caf\xe9"), "café");
    }

    #[test]
    fn redact_keeps_only_a_prefix_of_long_secrets() {
        let r = redact("hf_abcdefghijklmnopqrstuvwxyz0123456");
        assert!(r.starts_with("hf_a…"));
        assert!(!r.contains("bcdef"));
        assert_eq!(redact("hunter2"), "…[redacted, 7 chars]");
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("abcdef", 3), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
