//! Parsers for every value format of the contract (§2.2). Each takes a value
//! already through `text::nfkc_trim` and answers `Err(Invalid)` for "invalid": the
//! caller turns that into the quarantine reason of the field it came from.

pub use crate::domain::AmountUnit;
use crate::domain::{CaseNumber, ClosureMethod, Code, Fen, TypeCode};
use crate::text::{is_han, value};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// A value that does not read as its field's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// What a case-number field turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseNumberParse {
    Enforcement(CaseNumber),
    /// a well-formed number whose type code does not start with 执
    NotEnforcement {
        court_code: String,
    },
    /// missing or malformed
    Bad,
}

fn is_open(c: char) -> bool {
    matches!(c, '(' | '（' | '〔' | '[' | '【' | '［')
}
fn is_close(c: char) -> bool {
    matches!(c, ')' | '）' | '〕' | ']' | '】' | '］')
}

/// Parses a case number: white space removed, any of the accepted year
/// brackets, then `YYYY` court code, optional specialised-trial code, type
/// code, sequence and 号.
pub fn case_number(raw: &str) -> CaseNumberParse {
    canonical_case_number(raw.as_bytes()).unwrap_or_else(|| case_number_general(raw))
}

/// The form exports nearly always use, read from the bytes: `（YYYY）`, a
/// common Han character, 0, 2 or 4 digits, one to four common Han
/// characters, digits, `号`, nothing else. In that form every character is
/// one `case_number_general` keeps as it is, and the reading below is
/// `parse_case_chars`' own; anything it does not take (`None`) goes the
/// general way (the property `the_canonical_reading_agrees_with_the_general_one`
/// holds both to one answer). A tenth of validation went to the general
/// path's character-by-character mapping.
fn canonical_case_number(b: &[u8]) -> Option<CaseNumberParse> {
    // U+4E00..=U+9FFF, three bytes, at the front of `b`
    fn common_han(b: &[u8]) -> Option<char> {
        let [x, y, z, ..] = *b else { return None };
        let c = (u32::from(x & 0x0F) << 12) | (u32::from(y & 0x3F) << 6) | u32::from(z & 0x3F);
        let well_formed = x & 0xF0 == 0xE0 && y & 0xC0 == 0x80 && z & 0xC0 == 0x80;
        (well_formed && (0x4E00..=0x9FFF).contains(&c)).then(|| char::from_u32(c)).flatten()
    }
    let digits = |b: &[u8]| b.iter().take_while(|d| d.is_ascii_digit()).count();
    let rest = b.strip_prefix("（".as_bytes())?;
    let (year_digits, rest) = rest.split_at_checked(4)?;
    if digits(year_digits) != 4 {
        return None;
    }
    let year = year_digits.iter().fold(0u16, |y, d| y * 10 + u16::from(d - b'0'));
    let mut rest = rest.strip_prefix("）".as_bytes())?.strip_suffix("号".as_bytes())?;
    let province = common_han(rest).filter(|&c| c != '执')?;
    rest = &rest[3..];
    let court_digits = digits(rest);
    if !matches!(court_digits, 0 | 2 | 4) {
        return None;
    }
    let mut court_code = Code::<8>::default();
    court_code.push(province)?;
    for &d in &rest[..court_digits] {
        court_code.push(char::from(d))?;
    }
    rest = &rest[court_digits..];
    let mut han = ['\0'; 4];
    let mut n = 0;
    while let Some(c) = common_han(rest) {
        if c == '号' || n == han.len() {
            return None;
        }
        han[n] = c;
        n += 1;
        rest = &rest[3..];
    }
    if rest.is_empty() || digits(rest) != rest.len() {
        return None;
    }
    let mut seq: u64 = 0;
    for &d in rest {
        seq = seq.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if seq > MAX_SEQ {
        return None;
    }
    let (special, type_chars) = split_special(&han[..n])?;
    if type_chars[0] != '执' {
        return Some(CaseNumberParse::NotEnforcement { court_code: court_code.as_str().to_string() });
    }
    let type_code = TypeCode::from_chars(type_chars.iter().copied())?;
    Some(CaseNumberParse::Enforcement(CaseNumber { year, court_code, special_code: special, type_code, seq }))
}

/// The largest sequence a case number may carry (§2.2: at most nine digits
/// once leading zeros are dropped), so that every reader holds it in 64 bits.
pub const MAX_SEQ: u64 = 999_999_999;

/// The years a date may fall in (§2.2): every date and every deadline (a
/// filing date plus at most 120 months and 20,000 days) then fits every
/// reader's calendar, pandas' nanosecond one included (it ends in 2262).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2099;

/// Any accepted form of a case number.
fn case_number_general(raw: &str) -> CaseNumberParse {
    // Fast path: full-width digits, brackets and spaces are mapped here
    // exactly as NFKC maps them; any other character outside ASCII and the
    // common Han block goes through real NFKC first.
    let mut buf = ['\0'; 48];
    let mut n = 0;
    for c in raw.chars() {
        let c = match c {
            '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (c as u32 - 0xFF10) as u8),
            '（' | '）' | '［' | '］' | '〔' | '〕' | '【' | '】' => c,
            c if c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '\u{3000}' => c,
            _ => return case_number_nfkc(raw),
        };
        if c.is_whitespace() {
            continue;
        }
        if n == buf.len() {
            return CaseNumberParse::Bad;
        }
        buf[n] = c;
        n += 1;
    }
    parse_case_chars(&buf[..n]).unwrap_or(CaseNumberParse::Bad)
}

fn case_number_nfkc(raw: &str) -> CaseNumberParse {
    let Some(v) = value(raw) else { return CaseNumberParse::Bad };
    let chars: Vec<char> = v.chars().filter(|c| !c.is_whitespace()).collect();
    parse_case_chars(&chars).unwrap_or(CaseNumberParse::Bad)
}

fn parse_case_chars(c: &[char]) -> Option<CaseNumberParse> {
    let mut i = 0;
    if !is_open(*c.first()?) {
        return None;
    }
    i += 1;
    let mut year: u16 = 0;
    for _ in 0..4 {
        let d = c.get(i)?.to_digit(10)?;
        year = year * 10 + d as u16;
        i += 1;
    }
    if !is_close(*c.get(i)?) {
        return None;
    }
    i += 1;
    // court code: one Han character other than 执, then 0, 2 or 4 digits
    let province = *c.get(i)?;
    if !is_han(province) || province == '执' {
        return None;
    }
    i += 1;
    let digits_start = i;
    while c.get(i).is_some_and(|d| d.is_ascii_digit()) {
        i += 1;
    }
    if !matches!(i - digits_start, 0 | 2 | 4) {
        return None;
    }
    let mut court_code = Code::<8>::default();
    for &ch in &c[digits_start - 1..i] {
        court_code.push(ch)?;
    }
    // the Han run holds the optional specialised-trial code and the type code
    let han_start = i;
    while c.get(i).is_some_and(|&h| is_han(h) && h != '号') {
        i += 1;
    }
    let han = &c[han_start..i];
    let seq_start = i;
    while c.get(i).is_some_and(|d| d.is_ascii_digit()) {
        i += 1;
    }
    let seq_digits = &c[seq_start..i];
    if seq_digits.is_empty() || c.get(i) != Some(&'号') || i + 1 != c.len() {
        return None;
    }
    let (special, type_chars) = split_special(han)?;
    let mut seq: u64 = 0;
    for d in seq_digits {
        seq = seq.checked_mul(10)?.checked_add(u64::from(d.to_digit(10)?))?;
    }
    if seq > MAX_SEQ {
        return None;
    }
    if type_chars[0] != '执' {
        return Some(CaseNumberParse::NotEnforcement { court_code: court_code.as_str().to_string() });
    }
    let type_code = TypeCode::from_chars(type_chars.iter().copied())?;
    Some(CaseNumberParse::Enforcement(CaseNumber { year, court_code, special_code: special, type_code, seq }))
}

/// Splits the Han run into (specialised-trial code, type code), preferring a
/// reading whose type code starts with 执 when the run allows both.
fn split_special(han: &[char]) -> Option<(Option<char>, &[char])> {
    match han.len() {
        0 => None,
        1..=3 if han[0] == '执' => Some((None, han)),
        2..=4 if han[1] == '执' => Some((Some(han[0]), &han[1..])),
        1..=3 => Some((None, han)),
        // the specialised-trial code is never 执
        4 if han[0] != '执' => Some((Some(han[0]), &han[1..])),
        _ => None,
    }
}

/// A date in one of the five forms, optionally followed by a time; the time,
/// when present, must itself be valid. Returns the date and the time of day
/// (midnight when absent).
pub fn date_time(v: &str) -> Result<NaiveDateTime, Invalid> {
    if let Some(dt) = iso_date_time(v.as_bytes()) {
        return Ok(dt);
    }
    let (date_part, time_part) = split_date_time(v);
    let date = date_only(date_part)?;
    let time = match time_part {
        None => NaiveTime::MIN,
        Some(t) => time_of_day(t)?,
    };
    Ok(NaiveDateTime::new(date, time))
}

/// The form nearly every export uses, `YYYY-MM-DD` with an optional
/// ` HH:MM` or ` HH:MM:SS`, read at fixed places: three dates per row made
/// the general path's splitting a tenth of validation. `None` for anything
/// else or any invalid value, which then takes the general path (the
/// property `the_iso_fast_path_agrees_with_the_general_one` holds both to
/// one answer).
fn iso_date_time(b: &[u8]) -> Option<NaiveDateTime> {
    let num =
        |r: std::ops::Range<usize>| -> Option<u32> { b[r].iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))) };
    if !matches!(b.len(), 10 | 16 | 19) || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(Some(num(0..4)? as i32).filter(|y| YEARS.contains(y))?, num(5..7)?, num(8..10)?)?;
    let time = match b.len() {
        10 => NaiveTime::MIN,
        _ if !matches!(b[10], b' ' | b'T') || b[13] != b':' => return None,
        16 => NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, 0)?,
        _ if b[16] != b':' => return None,
        _ => NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?,
    };
    Some(NaiveDateTime::new(date, time))
}

