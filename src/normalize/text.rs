//! The one normalisation every header cell and value goes through (NFKC, then
//! trim), with a fast path because it runs on every field of millions of rows.

use std::borrow::Cow;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// NFKC-normalise, then trim white space. ASCII text is already NFKC, so the
/// common case borrows and allocates nothing.
pub fn nfkc_trim(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(s.trim());
    }
    let n: String = s.nfkc().collect();
    let t = n.trim();
    if t.len() == n.len() {
        Cow::Owned(n)
    } else {
        Cow::Owned(t.to_string())
    }
}

/// The contract's "empty" words (§2.2), compared in any case, after `nfkc_trim`.
pub fn is_empty_value(normalized: &str) -> bool {
    match normalized.len() {
        0 => true,
        1 => normalized == "-" || normalized == "/",
        2 => normalized == "--",
        3 => normalized == "无" || normalized.eq_ignore_ascii_case("n/a"),
        4 => normalized.eq_ignore_ascii_case("null"),
        _ => false,
    }
}

/// `nfkc_trim`, then `None` for an empty word.
pub fn value(s: &str) -> Option<Cow<'_, str>> {
    let v = nfkc_trim(s);
    if is_empty_value(&v) {
        None
    } else {
        Some(v)
    }
}

/// Han ideographs (CJK unified, extension A–F, compatibility): what the case
/// number grammar calls a "Han character".
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x30000..=0x3134F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_letters_digits_and_spaces_become_half_width() {
        assert_eq!(nfkc_trim("\u{3000}２０２３ＡＢ（元）\u{3000}"), "2023AB(元)");
    }

    #[test]
    fn empty_words_match_in_any_case() {
        for w in ["", "-", "--", "/", "无", "null", "NULL", "N/A", "n/a"] {
            assert!(is_empty_value(w), "{w:?}");
        }
        for w in ["0", "否", "nul", "---"] {
            assert!(!is_empty_value(w), "{w:?}");
        }
        assert!(value("　ＮＵＬＬ ").is_none());
    }
}
