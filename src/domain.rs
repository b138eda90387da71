//! Typed domain values shared by every stage, so that a case number, an amount
//! or a closure method means one thing everywhere and is never re-parsed.

use chrono::{Datelike, Months, NaiveDate};
use std::fmt;

/// An amount of money held exactly in fen (1/100 yuan); sums never go through
/// a binary float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

impl Fen {
    /// Yuan with two decimals, as the CSV tables print amounts.
    pub fn yuan_text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
    /// Yuan as a float, for Parquet's Float64 amount columns only.
    pub fn yuan_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

/// An amount that may be unknown, in 8 bytes where `Option<Fen>` takes 16:
/// at tens of millions of cases the difference is gigabytes. `i64::MIN` fen
/// (no export writes a negative amount) stands for unknown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MaybeFen(i64);

impl MaybeFen {
    pub const UNKNOWN: MaybeFen = MaybeFen(i64::MIN);

    /// An amount of `i64::MIN` fen, which no parser yields, is clamped by one fen.
    pub fn new(f: Option<Fen>) -> MaybeFen {
        match f {
            None => MaybeFen::UNKNOWN,
            Some(Fen(v)) => MaybeFen(v.max(i64::MIN + 1)),
        }
    }

    pub fn get(self) -> Option<Fen> {
        (self != MaybeFen::UNKNOWN).then_some(Fen(self.0))
    }
}

impl fmt::Debug for MaybeFen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.get())
    }
}

/// The unit an amount column's header declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountUnit {
    Yuan,
    TenThousandYuan,
}

/// Index of a court in the courts table (`reference::Courts::list`); cheap
/// to copy into every case.
pub type CourtId = u32;

/// The category a cause falls in (§3); 合同 feeds 涉合同类.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CauseCategory {
    Contract,
    Other,
}

impl CauseCategory {
    pub fn label(self) -> &'static str {
        match self {
            CauseCategory::Contract => "合同",
            CauseCategory::Other => "其他",
        }
    }
}

/// What gives a court id its code: the courts table. Defined here so that a
/// case can write its whole number without this module knowing the table.
pub trait CourtCodes {
    fn code(&self, id: CourtId) -> Code<8>;
}

/// A cause (案由) as a number: its text is stored once per file (in
/// `FileRows::causes`) and, after reading, once per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CauseId(std::num::NonZeroU32);

impl CauseId {
    /// The id of entry `index` of a cause list.
    pub fn at(index: usize) -> Option<CauseId> {
        u32::try_from(index + 1).ok().and_then(std::num::NonZeroU32::new).map(CauseId)
    }
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// The keyed hashes of a case's party names (the first 16 bytes of each
/// HMAC-SHA-256), boxed in `Case` so a run without a key pays 8 bytes a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartyHashes {
    pub applicant: Option<[u8; 16]>,
    pub respondent: Option<[u8; 16]>,
}

/// A short code held inline (a court or type code), so that a case number
/// needs no heap allocation, copies cheaply and hashes fast.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> Code<N> {
    /// `None` when the text does not fit.
    pub fn new(s: &str) -> Option<Self> {
        let mut c = Code::default();
        for ch in s.chars() {
            c.push(ch)?;
        }
        Some(c)
    }

    pub fn push(&mut self, ch: char) -> Option<()> {
        let at = self.len as usize;
        let n = ch.len_utf8();
        if at + n > N {
            return None;
        }
        ch.encode_utf8(&mut self.bytes[at..at + n]);
        self.len += n as u8;
        Some(())
    }

    pub fn as_str(&self) -> &str {
        let b = &self.bytes[..self.len as usize];
        debug_assert!(std::str::from_utf8(b).is_ok());
        // SAFETY: the fields are private and only `push` writes `bytes`,
        // appending a whole char's UTF-8 (`encode_utf8`) and raising `len`
        // past it; `Default` is empty. So `bytes[..len]` is always UTF-8.
        // (The checked conversion was a fifth of formatting a case number,
        // which runs for every row of the case table and the watch list.)
        unsafe { std::str::from_utf8_unchecked(b) }
    }
}

impl<const N: usize> Default for Code<N> {
    fn default() -> Self {
        Code { len: 0, bytes: [0; N] }
    }
}