/// A raw field's date and time: `None` when it is empty (`value`), else
/// `date_time` of its value. The ISO form is read from the raw field
/// itself, being its own value (ASCII, digits at both ends, no empty word).
pub fn date_time_field(raw: &str) -> Option<Result<NaiveDateTime, Invalid>> {
    if let Some(dt) = iso_date_time(raw.as_bytes()) {
        return Some(Ok(dt));
    }
    value(raw).map(|v| date_time(&v))
}

/// A date; a trailing valid time is accepted and dropped.
pub fn date(v: &str) -> Result<NaiveDate, Invalid> {
    date_time(v).map(|dt| dt.date())
}

fn split_date_time(v: &str) -> (&str, Option<&str>) {
    if let Some(p) = v.find(['T', ' ']) {
        let (d, rest) = v.split_at(p);
        (d, Some(rest[1..].trim_start()))
    } else {
        (v, None)
    }
}

fn date_only(v: &str) -> Result<NaiveDate, Invalid> {
    let b = v.as_bytes();
    let (y, m, d) = if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        (&v[0..4], &v[4..6], &v[6..8])
    } else if let Some(rest) = v.strip_suffix('日') {
        let (y, rest) = rest.split_once('年').ok_or(Invalid)?;
        let (m, d) = rest.split_once('月').ok_or(Invalid)?;
        (y, m, d)
    } else {
        let sep = *b.get(4).ok_or(Invalid)?;
        if !matches!(sep, b'-' | b'/' | b'.') {
            return Err(Invalid);
        }
        let mut parts = v.split(sep as char);
        let (y, m, d) = (parts.next().ok_or(Invalid)?, parts.next().ok_or(Invalid)?, parts.next().ok_or(Invalid)?);
        if parts.next().is_some() {
            return Err(Invalid);
        }
        (y, m, d)
    };
    let year = digits(y, 4, 4)?;
    let month = digits(m, 1, 2)?;
    let day = digits(d, 1, 2)?;
    if !YEARS.contains(&(year as i32)) {
        return Err(Invalid);
    }
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or(Invalid)
}

