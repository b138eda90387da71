//! Personal data out of quarantined raw records (§5.1). A quarantined row
//! is shown as the statistician's clue to mend the export, so it keeps what
//! a reason can stand on (case numbers, dates, amounts, counts, methods) and
//! loses what identifies a person: party names hashed (or `[redacted]`
//! without a key), columns the contract does not name `[redacted]` unless
//! `raw_columns` keeps them, and in every field kept, identity numbers,
//! mobile numbers and e-mail addresses `[redacted]`.

use super::parties::{PartyHasher, REDACTED};
use crate::ingest::header::{normalize_cell, Column, HeaderMap};
use crate::ingest::records::Record;

/// The record's text with personal data taken out, and how many fields
/// lost something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub fields: u32,
}

/// What each field of a file's records is, for redaction: worked out once
/// per file from its header (a header word's normalisation is not cheap).
pub struct FieldKinds(Vec<Kind>);

impl FieldKinds {
    pub fn of(header: &HeaderMap, raw_columns: &[String]) -> FieldKinds {
        FieldKinds((0..header.width).map(|i| kind_of(i, header, raw_columns)).collect())
    }
}

/// What a field of a record is, for redaction.
#[derive(Clone, Copy)]
enum Kind {
    Party,
    Known,
    /// a column §2.1 does not name, and whether `raw_columns` keeps it
    Unknown {
        kept: bool,
    },
    /// a field of a `bad_shape` record: it cannot be told by its header
    Shapeless,
}

/// §5.1 on one quarantined record; `bad_shape` when its fields do not match
/// the header.
pub fn redact(rec: &Record, kinds: &FieldKinds, hasher: &PartyHasher, bad_shape: bool) -> Redacted {
    let mut out = String::with_capacity(rec.raw.len());
    let mut at = 0;
    let mut fields = 0;
    for (i, span) in rec.fields.iter().enumerate() {
        let (Some(raw), Some(value)) = (rec.raw.get(span.start..span.end), rec.field(i)) else { continue };
        if value.trim().is_empty() {
            continue;
        }
        let kind = if bad_shape { Kind::Shapeless } else { kinds.0.get(i).copied().unwrap_or(Kind::Shapeless) };
        let stand_in = match kind {
            Kind::Party => Some(hasher.hash(&value).unwrap_or_else(|| REDACTED.to_string())),
            Kind::Unknown { kept: false } => Some(REDACTED.to_string()),
            Kind::Shapeless if !reads_as_data(&value) => Some(REDACTED.to_string()),
            Kind::Known | Kind::Unknown { kept: true } | Kind::Shapeless => scrubbed(raw),
        };
        if let Some(s) = stand_in {
            out.push_str(&rec.raw[at..span.start]);
            out.push_str(&s);
            at = span.end;
            fields += 1;
        }
    }
    out.push_str(&rec.raw[at..]);
    Redacted { text: out, fields }
}

fn kind_of(i: usize, header: &HeaderMap, raw_columns: &[String]) -> Kind {
    match Column::ALL.into_iter().find(|c| header.get(*c) == Some(i)) {
        Some(Column::Applicant | Column::Respondent) => Kind::Party,
        Some(_) => Kind::Known,
        None => {
            let word = header.unknown_at.iter().position(|&k| k == i).and_then(|k| header.unknown.get(k)).map(|c| normalize_cell(c).0);
            Kind::Unknown { kept: word.is_some_and(|w| raw_columns.contains(&w)) }
        }
    }
}

/// A `raw_columns` entry as header cells are compared (§2.1's normalisation).
pub fn raw_column_word(word: &str) -> String {
    normalize_cell(word).0
}

/// A field of a shapeless record that reads as a case number, a date, an
/// amount, a whole number or a closure-method word: data, not a person.
fn reads_as_data(v: &str) -> bool {
    use super::values;
    let v = v.trim();
    // no case number, date, amount or count runs this long (the parsers
    // would normalise all of it first)
    if v.len() > 64 {
        return false;
    }
    // without a digit only a closure-method word can be data (the parsers
    // are tried only where they can succeed: a bad_shape record has many fields)
    if !v.bytes().any(|b| b.is_ascii_digit()) && !v.contains(|c: char| ('０'..='９').contains(&c)) {
        // an empty marker (无, -, /) is no one's data either
        return crate::text::value(v).is_none() || values::closure_method(v).is_some_and(|m| m != crate::domain::ClosureMethod::Other);
    }
    // plain digits (with a decimal point or thousands commas) are a number
    // or an amount: the commonest field of all, told without a parser
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') && v.bytes().filter(|&b| b == b'.').count() <= 1 {
        return true;
    }
    values::date_time(v).is_ok()
        || !matches!(values::case_number(v), values::CaseNumberParse::Bad)
        || values::amount(v, crate::domain::AmountUnit::Yuan).is_ok()
        || values::days(v).is_ok()
}