impl<const N: usize> fmt::Debug for Code<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl<const N: usize> Ord for Code<N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl<const N: usize> PartialOrd for Code<N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The type code (类型代字) of an enforcement case number, e.g. 执, 执恢, 执异:
/// one to three Han characters (§3), packed 21 bits each into a u64, the
/// first highest. Code points order as their UTF-8 bytes do, so the numbers
/// order as the texts; 8 bytes where the text would take 13.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeCode(u64);

impl TypeCode {
    pub const FIRST_ENFORCEMENT: TypeCode = TypeCode(('执' as u64) << 42);

    /// `None` unless one to three characters.
    pub fn new(s: &str) -> Option<TypeCode> {
        TypeCode::from_chars(s.chars())
    }

    pub fn from_chars(chars: impl IntoIterator<Item = char>) -> Option<TypeCode> {
        let mut packed = 0u64;
        let mut n = 0;
        for c in chars {
            if n == 3 || c == '\0' {
                return None;
            }
            packed |= u64::from(u32::from(c)) << (42 - 21 * n);
            n += 1;
        }
        (n > 0).then_some(TypeCode(packed))
    }

    pub fn chars(self) -> impl Iterator<Item = char> {
        (0..3).map(move |k| ((self.0 >> (42 - 21 * k)) & 0x1F_FFFF) as u32).take_while(|&c| c != 0).filter_map(char::from_u32)
    }

    pub fn push_to(self, out: &mut String) {
        // 执 alone is most cases' code
        if self == TypeCode::FIRST_ENFORCEMENT {
            out.push('执');
        } else {
            out.extend(self.chars());
        }
    }

    /// The packed characters, for hashing and the cache.
    pub fn bits(self) -> u64 {
        self.0
    }

    /// The code whose `bits` these are; `None` for bits no code has.
    pub fn from_bits(bits: u64) -> Option<TypeCode> {
        TypeCode::from_chars(TypeCode(bits).chars()).filter(|t| t.0 == bits)
    }

    /// 首次执行: the only type the headline indicators count.
    pub fn is_first_enforcement(&self) -> bool {
        *self == TypeCode::FIRST_ENFORCEMENT
    }
}

impl fmt::Display for TypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.chars().try_for_each(|c| fmt::Write::write_char(f, c))
    }
}

impl fmt::Debug for TypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// A parsed case number (案号) per 法〔2015〕137号 as amended by 法〔2018〕335号.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseNumber {
    pub year: u16,
    /// e.g. 冀, 冀08, 冀0821
    pub court_code: Code<8>,
    /// the optional specialised-trial code, e.g. 知
    pub special_code: Option<char>,
    pub type_code: TypeCode,
    /// the sequence with leading zeros dropped
    pub seq: u64,
}

/// A case number as a case holds it: without the court code, which is what
/// found the case's court (§4) and so is that court's code in the courts
/// table. 32 bytes instead of 40, and quicker to hash in dedup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaseKey {
    pub year: u16,
    pub special_code: Option<char>,
    pub type_code: TypeCode,
    pub seq: u64,
}

impl CaseKey {
    /// The full number, given the code of the case's court.
    pub fn with_court(self, court_code: Code<8>) -> CaseNumber {
        CaseNumber { year: self.year, court_code, special_code: self.special_code, type_code: self.type_code, seq: self.seq }
    }
}

impl CaseNumber {
    pub fn key(&self) -> CaseKey {
        CaseKey { year: self.year, special_code: self.special_code, type_code: self.type_code, seq: self.seq }
    }
}

/// `updated_at` (§2.2) in whole seconds since 1970, which is all the parser
/// reads; missing is `i64::MIN`, so it orders as the `Option` would (missing
/// oldest) in 8 bytes instead of 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpdatedAt(i64);

impl UpdatedAt {
    pub const MISSING: UpdatedAt = UpdatedAt(i64::MIN);

    /// Sub-second parts are dropped (the parser never makes any).
    pub fn new(t: Option<chrono::NaiveDateTime>) -> UpdatedAt {
        t.map_or(UpdatedAt::MISSING, |t| UpdatedAt(t.and_utc().timestamp()))
    }

    pub fn get(self) -> Option<chrono::NaiveDateTime> {
        (self != UpdatedAt::MISSING).then(|| chrono::DateTime::from_timestamp(self.0, 0).map(|t| t.naive_utc())).flatten()
    }

