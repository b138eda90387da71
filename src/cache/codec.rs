//! The cache's file format: a parsed file as plain little-endian fields, with
//! a magic line in front and an xxh3 checksum behind. Hand-written rather
//! than serde-derived so that the hot type (`Case`) needs no serde support
//! and a truncated or damaged entry is always noticed (the decoder returns
//! `None` and the file is parsed afresh).

use super::Parsed;
use crate::domain::{Case, CaseKey, CauseId, ClosureMethod, Fen, MaybeFen, PartyHashes, QuarantineReason, TypeCode, UpdatedAt};
use crate::ingest::{Encoding, Rejection};
use crate::normalize::{FileRows, QuarantinedRow, Warning};
use crate::reference::CauseCategory;
use chrono::NaiveDate;

/// Bumped whenever the layout below changes.
const MAGIC: &[u8; 8] = b"CSTAT\x05\r\n";
const NONE32: u32 = u32::MAX;

pub fn encode(p: &Parsed) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(64 + p.rows.as_ref().map_or(0, |r| r.cases.len() * 80)));
    w.0.extend_from_slice(MAGIC);
    w.u8(match p.encoding {
        Encoding::Utf8 => 0,
        Encoding::Utf8Bom => 1,
        Encoding::Gb18030 => 2,
    });
    w.u8(p.delimiter);
    w.strs(p.header_cells.iter().map(String::as_str), p.header_cells.len());
    w.strs(p.codes_without_header.iter().map(String::as_str), p.codes_without_header.len());
    match &p.rows {
        None => w.u8(0),
        Some(rows) => {
            w.u8(1);
            rows_to(&mut w, rows);
        }
    }
    let sum = with_checksum(&w.0);
    w.0.extend_from_slice(&sum);
    w.0
}

/// `body` followed by its xxh3: how every cache entry ends.
pub fn with_checksum(body: &[u8]) -> [u8; 8] {
    xxhash_rust::xxh3::xxh3_64(body).to_le_bytes()
}

/// The body of an entry whose checksum holds; `None` for a damaged one.
pub fn checked(bytes: &[u8]) -> Option<&[u8]> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    (with_checksum(body) == sum).then_some(body)
}

/// The quarantined rows alone of an entry (they come before the cases, which
/// are not decoded): what a refresh needs of a file whose cases it does not.
/// Empty for a file whose header did not map.
pub fn decode_quarantined(bytes: &[u8]) -> Option<Vec<QuarantinedRow>> {
    let body = checked(bytes)?;
    let mut r = Reader { b: body.strip_prefix(MAGIC)? };
    r.u8()?;
    r.u8()?;
    r.strs()?;
    r.strs()?;
    match r.u8()? {
        0 => Some(Vec::new()),
        1 => Some(rows_head(&mut r)?.4),
        _ => None,
    }
}

pub fn decode(bytes: &[u8]) -> Option<Parsed> {
    let body = checked(bytes)?;
    let mut r = Reader { b: body.strip_prefix(MAGIC)? };
    let encoding = match r.u8()? {
        0 => Encoding::Utf8,
        1 => Encoding::Utf8Bom,
        2 => Encoding::Gb18030,
        _ => return None,
    };
    let delimiter = r.u8()?;
    let header_cells = r.strs()?;
    let codes_without_header = r.strs()?.into_iter().collect();
    let rows = match r.u8()? {
        0 => None,
        1 => Some(rows_from(&mut r)?),
        _ => return None,
    };
    if !r.b.is_empty() {
        return None;
    }
    Some(Parsed { encoding, delimiter, header_cells, codes_without_header, rows })
}

fn rows_to(w: &mut Writer, rows: &FileRows) {
    w.u64(rows.data_records);
    w.strs(rows.court_codes.iter().map(String::as_str), rows.court_codes.len());
    w.u32(rows.warnings.len() as u32);
    for (warning, n) in &rows.warnings {
        w.u8(*warning as u8);
        w.u64(*n);
    }
    match &rows.too_large {
        Some(Rejection::TooLarge { line, what, limit }) => {
            w.u8(1);
            w.u64(*line);
            w.str(what);
            w.u64(*limit);
        }
        // `too_large` only ever holds TooLarge
        _ => w.u8(0),
    }
    w.u32(rows.quarantined.len() as u32);
    for q in &rows.quarantined {
        w.u64(q.line);
        w.u8(q.reason as u8);
        w.str(&q.raw);
    }
    w.strs(rows.causes.iter().map(String::as_str), rows.causes.len());
    w.u32(rows.cases.len() as u32);
    for c in &rows.cases {
        case_to(w, c);
    }
}