fn time_of_day(t: &str) -> Result<NaiveTime, Invalid> {
    let mut parts = t.split(':');
    let h = digits(parts.next().ok_or(Invalid)?, 1, 2)?;
    let m = digits(parts.next().ok_or(Invalid)?, 2, 2)?;
    let s = match parts.next() {
        Some(s) => digits(s, 2, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return Err(Invalid);
    }
    NaiveTime::from_hms_opt(h, m, s).ok_or(Invalid)
}

fn digits(s: &str, min: usize, max: usize) -> Result<u32, Invalid> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid);
    }
    s.parse().map_err(|_| Invalid)
}

/// An amount in fen, exactly, rounded half away from zero from the decimal
/// text. `Ok(None)` is unknown (empty); a value suffix (万元, 万, 元) wins over
/// the header's unit.
pub fn amount(raw: &str, header_unit: AmountUnit) -> Result<Option<Fen>, Invalid> {
    // digits, points and commas are their own value and carry no unit suffix
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') {
        return decimal_to_scaled(raw, scale(header_unit)).map(|f| Some(Fen(f)));
    }
    let Some(v) = value(raw) else { return Ok(None) };
    let (num, unit) = if let Some(n) = v.strip_suffix("万元") {
        (n, AmountUnit::TenThousandYuan)
    } else if let Some(n) = v.strip_suffix('万') {
        (n, AmountUnit::TenThousandYuan)
    } else if let Some(n) = v.strip_suffix('元') {
        (n, AmountUnit::Yuan)
    } else {
        (&*v, header_unit)
    };
    decimal_to_scaled(num.trim_end(), scale(unit)).map(|f| Some(Fen(f)))
}