    /// The raw seconds, for the cache's file format.
    pub fn to_bits(self) -> i64 {
        self.0
    }
    pub fn from_bits(bits: i64) -> UpdatedAt {
        UpdatedAt(bits)
    }
}

fn push_decimal(out: &mut String, n: u64, min_width: usize) {
    // SAFETY: `decimal::push` appends ASCII digits only, so the String
    // stays UTF-8. (Pushing them as chars, or through `str::from_utf8`, was
    // two thirds of formatting a case number: once per row of the case
    // table, the watch list and the duplicates.)
    crate::decimal::push(unsafe { out.as_mut_vec() }, n, min_width);
}

impl CaseNumber {
    /// Appends the canonical form (written by hand: this runs once per case
    /// when the case table is built).
    pub fn push_to(&self, out: &mut String) {
        out.reserve(40);
        out.push('（');
        push_decimal(out, u64::from(self.year), 4);
        out.push('）');
        out.push_str(self.court_code.as_str());
        if let Some(s) = self.special_code {
            out.push(s);
        }
        self.type_code.push_to(out);
        push_decimal(out, self.seq, 1);
        out.push('号');
    }
}

impl fmt::Display for CaseNumber {
    /// The canonical form with full-width brackets: （2023）冀0821执1234号.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(32);
        self.push_to(&mut s);
        f.write_str(&s)
    }
}

/// The six closure methods (结案方式) of enforcement implementation cases,
/// plus 其他 for anything else an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClosureMethod {
    Completed,
    TerminatedThisRound,
    Terminated,
    NotEnforced,
    Rejected,
    Withdrawn,
    Other,
}

impl ClosureMethod {
    /// In declaration order: `ALL[m as usize] == m`.
    pub const ALL: [ClosureMethod; 7] = [
        ClosureMethod::Completed,
        ClosureMethod::TerminatedThisRound,
        ClosureMethod::Terminated,
        ClosureMethod::NotEnforced,
        ClosureMethod::Rejected,
        ClosureMethod::Withdrawn,
        ClosureMethod::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ClosureMethod::Completed => "执行完毕",
            ClosureMethod::TerminatedThisRound => "终结本次执行程序",
            ClosureMethod::Terminated => "终结执行",
            ClosureMethod::NotEnforced => "不予执行",
            ClosureMethod::Rejected => "驳回申请",
            ClosureMethod::Withdrawn => "销案",
            ClosureMethod::Other => "其他",
        }
    }
}

/// Why a row was quarantined; the order of the variants is the order in which
/// the contract (§5.1) checks them, and the first that applies wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuarantineReason {
    BadShape,
    BadCaseNo,
    NotEnforcement,
    UnknownCourt,
    BadFilingDate,
    BadClosingDate,
    InconsistentClosure,
    ClosedBeforeFiled,
    BadAmount,
    BadDays,
    BadUpdatedAt,
    BadDeadline,
}

impl QuarantineReason {
    pub const ALL: [QuarantineReason; 12] = [
        QuarantineReason::BadShape,
        QuarantineReason::BadCaseNo,
        QuarantineReason::NotEnforcement,
        QuarantineReason::UnknownCourt,
        QuarantineReason::BadFilingDate,
        QuarantineReason::BadClosingDate,
        QuarantineReason::InconsistentClosure,
        QuarantineReason::ClosedBeforeFiled,
        QuarantineReason::BadAmount,
        QuarantineReason::BadDays,
        QuarantineReason::BadUpdatedAt,
        QuarantineReason::BadDeadline,
    ];

