//! The bodies of the court and quarantine entries, as plain little-endian
//! fields (the store adds the version and the checksum). Hand-written
//! rather than serde-derived: the hot type (`Case`) needs no serde support,
//! a warm run decodes two million cases in a fraction of a second, and each
//! field is checked as it is read, so a body that does not fit its layout
//! is refused rather than half-read. `Case` and `Duplicate` are taken apart
//! by name: a field added to either fails to compile here until it is kept.
//!
//! A court entry holds no position among the run's inputs: its cases name
//! their file by its place in the court's own file list and their cause by
//! its place in the entry's cause list, and the decoder maps both onto this
//! run's (a file added elsewhere, or a cause new to the run, changes
//! neither the entry nor its cases).

use crate::dedup::Duplicate;
use crate::domain::{
    Case, CaseKey, CauseCategory, CauseId, ClosureMethod, CourtId, Fen, MaybeFen, PartyHashes, QuarantineReason, TypeCode, UpdatedAt,
};
use crate::normalize::QuarantinedRow;
use chrono::NaiveDate;

const NONE32: u32 = u32::MAX;

/// One court's kept cases and duplicates. `file_of` maps each case's and
/// duplicate's `file` (a run position) to its place in the court's file
/// list; `cause_names` is the run's cause list.
pub fn encode_court(cases: &[&Case], duplicates: &[&Duplicate], file_of: impl Fn(u32) -> Option<u32>, cause_names: &[String]) -> Option<Vec<u8>> {
    // the causes the court's cases use, in the run's order
    let mut used: Vec<usize> = cases.iter().filter_map(|c| c.cause.map(CauseId::index)).collect();
    used.sort_unstable();
    used.dedup();
    let local = |id: CauseId| used.binary_search(&id.index()).ok().map(|k| k as u32);
    let mut w = Writer(Vec::with_capacity(64 + cases.len() * 96 + duplicates.len() * 40));
    w.u32(used.len() as u32);
    for &k in &used {
        w.str(cause_names.get(k)?);
    }
    w.u32(cases.len() as u32);
    for c in cases {
        case_to(&mut w, c, file_of(c.file)?, c.cause.map(local).map(|l| l.unwrap_or(NONE32)).unwrap_or(NONE32));
    }
    w.u32(duplicates.len() as u32);
    for d in duplicates {
        let Duplicate { key, court: _, versions, kept_file, kept_line, conflict } = d;
        key_to(&mut w, key);
        w.u32(*versions);
        w.u32(file_of(*kept_file)?);
        w.u32(*kept_line);
        w.u8(u8::from(*conflict));
    }
    Some(w.0)
}

/// The cases and duplicates of court `court` from its entry: `files` gives
/// the run position of each place in the court's file list, `cause_id` the
/// run's id of a cause name. `None` when the body does not fit its layout.
#[cfg(test)]
pub fn decode_court(body: &[u8], court: CourtId, files: &[u32], cause_id: impl Fn(&str) -> Option<CauseId>) -> Option<(Vec<Case>, Vec<Duplicate>)> {
    let mut cases = Vec::new();
    let dups = decode_court_with(body, court, files, cause_id, |c| {
        cases.push(c);
        true
    })?;
    Some((cases, dups))
}

/// `decode_court`, each case handed to `put` as it is read (`put` says
/// whether it took it): a warm run puts every case straight into its place.
pub fn decode_court_with(
    body: &[u8],
    court: CourtId,
    files: &[u32],
    cause_id: impl Fn(&str) -> Option<CauseId>,
    mut put: impl FnMut(Case) -> bool,
) -> Option<Vec<Duplicate>> {
    let mut r = Reader { b: body };
    let n = r.u32()? as usize;
    let mut causes = Vec::with_capacity(n.min(body.len()));
    for _ in 0..n {
        causes.push(cause_id(r.str()?)?);
    }
    let n = r.u32()? as usize;
    for _ in 0..n {
        if !put(case_from(&mut r, court, files, &causes)?) {
            return None;
        }
    }
    let n = r.u32()? as usize;
    let mut duplicates = Vec::with_capacity(n.min(body.len() / 27));
    for _ in 0..n {
        let key = key_from(&mut r)?;
        let versions = r.u32()?;
        let kept_file = *files.get(r.u32()? as usize)?;
        let kept_line = r.u32()?;
        let conflict = r.flag()?;
        duplicates.push(Duplicate { key, court, versions, kept_file, kept_line, conflict });
    }
    r.b.is_empty().then_some(duplicates)
}