/// Decimal places from the unit to fen.
fn scale(unit: AmountUnit) -> u32 {
    match unit {
        AmountUnit::Yuan => 2,
        AmountUnit::TenThousandYuan => 6,
    }
}

/// `text × 10^scale`, rounded half away from zero, for unsigned decimal text
/// with optional thousands commas.
fn decimal_to_scaled(text: &str, scale: u32) -> Result<i64, Invalid> {
    let mut int_part: i64 = 0;
    let mut frac_digits = 0u32;
    let mut seen_point = false;
    let mut any_digit = false;
    let mut round_up = false;
    let mut rounding_decided = false;
    for b in text.bytes() {
        match b {
            b',' if !seen_point => {}
            b'.' if !seen_point => seen_point = true,
            b'0'..=b'9' => {
                any_digit = true;
                let d = i64::from(b - b'0');
                if !seen_point || frac_digits < scale {
                    int_part = int_part.checked_mul(10).and_then(|x| x.checked_add(d)).ok_or(Invalid)?;
                    if seen_point {
                        frac_digits += 1;
                    }
                } else if !rounding_decided {
                    round_up = d >= 5;
                    rounding_decided = true;
                }
            }
            _ => return Err(Invalid),
        }
    }
    if !any_digit {
        return Err(Invalid);
    }
    let mut v = int_part;
    for _ in frac_digits..scale {
        v = v.checked_mul(10).ok_or(Invalid)?;
    }
    if round_up {
        v = v.checked_add(1).ok_or(Invalid)?;
    }
    Ok(v)
}

/// A day count: a whole number ≥ 0; empty is 0.
pub fn days(raw: &str) -> Result<u32, Invalid> {
    // plain digits are their own value (nothing to normalise or trim, never
    // an empty word): read at once
    let b = raw.as_bytes();
    let n = if (1..=9).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    } else {
        let Some(v) = value(raw) else { return Ok(0) };
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid);
        }
        v.parse().map_err(|_| Invalid)?
    };
    if n > MAX_DAYS {
        return Err(Invalid);
    }
    Ok(n)
}

/// The most days a case may be suspended or extended by (§2.2).
pub const MAX_DAYS: u32 = 10_000;