    pub fn code(self) -> &'static str {
        match self {
            QuarantineReason::BadShape => "bad_shape",
            QuarantineReason::BadCaseNo => "bad_case_no",
            QuarantineReason::NotEnforcement => "not_enforcement",
            QuarantineReason::UnknownCourt => "unknown_court",
            QuarantineReason::BadFilingDate => "bad_filing_date",
            QuarantineReason::BadClosingDate => "bad_closing_date",
            QuarantineReason::InconsistentClosure => "inconsistent_closure",
            QuarantineReason::ClosedBeforeFiled => "closed_before_filed",
            QuarantineReason::BadAmount => "bad_amount",
            QuarantineReason::BadDays => "bad_days",
            QuarantineReason::BadUpdatedAt => "bad_updated_at",
            QuarantineReason::BadDeadline => "bad_deadline",
        }
    }

    /// The reason in Chinese, for the report and `--csv-headers zh`.
    pub fn label(self) -> &'static str {
        match self {
            QuarantineReason::BadShape => "字段数不符",
            QuarantineReason::BadCaseNo => "案号无效",
            QuarantineReason::NotEnforcement => "非执行案件",
            QuarantineReason::UnknownCourt => "法院代码不在法院表中",
            QuarantineReason::BadFilingDate => "立案日期无效",
            QuarantineReason::BadClosingDate => "结案日期无效",
            QuarantineReason::InconsistentClosure => "结案信息不一致",
            QuarantineReason::ClosedBeforeFiled => "结案日期早于立案日期",
            QuarantineReason::BadAmount => "金额无效",
            QuarantineReason::BadDays => "天数无效",
            QuarantineReason::BadUpdatedAt => "更新时间无效",
            QuarantineReason::BadDeadline => "执行期限届满日期无效",
        }
    }

    /// The reason whose code is `code`.
    pub fn of_code(code: &str) -> Option<QuarantineReason> {
        QuarantineReason::ALL.into_iter().find(|q| q.code() == code)
    }
}

/// The statutory deadline (法定期限) of a first-enforcement case: the filing
/// date plus `months` calendar months (a day that does not exist becomes the
/// month's last day), plus the extended and the suspended days. `None` means
/// the deadline lies beyond the last representable date, i.e. never reached.
pub fn deadline(filing: NaiveDate, months: u32, extended_days: u32, suspended_days: u32) -> Option<NaiveDate> {
    let base = filing.checked_add_months(Months::new(months))?;
    let extra = u64::from(extended_days) + u64::from(suspended_days);
    base.checked_add_days(chrono::Days::new(extra))
}

/// First day of the month of `d`.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// One validated case version, as every stage after normalize sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// the case number but its court code: `number()` gives it whole
    pub key: CaseKey,
    pub court: CourtId,
    pub filing: NaiveDate,
    pub closing: Option<NaiveDate>,
    pub method: Option<ClosureMethod>,
    /// the cause as normalised, `None` when empty: an index into the file's
    /// cause list while reading, into the run's once merged
    pub cause: Option<CauseId>,
    pub category: CauseCategory,
    pub claim: MaybeFen,
    pub recovered: MaybeFen,
    pub suspended_days: u32,
    pub extended_days: u32,
    pub enterprise: bool,
    /// 实结标志 as the export gave it (§2.2), `None` when absent or unreadable
    pub executed_flag: Option<bool>,
    /// keyed hashes of the party names; `None` when no key is set or both
    /// names are empty
    pub parties: Option<Box<PartyHashes>>,
    pub updated_at: UpdatedAt,
    pub deadline: Option<NaiveDate>,
    /// index of the source file in input order, and the record's line (a
    /// file of more than 4 billion lines is refused before it gets here)
    pub file: u32,
    pub line: u32,
}

impl Case {
    /// The canonical case number, its court code taken from the courts table.
    pub fn number(&self, courts: &impl CourtCodes) -> CaseNumber {
        self.key.with_court(courts.code(self.court))
    }