/// What comes before a file's causes and cases.
type RowsHead = (u64, std::collections::BTreeSet<String>, Vec<(Warning, u64)>, Option<Rejection>, Vec<QuarantinedRow>);

fn rows_from(r: &mut Reader) -> Option<FileRows> {
    let (data_records, court_codes, warnings, too_large, quarantined) = rows_head(r)?;
    let causes = r.strs()?;
    let n = r.u32()? as usize;
    let mut cases = Vec::with_capacity(n.min(r.b.len() / 40));
    for _ in 0..n {
        cases.push(case_from(r, causes.len())?);
    }
    Some(FileRows { cases, quarantined, data_records, warnings, court_codes, too_large, causes })
}

fn rows_head(r: &mut Reader) -> Option<RowsHead> {
    let data_records = r.u64()?;
    let court_codes = r.strs()?.into_iter().collect();
    let mut warnings = Vec::new();
    for _ in 0..r.u32()? {
        let w = match r.u8()? {
            x if x == Warning::OtherClosureMethod as u8 => Warning::OtherClosureMethod,
            x if x == Warning::HeaderOnly as u8 => Warning::HeaderOnly,
            _ => return None,
        };
        warnings.push((w, r.u64()?));
    }
    let too_large = match r.u8()? {
        0 => None,
        1 => {
            let line = r.u64()?;
            let what = r.str()?;
            let what = crate::ingest::Limits::WHAT.into_iter().find(|w| *w == what)?;
            Some(Rejection::TooLarge { line, what, limit: r.u64()? })
        }
        _ => return None,
    };
    let n = r.u32()? as usize;
    let mut quarantined = Vec::with_capacity(n.min(r.b.len()));
    for _ in 0..n {
        let line = r.u64()?;
        let reason = *QuarantineReason::ALL.get(r.u8()? as usize)?;
        quarantined.push(QuarantinedRow { file: 0, line, reason, raw: r.str()?.to_string() });
    }
    Some((data_records, court_codes, warnings, too_large, quarantined))
}

fn case_to(w: &mut Writer, c: &Case) {
    let n = &c.key;
    w.u16(n.year);
    w.u32(n.special_code.map_or(NONE32, u32::from));
    w.u64(n.type_code.bits());
    w.u64(n.seq);
    w.u32(c.court);
    w.date(Some(c.filing));
    w.date(c.closing);
    w.u8(c.method.map_or(u8::MAX, |m| m as u8));
    w.u32(c.cause.map_or(NONE32, |id| id.index() as u32));
    w.u8(c.category as u8);
    w.u64(c.claim.get().map_or(i64::MIN, |f| f.0) as u64);
    w.u64(c.recovered.get().map_or(i64::MIN, |f| f.0) as u64);
    w.u32(c.suspended_days);
    w.u32(c.extended_days);
    w.u8(c.enterprise as u8);
    let parties = c.parties.as_deref();
    w.hash(parties.and_then(|p| p.applicant));
    w.hash(parties.and_then(|p| p.respondent));
    w.u64(c.updated_at.to_bits() as u64);
    w.date(c.deadline);
    w.u32(c.line);
}