/// The field with each identity number, mobile number and e-mail address in
/// it replaced; `None` when it holds none.
pub fn scrubbed(field: &str) -> Option<String> {
    // most fields hold neither 11 ASCII digits, a full-width character nor an @
    let (digits, wide, at) =
        field.bytes().fold((0, false, false), |(d, w, a), b| (d + usize::from(b.is_ascii_digit()), w || b == 0xEF, a || b == b'@'));
    if digits < 11 && !wide && !at {
        return None;
    }
    let spans = personal_spans(field);
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(field.len());
    let mut at = 0;
    for (s, e) in spans {
        out.push_str(&field[at..s]);
        out.push_str(REDACTED);
        at = e;
    }
    out.push_str(&field[at..]);
    Some(out)
}

/// A digit, ASCII or full-width, as its value.
fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Byte spans of the identity numbers, mobile numbers and e-mail addresses
/// in `s`, in order, not overlapping.
fn personal_spans(s: &str) -> Vec<(usize, usize)> {
    let mut spans = number_spans(s);
    spans.extend(email_spans(s));
    spans.sort_unstable();
    // an address's digits may have been found as a number too: keep the first, widest
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a < last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Maximal runs of digits (with a trailing X for an identity number) that
/// read as an identity number (GB 11643: 18 characters with a valid check
/// character, or 15 digits) or a mobile number (11 digits, 13–19).
fn number_spans(s: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i].1).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && digit(chars[i].1).is_some() {
            i += 1;
        }
        let digits: Vec<u32> = chars[start..i].iter().filter_map(|c| digit(c.1)).collect();
        let x_follows = i < chars.len() && matches!(chars[i].1, 'X' | 'x' | 'Ｘ' | 'ｘ');
        let end_byte = |k: usize| chars.get(k).map_or(s.len(), |c| c.0);
        let found = if digits.len() == 17 && x_follows && check_character(&digits) == 10 {
            i += 1;
            true
        } else if digits.len() == 18 {
            check_character(&digits[..17]) == digits[17]
        } else {
            digits.len() == 15 || (digits.len() == 11 && digits[0] == 1 && (3..=9).contains(&digits[1]))
        };
        if found {
            out.push((chars[start].0, end_byte(i)));
        }
    }
    out
}

/// GB 11643's check character of the first 17 digits (10 stands for X).
fn check_character(d: &[u32]) -> u32 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [u32; 11] = [1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d.iter().zip(WEIGHTS).map(|(a, w)| a * w).sum();
    CHECK[(sum % 11) as usize]
}

/// `local@domain.tld` runs: a local part of letters, digits and `._%+-`,
/// a domain of letters, digits, `-` and dots ending in a dot and two letters.
fn email_spans(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let domain = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'.';
    let mut out = Vec::new();
    for (at, _) in s.match_indices('@') {
        let mut start = at;
        while start > 0 && local(b[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < b.len() && domain(b[end]) {
            end += 1;
        }
        while end > at + 1 && b[end - 1] == b'.' {
            end -= 1;
        }
        let host = &s[at + 1..end];
        let tld_ok =
            host.rsplit_once('.').is_some_and(|(name, tld)| !name.is_empty() && tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()));
        if start < at && tld_ok {
            out.push((start, end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_numbers_are_found_by_their_check_character() {
        // 11010519491231002X is the standard's own example
        assert_eq!(scrubbed("身份证11010519491231002X。").as_deref(), Some("身份证[redacted]。"));
        assert_eq!(scrubbed("130821198001019999 "), None, "a wrong check digit is not an identity number");
        let valid = "130821198001019995";
        assert_eq!(check_character(&valid.chars().take(17).filter_map(digit).collect::<Vec<_>>()), 5);
        assert_eq!(scrubbed(valid).as_deref(), Some("[redacted]"));
        assert_eq!(scrubbed("１３０８２１１９８００１０１９９９５").as_deref(), Some("[redacted]"), "full-width digits");
        assert_eq!(scrubbed("旧证130821800101999").as_deref(), Some("旧证[redacted]"), "15 digits");
        // a longer run of digits is neither
        assert_eq!(scrubbed("1308211980010199951"), None);
    }

    #[test]
    fn mobile_numbers_and_mail_addresses_are_found_and_dates_amounts_case_numbers_are_not() {
        assert_eq!(scrubbed("电话13812345678，邮箱 zhang.san+1@example.com.cn。").as_deref(), Some("电话[redacted]，邮箱 [redacted]。"));
        assert_eq!(scrubbed("12812345678"), None, "12 is no mobile prefix");
        for kept in ["（2023）冀0821执1234号", "2023-08-22", "20230822", "1234567.89", "执行完毕", "a@b", "x@localhost"] {
            assert_eq!(scrubbed(kept), None, "{kept}");
        }
    }

    #[test]
    fn shapeless_fields_are_kept_only_when_they_read_as_data() {
        for data in ["（2023）冀0821执1234号", "2023/8/22", "1,234.50", "15", "终本", "执行完毕"] {
            assert!(reads_as_data(data), "{data}");
        }
        for person in ["张三", "河北省承德县某某村3号", "承德华盛商贸有限公司", "zhang@example.com"] {
            assert!(!reads_as_data(person), "{person}");
        }
    }
}