    pub fn is_closed(&self) -> bool {
        self.closing.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn deadline_clamps_to_the_last_day_of_a_short_month() {
        assert_eq!(deadline(d(2023, 8, 31), 6, 0, 0), Some(d(2024, 2, 29)));
        assert_eq!(deadline(d(2022, 8, 31), 6, 0, 0), Some(d(2023, 2, 28)));
    }

    #[test]
    fn deadline_adds_extended_and_suspended_days_after_the_months() {
        assert_eq!(deadline(d(2023, 1, 15), 6, 10, 5), Some(d(2023, 7, 30)));
    }

    #[test]
    fn deadline_beyond_the_calendar_is_none_not_a_panic() {
        assert_eq!(deadline(NaiveDate::MAX, 6, 0, 0), None);
        assert_eq!(deadline(d(2023, 1, 1), 6, u32::MAX, u32::MAX), None);
    }

    #[test]
    fn canonical_case_number_uses_full_width_brackets() {
        let n = CaseNumber {
            year: 2023,
            court_code: Code::new("冀0821").unwrap(),
            special_code: None,
            type_code: TypeCode::new("执").unwrap(),
            seq: 1234,
        };
        assert_eq!(n.to_string(), "（2023）冀0821执1234号");
        let z = CaseNumber { year: 7, seq: 0, special_code: Some('知'), ..n };
        assert_eq!(z.to_string(), "（0007）冀0821知执0号");
    }

    #[test]
    fn codes_hold_up_to_their_size_and_order_byte_wise() {
        assert_eq!(Code::<8>::new("冀0821").unwrap().as_str(), "冀0821");
        assert!(Code::<8>::new("冀082199").is_none());
        let a = Code::<8>::new("冀08").unwrap();
        let b = Code::<8>::new("冀0802").unwrap();
        assert!(a < b && Code::<8>::new("冀").unwrap() < a);
    }

    #[test]
    fn closure_methods_all_is_in_declaration_order() {
        for (i, m) in ClosureMethod::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i);
        }
    }

    #[test]
    fn a_case_stays_small() {
        // 50 million cases must fit in a few gigabytes (issue 3)
        assert!(std::mem::size_of::<Case>() <= 96, "{}", std::mem::size_of::<Case>());
        assert_eq!(std::mem::size_of::<Option<CauseId>>(), 4);
    }

    #[test]
    fn type_codes_pack_and_order_as_their_text() {
        let codes = ["执", "执恢", "执保", "执异执", "执𠀀", "𠀀执执"];
        for a in codes {
            let ta = TypeCode::new(a).unwrap();
            assert_eq!(ta.to_string(), a);
            assert_eq!(ta.is_first_enforcement(), a == "执");
            for b in codes {
                assert_eq!(ta.cmp(&TypeCode::new(b).unwrap()), a.cmp(b), "{a} {b}");
            }
        }
        for t in ["执", "执恢", "执保", "民初", "刑终"] {
            let code = TypeCode::new(t).unwrap();
            assert_eq!(TypeCode::from_bits(code.bits()), Some(code), "{t}");
        }
        // no characters, a gap before a character, a surrogate
        for bits in [0, 'a' as u64, ('执' as u64) << 21, 0xD800 << 42] {
            assert_eq!(TypeCode::from_bits(bits), None, "{bits:x}");
        }
        assert_eq!(TypeCode::new(""), None);
        assert_eq!(TypeCode::new("执执执执"), None);
    }

    #[test]
    fn updated_at_round_trips_whole_seconds_and_orders_missing_first() {
        let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        for v in [Some(t("2023-08-25 09:05:07")), Some(t("0999-01-01 00:00:00")), Some(t("1969-12-31 23:59:59")), None] {
            assert_eq!(UpdatedAt::new(v).get(), v);
        }
        assert!(UpdatedAt::MISSING < UpdatedAt::new(Some(t("0001-01-01 00:00:00"))));
        assert!(UpdatedAt::new(Some(t("2023-08-25 09:05:07"))) < UpdatedAt::new(Some(t("2023-08-25 09:05:08"))));
    }

    #[test]
    fn maybe_fen_round_trips_every_amount_but_the_one_it_reserves() {
        for v in [Some(Fen(0)), Some(Fen(-5)), Some(Fen(i64::MAX)), None] {
            assert_eq!(MaybeFen::new(v).get(), v);
        }
        assert_eq!(MaybeFen::new(Some(Fen(i64::MIN))).get(), Some(Fen(i64::MIN + 1)));
    }

    #[test]
    fn fen_prints_yuan_with_two_decimals() {
        assert_eq!(Fen(123456).yuan_text(), "1234.56");
        assert_eq!(Fen(5).yuan_text(), "0.05");
        assert_eq!(Fen(0).yuan_text(), "0.00");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_case_number_is_written_as_its_parts_formatted(
            year in 0u16..=u16::MAX, court in prop::sample::select(vec!["冀", "冀08", "冀0821", "京0105"]),
            special in prop::option::of(prop::sample::select(vec!['知', '破', '𠀀'])),
            ty in prop::sample::select(vec!["执", "执恢", "执异执", "𠀀执"]), seq in any::<u64>(),
        ) {
            let n = CaseNumber { year, court_code: Code::new(court).unwrap(), special_code: special, type_code: TypeCode::new(ty).unwrap(), seq };
            let want = format!("（{year:04}）{court}{}{ty}{seq}号", special.map(String::from).unwrap_or_default());
            let mut got = String::from("before");
            n.push_to(&mut got);
            prop_assert_eq!(got, format!("before{want}"));
        }
    }
}