fn case_from(r: &mut Reader, causes: usize) -> Option<Case> {
    let year = r.u16()?;
    let special_code = match r.u32()? {
        NONE32 => None,
        c => Some(char::from_u32(c)?),
    };
    let type_code = TypeCode::from_bits(r.u64()?)?;
    let seq = r.u64()?;
    let court = r.u32()?;
    let filing = r.date()??;
    let closing = r.date()?;
    let method = match r.u8()? {
        u8::MAX => None,
        m => Some(*ClosureMethod::ALL.get(m as usize)?),
    };
    let cause = match r.u32()? {
        NONE32 => None,
        i if (i as usize) < causes => Some(CauseId::at(i as usize)?),
        _ => return None,
    };
    let category = match r.u8()? {
        x if x == CauseCategory::Contract as u8 => CauseCategory::Contract,
        x if x == CauseCategory::Other as u8 => CauseCategory::Other,
        _ => return None,
    };
    let claim = MaybeFen::new(r.fen()?);
    let recovered = MaybeFen::new(r.fen()?);
    let suspended_days = r.u32()?;
    let extended_days = r.u32()?;
    let enterprise = match r.u8()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let (applicant, respondent) = (r.hash()?, r.hash()?);
    let parties = (applicant.is_some() || respondent.is_some()).then(|| Box::new(PartyHashes { applicant, respondent }));
    let updated_at = UpdatedAt::from_bits(r.u64()? as i64);
    let deadline = r.date()?;
    let line = r.u32()?;
    Some(Case {
        key: CaseKey { year, special_code, type_code, seq },
        court,
        filing,
        closing,
        method,
        cause,
        category,
        claim,
        recovered,
        suspended_days,
        extended_days,
        enterprise,
        parties,
        updated_at,
        deadline,
        file: 0,
        line,
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn strs<'a>(&mut self, items: impl Iterator<Item = &'a str>, n: usize) {
        self.u32(n as u32);
        for s in items {
            self.str(s);
        }
    }
    /// Days since 0001-01-01; `i32::MIN` for none.
    fn date(&mut self, d: Option<NaiveDate>) {
        self.u32(d.map_or(i32::MIN, |d| chrono::Datelike::num_days_from_ce(&d)) as u32);
    }
    fn hash(&mut self, h: Option<[u8; 16]>) {
        match h {
            None => self.u8(0),
            Some(h) => {
                self.u8(1);
                self.0.extend_from_slice(&h);
            }
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.b.split_first_chunk::<N>()?;
        self.b = rest;
        Some(*head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take()?))
    }
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.b.split_at_checked(n)?;
        self.b = rest;
        Some(head)
    }
    fn str(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.bytes(n)?).ok()
    }
    fn strs(&mut self) -> Option<Vec<String>> {
        let n = self.u32()? as usize;
        let mut v = Vec::with_capacity(n.min(self.b.len() / 4));
        for _ in 0..n {
            v.push(self.str()?.to_string());
        }
        Some(v)
    }
    /// `Some(None)` for the none marker, `None` for a bad value.
    fn date(&mut self) -> Option<Option<NaiveDate>> {
        let d = self.u32()? as i32;
        if d == i32::MIN {
            return Some(None);
        }
        Some(Some(date_from_days(d)?))
    }
    /// `i64::MIN` is unknown (as in `MaybeFen`).
    fn fen(&mut self) -> Option<Option<Fen>> {
        let v = self.u64()? as i64;
        Some((v != i64::MIN).then_some(Fen(v)))
    }
    fn hash(&mut self) -> Option<Option<[u8; 16]>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.take::<16>()?)),
            _ => None,
        }
    }
}

/// The date `days` after 0000-12-31 (`NaiveDate::from_num_days_from_ce_opt`),
/// from a table for the years courts' exports hold: chrono's calendar
/// arithmetic was a tenth of decoding a cached file, three dates a case.
fn date_from_days(days: i32) -> Option<NaiveDate> {
    static TABLE: std::sync::OnceLock<(i32, Vec<NaiveDate>)> = std::sync::OnceLock::new();
    let (first, dates) = TABLE.get_or_init(|| {
        let first = NaiveDate::from_ymd_opt(1900, 1, 1).map_or(0, |d| chrono::Datelike::num_days_from_ce(&d));
        let last = NaiveDate::from_ymd_opt(2100, 12, 31).map_or(0, |d| chrono::Datelike::num_days_from_ce(&d));
        (first, (first..=last).filter_map(NaiveDate::from_num_days_from_ce_opt).collect())
    });
    match usize::try_from(days.wrapping_sub(*first)).ok().and_then(|k| dates.get(k)) {
        Some(d) => Some(*d),
        None => NaiveDate::from_num_days_from_ce_opt(days),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_from_the_table_are_chronos_own() {
        let days = |y, m, d| chrono::Datelike::num_days_from_ce(&chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap());
        let edges = [days(1899, 12, 31), days(1900, 1, 1), days(2023, 8, 22), days(2100, 12, 31), days(2101, 1, 1), 1, 0, -1, i32::MAX, i32::MIN + 1];
        for d in edges.into_iter().chain((days(1899, 1, 1)..days(2102, 1, 1)).step_by(7)) {
            assert_eq!(super::date_from_days(d), chrono::NaiveDate::from_num_days_from_ce_opt(d), "{d}");
        }
    }
}