/// One file's quarantined rows.
pub fn encode_quarantine(rows: &[&QuarantinedRow]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(rows.iter().map(|q| q.raw.len() + 16).sum::<usize>() + 4));
    w.u32(rows.len() as u32);
    for q in rows {
        let QuarantinedRow { file: _, line, reason, raw } = q;
        w.u64(*line);
        w.u8(*reason as u8);
        w.str(raw);
    }
    w.0
}

/// One file's quarantined rows, as the file at run position `file` has them.
pub fn decode_quarantine(body: &[u8], file: u32) -> Option<Vec<QuarantinedRow>> {
    let mut r = Reader { b: body };
    let n = r.u32()? as usize;
    let mut rows = Vec::with_capacity(n.min(body.len() / 13));
    for _ in 0..n {
        let line = r.u64()?;
        let reason = *QuarantineReason::ALL.get(r.u8()? as usize)?;
        rows.push(QuarantinedRow { file, line, reason, raw: r.str()?.to_string() });
    }
    r.b.is_empty().then_some(rows)
}

fn key_to(w: &mut Writer, k: &CaseKey) {
    let CaseKey { year, special_code, type_code, seq } = k;
    w.u16(*year);
    w.u32(special_code.map_or(NONE32, u32::from));
    w.u64(type_code.bits());
    w.u64(*seq);
}

fn key_from(r: &mut Reader) -> Option<CaseKey> {
    let year = r.u16()?;
    let special_code = match r.u32()? {
        NONE32 => None,
        c => Some(char::from_u32(c)?),
    };
    Some(CaseKey { year, special_code, type_code: TypeCode::from_bits(r.u64()?)?, seq: r.u64()? })
}

fn case_to(w: &mut Writer, c: &Case, file: u32, cause: u32) {
    let Case {
        key,
        court: _,
        filing,
        closing,
        method,
        cause: _,
        category,
        claim,
        recovered,
        suspended_days,
        extended_days,
        enterprise,
        executed_flag,
        parties,
        updated_at,
        deadline,
        file: _,
        line,
    } = c;
    key_to(w, key);
    w.date(Some(*filing));
    w.date(*closing);
    w.u8(method.map_or(u8::MAX, |m| m as u8));
    w.u32(cause);
    w.u8(*category as u8);
    w.u64(claim.get().map_or(i64::MIN, |f| f.0) as u64);
    w.u64(recovered.get().map_or(i64::MIN, |f| f.0) as u64);
    w.u32(*suspended_days);
    w.u32(*extended_days);
    w.u8(u8::from(*enterprise));
    w.u8(executed_flag.map_or(2, u8::from));
    let parties = parties.as_deref();
    w.hash(parties.and_then(|p| p.applicant));
    w.hash(parties.and_then(|p| p.respondent));
    w.u64(updated_at.to_bits() as u64);
    w.date(*deadline);
    w.u32(file);
    w.u32(*line);
}

