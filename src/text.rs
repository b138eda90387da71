//! The one normalisation every header cell and value goes through (NFKC, then
//! trim), with a fast path because it runs on every field of millions of rows.

use std::borrow::Cow;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// True when every character is ASCII or a CJK Unified Ideograph
/// (U+4E00–U+9FFF): such text is already NFKC (none of them decomposes and
/// all have combining class 0). A byte scan, far cheaper than the quick
/// check's table lookups, and it covers nearly every field of an export.
fn is_ascii_or_cjk(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            i += 1;
        } else if (0xE5..=0xE9).contains(&c) || (c == 0xE4 && b.get(i + 1).is_some_and(|&n| n >= 0xB8)) {
            // a three-byte sequence in U+4E00..=U+9FFF (the text is valid UTF-8)
            i += 3;
        } else {
            return false;
        }
    }
    true
}

/// NFKC-normalise, then trim white space. Text of ASCII and common Han
/// characters is already NFKC, so the common case borrows and allocates
/// nothing.
pub fn nfkc_trim(s: &str) -> Cow<'_, str> {
    if is_ascii_or_cjk(s) {
        // no CJK ideograph is white space: only ASCII can be trimmed
        return Cow::Borrowed(trim_ascii_white(s));
    }
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
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

/// `str::trim` for text whose white space can only be ASCII: the bytes
/// U+0009–U+000D and U+0020 that `char::is_whitespace` calls white space
/// (`str::trim_ascii` keeps U+000B).
fn trim_ascii_white(s: &str) -> &str {
    let white = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ');
    let b = s.as_bytes();
    let start = b.iter().position(|c| !white(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !white(c)).map_or(start, |e| e + 1);
    // both cuts are next to ASCII bytes, so on character boundaries
    &s[start..end]
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
    fn the_byte_scan_agrees_with_real_nfkc() {
        for s in ["案号", "（2023）冀0821执1号", "abc 123", "一龥", "\u{4DFF}", "\u{A000}", "Ａ", "①", "\u{3000}", "丨", "é", "e\u{301}"]
        {
            if is_ascii_or_cjk(s) {
                assert_eq!(s.nfkc().collect::<String>(), s, "{s:?} claimed stable");
            }
        }
        assert!(is_ascii_or_cjk("执行完毕 2023-01-01"));
        assert!(!is_ascii_or_cjk("（"), "full-width brackets need NFKC");
        assert!(!is_ascii_or_cjk("\u{3000}"));
    }

    #[test]
    fn the_ascii_trim_is_the_unicode_trim_on_ascii_and_cjk_text() {
        for s in ["", " ", "\u{b}a\u{b}", "\t\r\n 执行 \x0c", "a b", "一", " 龥\n", "\u{1c}x\u{1f}"] {
            assert!(is_ascii_or_cjk(s), "{s:?}");
            assert_eq!(trim_ascii_white(s), s.trim(), "{s:?}");
        }
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

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn nfkc_trim_is_nfkc_then_unicode_trim(s in "[\\x00-\\x7f\u{4E00}-\u{9FFF}]{0,12}|\\PC{0,12}") {
            let full: String = s.nfkc().collect();
            let ours = nfkc_trim(&s);
            prop_assert_eq!(ours.as_ref(), full.trim());
        }
    }
}