/// The closure method, `None` when empty; unknown words are `Other`.
pub fn closure_method(raw: &str) -> Option<ClosureMethod> {
    let v = value(raw)?;
    Some(match &*v {
        "执行完毕" | "执行完结" | "全部执行完毕" | "和解履行完毕" | "执行和解履行完毕" => ClosureMethod::Completed,
        "终结本次执行程序" | "终结本次执行" | "终本" => ClosureMethod::TerminatedThisRound,
        "终结执行" => ClosureMethod::Terminated,
        "不予执行" => ClosureMethod::NotEnforced,
        "驳回申请" | "驳回执行申请" => ClosureMethod::Rejected,
        "销案" => ClosureMethod::Withdrawn,
        _ => ClosureMethod::Other,
    })
}

/// The 是否涉企 flag; any unrecognised value counts as empty (`None`).
pub fn enterprise_flag(raw: &str) -> Option<bool> {
    const YES: [&str; 5] = ["是", "y", "yes", "true", "1"];
    const NO: [&str; 5] = ["否", "n", "no", "false", "0"];
    let v = value(raw)?;
    // compared in place: lower-casing a copy allocated on every row
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(&v));
    if is(&YES) {
        Some(true)
    } else if is(&NO) {
        Some(false)
    } else {
        None
    }
}

/// The fallback when the flag is absent or empty: a party name that names a
/// company, bank, co-operative, firm…
pub fn names_suggest_enterprise(names: &[&str]) -> bool {
    // one pass over each name: at each character that starts a marker, does
    // the marker start there (eight substring searches per name showed in
    // profiles)
    names.iter().any(|n| {
        n.char_indices()
            .any(|(i, c)| matches!(c, '公' | '企' | '厂' | '银' | '合' | '集' | '事' | '商') && MARKERS.iter().any(|m| n[i..].starts_with(m)))
    })
}

const MARKERS: [&str; 8] = ["公司", "企业", "厂", "银行", "合作社", "集团", "事务所", "商行"];

#[cfg(test)]
mod tests {
    use super::*;