fn case_from(r: &mut Reader, court: CourtId, files: &[u32], causes: &[CauseId]) -> Option<Case> {
    let key = key_from(r)?;
    let filing = r.date()??;
    let closing = r.date()?;
    let method = match r.u8()? {
        u8::MAX => None,
        m => Some(*ClosureMethod::ALL.get(m as usize)?),
    };
    let cause = match r.u32()? {
        NONE32 => None,
        k => Some(*causes.get(k as usize)?),
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
    let enterprise = r.flag()?;
    let executed_flag = match r.u8()? {
        0 => Some(false),
        1 => Some(true),
        2 => None,
        _ => return None,
    };
    let (applicant, respondent) = (r.hash()?, r.hash()?);
    let parties = (applicant.is_some() || respondent.is_some()).then(|| Box::new(PartyHashes { applicant, respondent }));
    let updated_at = UpdatedAt::from_bits(r.u64()? as i64);
    let deadline = r.date()?;
    let file = *files.get(r.u32()? as usize)?;
    let line = r.u32()?;
    Some(Case {
        key,
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
        executed_flag,
        parties,
        updated_at,
        deadline,
        file,
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
    fn flag(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
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
    fn str(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        let (head, rest) = self.b.split_at_checked(n)?;
        self.b = rest;
        std::str::from_utf8(head).ok()
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
    use super::*;

    #[test]
    fn dates_from_the_table_are_chronos_own() {
        let days = |y, m, d| chrono::Datelike::num_days_from_ce(&NaiveDate::from_ymd_opt(y, m, d).unwrap());
        let edges = [days(1899, 12, 31), days(1900, 1, 1), days(2023, 8, 22), days(2100, 12, 31), days(2101, 1, 1), 1, 0, -1, i32::MAX, i32::MIN + 1];
        for d in edges.into_iter().chain((days(1899, 1, 1)..days(2102, 1, 1)).step_by(7)) {
            assert_eq!(date_from_days(d), NaiveDate::from_num_days_from_ce_opt(d), "{d}");
        }
    }

    fn varied_cases() -> Vec<Case> {
        let base = crate::dedup::tests::case(7, 4, 3);
        let mut all = vec![base.clone()];
        let mut c = base.clone();
        c.key = CaseKey { year: 2019, special_code: Some('知'), type_code: TypeCode::new("执恢").unwrap(), seq: u64::MAX };
        c.closing = NaiveDate::from_ymd_opt(2023, 8, 1);
        c.method = Some(ClosureMethod::TerminatedThisRound);
        c.cause = CauseId::at(5);
        c.category = CauseCategory::Contract;
        c.claim = MaybeFen::new(Some(Fen(0)));
        c.recovered = MaybeFen::new(Some(Fen(i64::MAX)));
        c.suspended_days = 10_000;
        c.extended_days = 1;
        c.enterprise = true;
        c.parties = Some(Box::new(PartyHashes { applicant: Some([3; 16]), respondent: None }));
        c.updated_at = UpdatedAt::new(chrono::NaiveDateTime::parse_from_str("2023-08-25 10:00:07", "%Y-%m-%d %H:%M:%S").ok());
        c.deadline = NaiveDate::from_ymd_opt(2023, 7, 10);
        c.file = 9;
        c.line = u32::MAX;
        all.push(c);
        all
    }

    #[test]
    fn a_court_entry_reads_back_onto_the_runs_own_positions_and_causes() {
        let cases = varied_cases();
        let dup = Duplicate { key: cases[1].key, court: 0, versions: 3, kept_file: 9, kept_line: 8, conflict: true };
        let names: Vec<String> = (0..8).map(|i| format!("cause {i}")).collect();
        // the court's files sit at run positions 4 and 9 this time
        let file_of = |p: u32| [4u32, 9].iter().position(|&x| x == p).map(|k| k as u32);
        let body = encode_court(&cases.iter().collect::<Vec<_>>(), &[&dup], file_of, &names).unwrap();
        // next time at 2 and 12, and the run numbers its causes otherwise
        let cause_id = |n: &str| (n == "cause 5").then(|| CauseId::at(0)).flatten();
        let (got, dups) = decode_court(&body, 0, &[2, 12], cause_id).unwrap();
        let mut want = cases.clone();
        want[0].file = 2;
        want[1].file = 12;
        want[1].cause = CauseId::at(0);
        assert_eq!(got, want);
        assert_eq!(dups, [Duplicate { kept_file: 12, ..dup }]);
        for cut in 0..body.len() {
            assert!(decode_court(&body[..cut], 0, &[2, 12], cause_id).is_none(), "cut at {cut}");
        }
        assert!(decode_court(&body, 0, &[2], cause_id).is_none(), "a file the list does not have");
        assert!(encode_court(&cases.iter().collect::<Vec<_>>(), &[], |_| None, &names).is_none(), "a file outside the court's list");
    }

    #[test]
    fn quarantined_rows_read_back_as_written() {
        let rows: Vec<QuarantinedRow> = QuarantineReason::ALL
            .iter()
            .enumerate()
            .map(|(i, &reason)| QuarantinedRow { file: 3, line: i as u64 * 1000, reason, raw: "案号,立案日期\r\n\"x\"".repeat(i) })
            .collect();
        let body = encode_quarantine(&rows.iter().collect::<Vec<_>>());
        let got = decode_quarantine(&body, 5).unwrap();
        assert_eq!(got.len(), rows.len());
        for (g, r) in got.iter().zip(&rows) {
            assert_eq!((g.file, g.line, g.reason, &g.raw), (5, r.line, r.reason, &r.raw));
        }
        assert!(decode_quarantine(&body[..body.len() - 1], 5).is_none());
    }
}