    fn enf(s: &str) -> String {
        match case_number(s) {
            CaseNumberParse::Enforcement(c) => c.to_string(),
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn case_number_accepts_every_bracket_style() {
        for s in ["(2023)冀0821执1234号", "（2023）冀0821执1234号", "〔2023〕冀0821执1234号", "[2023]冀0821执1234号", "【2023】冀0821执1234号"]
        {
            assert_eq!(enf(s), "（2023）冀0821执1234号", "{s}");
        }
    }

    #[test]
    fn case_number_ignores_spaces_full_width_digits_and_leading_zeros() {
        assert_eq!(enf("（２０２２）冀０８０３执１７号"), "（2022）冀0803执17号");
        assert_eq!(enf("（2023） 冀0803 执 37 号"), "（2023）冀0803执37号");
        assert_eq!(enf("(2023)冀0803执0037号"), "（2023）冀0803执37号");
    }

    #[test]
    fn case_number_court_codes_of_every_level() {
        assert_eq!(enf("(2023)冀执5号"), "（2023）冀执5号");
        assert_eq!(enf("(2023)冀08执恢5号"), "（2023）冀08执恢5号");
        match case_number("(2023)冀0821知执5号") {
            CaseNumberParse::Enforcement(c) => {
                assert_eq!(c.special_code, Some('知'));
                assert_eq!(c.type_code.to_string(), "执");
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn case_number_fast_path_agrees_with_nfkc() {
        for s in [
            "（２０２２）冀０８０３执１７号",
            "\u{3000}(2023)冀0821执5号\u{3000}",
            "【2023】冀0821执恢5号",
            "(2023)冀0821执5号",
            "(2023)冀0821ａ执5号",
        ] {
            assert_eq!(case_number(s), case_number_nfkc(s), "{s}");
        }
        // a compatibility ideograph (U+F9A8 → 令) takes the NFKC path
        assert_eq!(case_number("(2023)冀0821\u{F9A8}执5号"), case_number_nfkc("(2023)冀0821令执5号"));
    }

    #[test]
    fn case_number_not_enforcement_and_malformed() {
        assert_eq!(case_number("（2023）冀0821民初5号"), CaseNumberParse::NotEnforcement { court_code: "冀0821".into() });
        for s in [
            "",
            "-",
            "2023冀0821执5号",
            "(2023)冀082执5号",
            "(2023)冀0821执号",
            "(2023)冀0821执5",
            "(2023)执0821执5号",
            "(23)冀0821执5号",
            "(2023)冀0821执恢保异5号",
            "(2023)冀0821执5号x",
        ] {
            assert_eq!(case_number(s), CaseNumberParse::Bad, "{s}");
        }
    }

    #[test]
    fn a_sequence_of_more_than_nine_digits_is_a_bad_case_number() {
        assert_eq!(enf("（2023）冀0821执999999999号"), "（2023）冀0821执999999999号");
        assert_eq!(enf("（2023）冀0821执0000999999999号"), "（2023）冀0821执999999999号", "leading zeros do not count");
        for s in ["（2023）冀0821执1000000000号", "(2023)冀0821执１０００００００００号", "（2023）冀0821执99999999999999999999999号"]
        {
            assert_eq!(case_number(s), CaseNumberParse::Bad, "{s}");
        }
    }

    #[test]
    fn dates_before_1900_or_after_2099_are_invalid() {
        for ok in ["1900-01-01", "2099-12-31", "19000101", "2099年12月31日", "2099-12-31 23:59:59"] {
            assert!(date(ok).is_ok(), "{ok}");
        }
        for bad in ["1899-12-31", "2100-01-01", "0001-01-01", "9999-12-31", "18991231", "2100年1月1日", "2100-01-01 00:00"] {
            assert_eq!(date(bad), Err(Invalid), "{bad}");
            assert_eq!(date_time_field(bad), Some(Err(Invalid)), "{bad}");
        }
    }

    #[test]
    fn dates_in_all_five_forms_with_optional_time() {
        let want = NaiveDate::from_ymd_opt(2023, 3, 5).unwrap();
        for s in ["2023-03-05", "2023/3/5", "2023.3.05", "20230305", "2023年3月5日", "2023-03-05 9:07", "2023/3/5T09:07:00"] {
            assert_eq!(date(s), Ok(want), "{s}");
        }
        let dt = date_time("2023/8/25 09:50:27").unwrap();
        assert_eq!(dt.to_string(), "2023-08-25 09:50:27");
    }

    #[test]
    fn impossible_or_unknown_dates_are_invalid() {
        for s in
            ["2023-02-30", "2023-13-01", "23-3-5", "2023-3-5-1", "2023/3/5 25:00", "2023-03-05 9:7", "March 5", "2023-03", "20230230", "2023年3月5"]
        {
            assert_eq!(date(s), Err(Invalid), "{s}");
        }
    }

    #[test]
    fn amounts_are_exact_fen_with_units_and_rounding() {
        let y = AmountUnit::Yuan;
        let w = AmountUnit::TenThousandYuan;
        assert_eq!(amount("1,234.565", y), Ok(Some(Fen(123457))));
        assert_eq!(amount("1234.564", y), Ok(Some(Fen(123456))));
        assert_eq!(amount("0.135975", w), Ok(Some(Fen(135975))));
        assert_eq!(amount("1.2345678", w), Ok(Some(Fen(1234568))));
        assert_eq!(amount("3万元", y), Ok(Some(Fen(3_000_000))));
        assert_eq!(amount("2.5万", y), Ok(Some(Fen(2_500_000))));
        assert_eq!(amount("88元", w), Ok(Some(Fen(8800))));
        assert_eq!(amount("-", y), Ok(None));
        assert_eq!(amount("", y), Ok(None));
        for bad in ["-5", "1.2.3", "abc", "万", "1e5", "99999999999999999999"] {
            assert_eq!(amount(bad, y), Err(Invalid), "{bad}");
        }
    }

    #[test]
    fn days_are_whole_non_negative_numbers_and_empty_is_zero() {
        assert_eq!(days(""), Ok(0));
        assert_eq!(days("无"), Ok(0));
        assert_eq!(days("１５"), Ok(15));
        for bad in ["-1", "1.5", "十", "99999999999"] {
            assert_eq!(days(bad), Err(Invalid), "{bad}");
        }
    }

    #[test]
    fn closure_method_aliases_map_onto_the_six_methods() {
        use ClosureMethod::*;
        let cases = [
            ("执行完结", Completed),
            ("和解履行完毕", Completed),
            ("执行和解履行完毕", Completed),
            ("终本", TerminatedThisRound),
            ("终结本次执行", TerminatedThisRound),
            ("终结执行", Terminated),
            ("不予执行", NotEnforced),
            ("驳回执行申请", Rejected),
            ("销案", Withdrawn),
            ("移送破产审查", Other),
        ];
        for (s, m) in cases {
            assert_eq!(closure_method(s), Some(m), "{s}");
        }
        assert_eq!(closure_method("--"), None);
    }

    #[test]
    fn enterprise_flag_words_and_name_fallback() {
        for s in ["是", "Y", "yes", "TRUE", "1"] {
            assert_eq!(enterprise_flag(s), Some(true), "{s}");
        }
        for s in ["否", "n", "No", "false", "0"] {
            assert_eq!(enterprise_flag(s), Some(false), "{s}");
        }
        assert_eq!(enterprise_flag("不详"), None);
        assert!(names_suggest_enterprise(&["张三", "承德华盛商贸有限公司"]));
        assert!(names_suggest_enterprise(&["某某律师事务所"]));
        assert!(!names_suggest_enterprise(&["张三", "李四"]));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsers_never_panic_on_any_text(s in "\\PC{0,40}") {
            let _ = case_number(&s);
            let _ = date(&s);
            let _ = date_time(&s);
            let _ = amount(&s, AmountUnit::Yuan);
            let _ = amount(&s, AmountUnit::TenThousandYuan);
            let _ = days(&s);
            let _ = closure_method(&s);
            let _ = enterprise_flag(&s);
            let _ = crate::ingest::header::normalize_cell(&s);
        }

        #[test]
        fn enterprise_tests_agree_with_their_plain_definitions(
            a in "[公司企业厂银行合作社集团事务所商张三 ]{0,8}", b in "\\PC{0,12}", flag in "\\PC{0,5}|[YyEeSsNnOo是否]{1,3}|(?i:true|false)"
        ) {
            let plain_names = [a.as_str(), b.as_str()].iter().any(|n| MARKERS.iter().any(|m| n.contains(m)));
            prop_assert_eq!(names_suggest_enterprise(&[&a, &b]), plain_names);
            let plain_flag = value(&flag).and_then(|v| match v.to_ascii_lowercase().as_str() {
                "是" | "y" | "yes" | "true" | "1" => Some(true),
                "否" | "n" | "no" | "false" | "0" => Some(false),
                _ => None,
            });
            prop_assert_eq!(enterprise_flag(&flag), plain_flag);
        }

        #[test]
        fn case_numbers_round_trip_through_their_canonical_form(
            year in 1990u16..2100, digits in prop::sample::select(vec!["", "08", "0821"]),
            ty in prop::sample::select(vec!["执", "执恢", "执保", "执异", "执复"]), seq in 0u64..10_000_000,
            open in prop::sample::select(vec!["(", "（", "〔", "[", "【"]),
        ) {
            let raw = format!("{open}{year}）冀{digits}{ty}{seq:05}号");
            let CaseNumberParse::Enforcement(n) = case_number(&raw) else { panic!("{raw}") };
            let canonical = n.to_string();
            prop_assert_eq!(case_number(&canonical), CaseNumberParse::Enforcement(n));
        }

        #[test]
        fn the_canonical_reading_agrees_with_the_general_one(
            // mostly the canonical pieces, each now and then replaced by a
            // near miss, so that both readings are taken often
            open in prop_oneof![8 => Just("（"), 1 => Just("("), 1 => Just("")],
            year in prop_oneof![8 => "[0-9]{4}", 1 => "[0-9]{3}|[0-9]{5}|２０２３"],
            close in prop_oneof![8 => Just("）"), 1 => Just(")")],
            province in prop_oneof![8 => Just("冀"), 1 => prop::sample::select(vec!["执", "京", "\u{4DFF}", "\u{3400}", "a", ""])],
            court in prop_oneof![8 => "([0-9]{2}){0,2}", 1 => "[0-9]{1,5}"],
            han in prop_oneof![8 => "执[恢保异]?|[知破]执", 1 => "[执恢保异知破号龥一\u{3400}\u{F900} ]{0,5}"],
            seq in prop_oneof![8 => "[0-9]{1,6}", 1 => "[0-9]{0,22}"],
            end in prop_oneof![8 => Just("号"), 1 => prop::sample::select(vec!["号x", "", " 号"])],
        ) {
            let s = format!("{open}{year}{close}{province}{court}{han}{seq}{end}");
            let general = case_number_general(&s);
            if let Some(fast) = canonical_case_number(s.as_bytes()) {
                prop_assert_eq!(&fast, &general, "{}", s);
            }
            prop_assert_eq!(case_number(&s), general);
        }

        #[test]
        fn raw_field_shortcuts_agree_with_value_then_parse(
            s in prop_oneof![
                "[0-9]{1,12}", "[0-9,.]{1,14}", "[0-9 .,万元-]{0,12}", " ?[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)? ?",
                "\\PC{0,12}",
            ]
        ) {
            let plain_days = match value(&s) {
                None => Ok(0),
                Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => v.parse::<u32>().ok().filter(|&n| n <= MAX_DAYS).ok_or(Invalid),
                Some(_) => Err(Invalid),
            };
            prop_assert_eq!(days(&s), plain_days);
            for unit in [AmountUnit::Yuan, AmountUnit::TenThousandYuan] {
                let general = match value(&s) {
                    None => Ok(None),
                    Some(v) => amount(&format!(" {v}"), unit),
                };
                prop_assert_eq!(amount(&s, unit), general);
            }
            prop_assert_eq!(date_time_field(&s), value(&s).map(|v| date_time(&v)));
        }

        #[test]
        fn dates_round_trip(y in 1900i32..=2099, m in 1u32..=12, d in 1u32..=28) {
            let date_value = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            for s in [format!("{y:04}-{m}-{d}"), format!("{y:04}{m:02}{d:02}"), format!("{y:04}年{m}月{d}日")] {
                prop_assert_eq!(date(&s), Ok(date_value));
            }
        }

        #[test]
        fn the_iso_fast_path_agrees_with_the_general_one(
            s in prop_oneof![
                (0u32..10_000, 0u32..14, 0u32..33, prop::sample::select(vec!["", " ", "T", "x"]), 0u32..26, 0u32..62, prop::option::of(0u32..62))
                    .prop_map(|(y, m, d, sep, h, min, sec)| {
                        let time = if sep.is_empty() { String::new() } else { format!("{sep}{h:02}:{min:02}") };
                        format!("{y:04}-{m:02}-{d:02}{time}{}", sec.filter(|_| !sep.is_empty()).map(|s| format!(":{s:02}")).unwrap_or_default())
                    }),
                "[0-9 :T-]{10,19}",
                "\\PC{0,20}",
            ]
        ) {
            let general = {
                let (d, t) = split_date_time(&s);
                date_only(d).and_then(|d| Ok(NaiveDateTime::new(d, match t { None => NaiveTime::MIN, Some(t) => time_of_day(t)? })))
            };
            if let Some(fast) = iso_date_time(s.as_bytes()) {
                prop_assert_eq!(Ok(fast), general);
            }
            prop_assert_eq!(date_time(&s), general);
        }

        #[test]
        fn amounts_are_exact_for_any_yuan_and_fen(yuan in 0i64..1_000_000_000_000, fen in 0i64..100) {
            prop_assert_eq!(amount(&format!("{yuan}.{fen:02}"), AmountUnit::Yuan), Ok(Some(Fen(yuan * 100 + fen))));
        }
    }
}
