//! Stage 2, normalize: turns each record of a loaded file into a typed
//! `Case` or a quarantined row with the first reason that applies (§5.1),
//! and judges whether the file as a whole is rejected (§5.2).

pub mod file;
pub mod parties;
pub mod redact;
pub mod values;

pub use file::{merge, parse_all, parse_read, run_causes, settle_workbooks, FileAccount, FileEntry, ParsedFile, RejectedFile, Validated};

use crate::domain::{deadline, Case, CauseId, ClosureMethod, Code, MaybeFen, PartyHashes, QuarantineReason, UpdatedAt};
use crate::ingest::records::{Record, Splitter};
use crate::ingest::{Column, HeaderMap, LoadedFile, Rejection};
use crate::reference::{Causes, CourtId, Courts};
use crate::text;
use parties::PartyHasher;
use std::collections::BTreeSet;
use values::CaseNumberParse;

/// The settings that decide what a row or a file becomes (§5).
#[derive(Debug, Clone)]
pub struct Rules {
    pub limits: crate::ingest::Limits,
    /// §5.1: the unknown columns whose raw text quarantined rows keep (their
    /// header words, normalised)
    pub raw_columns: Vec<String>,
    pub first_enforcement_months: u32,
    pub max_bad_row_ratio: f64,
}

impl<'a> RowContext<'a> {
    pub fn new(rules: Rules, courts: &'a Courts, causes: &'a Causes, hasher: &'a PartyHasher) -> Self {
        RowContext {
            limits: rules.limits,
            courts,
            causes,
            hasher,
            first_enforcement_months: rules.first_enforcement_months,
            max_bad_row_ratio: rules.max_bad_row_ratio,
            raw_columns: rules.raw_columns,
        }
    }
}

/// Causes repeat on nearly every row: each distinct one is stored and
/// classified once per file, and its cases refer to it by number.
#[derive(Default)]
pub struct CauseCache {
    seen: foldhash::HashMap<String, (CauseId, crate::reference::CauseCategory)>,
    /// the file's causes, in order of first appearance (`CauseId::index`)
    names: Vec<String>,
}

impl CauseCache {
    fn get(&mut self, cause: &str, causes: &Causes) -> (Option<CauseId>, crate::reference::CauseCategory) {
        if let Some((id, category)) = self.seen.get(cause) {
            return (Some(*id), *category);
        }
        let category = causes.classify(cause);
        let Some(id) = CauseId::at(self.names.len()) else { return (None, category) };
        self.names.push(cause.to_string());
        self.seen.insert(cause.to_string(), (id, category));
        (Some(id), category)
    }
}

/// The causes of every accepted file, each once, in order of first appearance.
#[derive(Default)]
pub struct RunCauses {
    pub names: Vec<String>,
    ids: std::collections::HashMap<String, CauseId>,
}

impl RunCauses {
    /// The run's numbering with these names, in this order, already in it.
    pub fn from_names(names: &[String]) -> RunCauses {
        let mut run = RunCauses::default();
        run.ids_for(names);
        run
    }

    /// The run's numbers of a file's causes (by the file's numbers), new
    /// names numbered in the order they come.
    pub fn ids_for(&mut self, causes: &[String]) -> Vec<Option<CauseId>> {
        causes
            .iter()
            .map(|name| match self.ids.get(name) {
                Some(id) => Some(*id),
                None => {
                    let id = CauseId::at(self.names.len())?;
                    self.names.push(name.clone());
                    self.ids.insert(name.clone(), id);
                    Some(id)
                }
            })
            .collect()
    }

    /// The run's number of a cause, if it has one.
    pub fn id(&self, name: &str) -> Option<CauseId> {
        self.ids.get(name).copied()
    }

    /// Turns the file's cause numbers into the run's.
    pub fn renumber(&mut self, rows: &mut FileRows) {
        let run_ids = self.ids_for(&rows.causes);
        for c in &mut rows.cases {
            c.cause = c.cause.and_then(|id| run_ids.get(id.index()).copied().flatten());
        }
    }
}

/// Settings the row checks need.
pub struct RowContext<'a> {
    pub limits: crate::ingest::Limits,
    pub raw_columns: Vec<String>,
    pub courts: &'a Courts,
    pub causes: &'a Causes,
    pub hasher: &'a PartyHasher,
    pub first_enforcement_months: u32,
    /// a file with a larger share of quarantined records is rejected (§5.2)
    pub max_bad_row_ratio: f64,
}

#[derive(Debug, Clone)]
pub struct QuarantinedRow {
    pub file: u32,
    pub line: u64,
    pub reason: QuarantineReason,
    pub raw: String,
}

/// Row-level warnings: counted in the manifest, not quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Warning {
    /// a first-enforcement case closed by a method outside the six (→ 其他)
    OtherClosureMethod,
    /// a file with a header and no data records
    HeaderOnly,
    /// a case whose 执行期限届满日期 is not the deadline §7 computes
    DeadlineDiffers,
    /// a 合计/总计/小计/共计 row, skipped (§2)
    SummaryRow,
}

impl Warning {
    pub fn code(self) -> &'static str {
        match self {
            Warning::OtherClosureMethod => "other_closure_method",
            Warning::HeaderOnly => "header_only_file",
            Warning::DeadlineDiffers => "deadline_differs",
            Warning::SummaryRow => "summary_row",
        }
    }
}

/// Everything the rows of one file became.
#[derive(Debug, Default)]
pub struct FileRows {
    pub cases: Vec<Case>,
    pub quarantined: Vec<QuarantinedRow>,
    /// non-blank records after the header, bad_shape ones included
    pub data_records: u64,
    pub warnings: Vec<(Warning, u64)>,
    /// court codes of every case number that parsed (for `complete = false`)
    pub court_codes: BTreeSet<String>,
    /// a record broke a limit: the whole file is rejected
    pub too_large: Option<Rejection>,
    /// the causes the cases' `CauseId`s index
    pub causes: Vec<String>,
    /// fields of quarantined records that lost personal data (§5.1)
    pub fields_redacted: u64,
}

impl FileRows {
    /// §5.2: more than `max_ratio` of the data records quarantined (or a
    /// record over the limits).
    pub fn too_many_bad(&self, max_ratio: f64) -> Option<Rejection> {
        if let Some(r) = &self.too_large {
            return Some(r.clone());
        }
        let q = self.quarantined.len() as u64;
        if self.data_records > 0 && (q as f64) > max_ratio * (self.data_records as f64) {
            Some(Rejection::TooManyBadRows { quarantined: q, records: self.data_records, max: max_ratio })
        } else {
            None
        }
    }
}

/// Court codes of every case number that parses in a file whose header did
/// not map, so that `--allow-partial` can still tell which courts it fed.
pub fn court_codes_in(file: &LoadedFile) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let Some(col) = file.header_cells.iter().position(|c| Column::matching(&crate::ingest::header::normalize_cell(c).0) == Some(Column::CaseNo))
    else {
        return codes;
    };
    let mut sp = Splitter::starting_at(&file.text, file.delimiter, file.body_offset, file.body_line);
    while let Some(rec) = sp.next_record() {
        match rec.field(col).map(|f| values::case_number(&f)) {
            Some(CaseNumberParse::Enforcement(n)) => {
                codes.insert(n.court_code.as_str().to_string());
            }
            Some(CaseNumberParse::NotEnforcement { court_code }) => {
                codes.insert(court_code);
            }
            _ => {}
        }
    }
    codes
}

/// Validates every record of a file whose header mapped.
pub fn validate_file(file: &LoadedFile, header: &HeaderMap, file_index: u32, ctx: &RowContext) -> FileRows {
    let mut out = FileRows::default();
    // one case per line at most (quoted line breaks only make it fewer):
    // sized once, the vector never holds the up-to-2x slack of doubling
    let body = file.text.as_bytes().get(file.body_offset..).unwrap_or_default();
    // (counted with memchr's run-time SIMD: the plain filter-count
    // compiles to SSE2 four bytes at a time, 4% of a run)
    out.cases.reserve_exact(memchr::memchr_iter(b'\n', body).count() + 1);
    let mut other_methods = 0u64;
    let mut state = FileState::default();
    let mut sp = Splitter::starting_at(&file.text, file.delimiter, file.body_offset, file.body_line).with_max_fields(ctx.limits.max_fields as usize);
    let kinds = redact::FieldKinds::of(header, &ctx.raw_columns);
    let case_no_at = header.get(Column::CaseNo);
    let mut summary_rows = 0u64;
    while let Some(rec) = sp.next_record() {
        if let Some(r) = ctx.limits.check(&rec) {
            out.data_records += 1;
            out.too_large = Some(r);
            out.court_codes = state.court_codes;
            return out;
        }
        if case_no_at.is_some_and(|i| is_summary_row(&rec, i)) {
            summary_rows += 1;
            continue;
        }
        out.data_records += 1;
        match validate_record(&rec, header, file_index, ctx, &mut state) {
            Ok(case) => {
                if case.method == Some(ClosureMethod::Other) && case.key.type_code.is_first_enforcement() {
                    other_methods += 1;
                }
                out.cases.push(case);
            }
            Err(reason) => {
                let r = redact::redact(&rec, &kinds, ctx.hasher, reason == QuarantineReason::BadShape);
                out.fields_redacted += u64::from(r.fields);
                out.quarantined.push(QuarantinedRow { file: file_index, line: rec.line, reason, raw: r.text })
            }
        }
    }
    out.causes = std::mem::take(&mut state.causes_seen.names);
    out.court_codes = std::mem::take(&mut state.court_codes);
    // the quarantined rows' share (a few percent) handed back
    out.cases.shrink_to_fit();
    if other_methods > 0 {
        out.warnings.push((Warning::OtherClosureMethod, other_methods));
    }
    if summary_rows > 0 {
        out.warnings.push((Warning::SummaryRow, summary_rows));
    }
    if state.deadline_differs > 0 {
        out.warnings.push((Warning::DeadlineDiffers, state.deadline_differs));
    }
    if out.data_records == 0 {
        out.warnings.push((Warning::HeaderOnly, 1));
    }
    out
}

/// What the rows of one file learn as they are read: the court codes met,
/// the causes seen, the last row's court (a file is mostly one court's), and
/// the rows whose given deadline differs from the computed one.
#[derive(Default)]
struct FileState {
    court_codes: BTreeSet<String>,
    causes_seen: CauseCache,
    last_court: Option<(Code<8>, Option<CourtId>)>,
    deadline_differs: u64,
}

/// §2: a record whose case-number field starts with 合计, 总计, 小计 or 共计
/// (after normalisation) sums the rows above it; it is no case and no bad
/// row. Every such word ends in 计, so other fields are never normalised.
fn is_summary_row(rec: &Record, case_no_at: usize) -> bool {
    let Some(field) = rec.field(case_no_at) else { return false };
    if !field.contains('计') {
        return false;
    }
    // white space removed, as from a case number (§2.2): 合 计 is 合计
    let word: String = text::nfkc_trim(&field).chars().filter(|c| !c.is_whitespace()).collect();
    ["合计", "总计", "小计", "共计"].iter().any(|w| word.starts_with(w))
}

fn validate_record(rec: &Record, h: &HeaderMap, file_index: u32, ctx: &RowContext, state: &mut FileState) -> Result<Case, QuarantineReason> {
    use QuarantineReason::*;
    if rec.unterminated || rec.fields.len() != h.width {
        return Err(BadShape);
    }
    // every required column is present once the header is mapped; optional
    // ones read as empty when absent
    let get = |c: Column| h.get(c).and_then(|i| rec.field(i)).unwrap_or_default();

    let number = match values::case_number(&get(Column::CaseNo)) {
        CaseNumberParse::Enforcement(n) => n,
        CaseNumberParse::NotEnforcement { court_code } => {
            state.court_codes.insert(court_code);
            return Err(NotEnforcement);
        }
        CaseNumberParse::Bad => return Err(BadCaseNo),
    };
    // a file is mostly one court's: its rows ask the same thing again
    let court = match state.last_court {
        Some((code, court)) if code == number.court_code => court,
        _ => {
            if !state.court_codes.contains(number.court_code.as_str()) {
                state.court_codes.insert(number.court_code.as_str().to_string());
            }
            let court = ctx.courts.id(number.court_code.as_str());
            state.last_court = Some((number.court_code, court));
            court
        }
    }
    .ok_or(UnknownCourt)?;
    let filing = values::date_time_field(&get(Column::FilingDate)).ok_or(BadFilingDate)?.map_err(|_| BadFilingDate)?.date();
    let closing = match values::date_time_field(&get(Column::ClosingDate)) {
        None => None,
        Some(d) => Some(d.map_err(|_| BadClosingDate)?.date()),
    };
    let method = values::closure_method(&get(Column::ClosureMethod));
    if closing.is_some() != method.is_some() {
        return Err(InconsistentClosure);
    }
    if closing.is_some_and(|c| c < filing) {
        return Err(ClosedBeforeFiled);
    }
    let claim = values::amount(&get(Column::ClaimAmount), h.claim_unit).map_err(|_| BadAmount)?;
    let recovered = values::amount(&get(Column::RecoveredAmount), h.recovered_unit).map_err(|_| BadAmount)?;
    let suspended_days = values::days(&get(Column::SuspendedDays)).map_err(|_| BadDays)?;
    let extended_days = values::days(&get(Column::ExtendedDays)).map_err(|_| BadDays)?;
    let updated_at = match values::date_time_field(&get(Column::UpdatedAt)) {
        None => UpdatedAt::MISSING,
        Some(t) => UpdatedAt::new(Some(t.map_err(|_| BadUpdatedAt)?)),
    };
    let given_deadline = match values::date_time_field(&get(Column::DeadlineDate)) {
        None => None,
        Some(d) => Some(d.map_err(|_| BadDeadline)?.date()),
    };
    let computed_deadline = deadline(filing, ctx.first_enforcement_months, extended_days, suspended_days);
    if given_deadline.is_some_and(|g| Some(g) != computed_deadline) {
        state.deadline_differs += 1;
    }

    let (cause, category) = match text::value(&get(Column::Cause)) {
        Some(c) => state.causes_seen.get(&c, ctx.causes),
        None => (None, ctx.causes.classify("")),
    };
    // party names normalised once, for the enterprise fallback and the hash,
    // and only when one of them needs them (the flag is usually there, the
    // key usually not)
    let flag = values::enterprise_flag(&get(Column::InvolvesEnterprise));
    let (applicant_raw, respondent_raw) = (get(Column::Applicant), get(Column::Respondent));
    let (applicant, respondent) =
        if flag.is_none() || ctx.hasher.has_key() { (text::value(&applicant_raw), text::value(&respondent_raw)) } else { (None, None) };
    let enterprise = match flag {
        Some(flag) => flag,
        None => values::names_suggest_enterprise(&[applicant.as_deref().unwrap_or(""), respondent.as_deref().unwrap_or("")]),
    };
    Ok(Case {
        court,
        filing,
        closing,
        method,
        cause,
        category,
        claim: MaybeFen::new(claim),
        recovered: MaybeFen::new(recovered),
        suspended_days,
        extended_days,
        enterprise,
        executed_flag: values::enterprise_flag(&get(Column::ExecutedFlag)),
        parties: party_hashes(ctx.hasher, applicant.as_deref(), respondent.as_deref()),
        updated_at,
        deadline: given_deadline.or(computed_deadline),
        file: file_index,
        // within 32 bits: `Limits::check` refused the file otherwise
        line: rec.line as u32,
        key: number.key(),
    })
}

fn party_hashes(hasher: &PartyHasher, applicant: Option<&str>, respondent: Option<&str>) -> Option<Box<PartyHashes>> {
    if !hasher.has_key() {
        return None;
    }
    let p = PartyHashes { applicant: applicant.and_then(|n| hasher.hash_bytes(n)), respondent: respondent.and_then(|n| hasher.hash_bytes(n)) };
    (p.applicant.is_some() || p.respondent.is_some()).then(|| Box::new(p))
}

#[cfg(test)]
mod tests {
    use super::tests_support::Fixture;
    use super::*;
    use crate::ingest::header::map_header;
    use crate::reference::Courts;

    const HEADER: &str = "案号,立案日期,结案日期,结案方式,案由,申请执行标的,执行到位金额,扣除天数,延长天数,更新时间,申请执行人,被执行人";

    /// Validates one data line under HEADER.
    fn check(line: &str) -> Result<Case, QuarantineReason> {
        let fixture = Fixture::new(None);
        let ctx = fixture.ctx(0.1);
        let cells: Vec<String> = HEADER.split(',').map(String::from).collect();
        let h = map_header(&cells).unwrap();
        let mut sp = Splitter::new(line, b',');
        let rec = sp.next_record().unwrap();
        validate_record(&rec, &h, 0, &ctx, &mut FileState::default())
    }

    const GOOD: &str = "（2023）冀0821执1号,2023-01-05,2023-03-01,执行完毕,民间借贷纠纷,100,100,0,0,2023-08-01 10:00,张三,李四";

    fn with(field: usize, value: &str) -> String {
        let mut f: Vec<&str> = GOOD.split(',').collect();
        f[field] = value;
        f.join(",")
    }

    #[test]
    fn rows_of_alternating_courts_each_find_their_own() {
        let fixture = Fixture::new(None);
        let ctx = fixture.ctx(0.1);
        let rows = ["冀0821", "冀0899", "冀0821", "冀0802", "冀0802", "冀0899", "冀0821"];
        let text: String = std::iter::once(HEADER.to_string())
            .chain(rows.iter().enumerate().map(|(i, c)| with(0, &format!("（2023）{c}执{}号", i + 1))))
            .collect::<Vec<_>>()
            .join("\n");
        let loaded = crate::ingest::load_bytes(text.into_bytes(), String::new(), &Default::default()).unwrap();
        let out = validate_file(&loaded, loaded.header.as_ref().unwrap(), 0, &ctx);
        let got: Vec<&str> = out.cases.iter().map(|c| fixture.courts.get(c.court).code.as_str()).collect();
        assert_eq!(got, ["冀0821", "冀0821", "冀0802", "冀0802", "冀0821"]);
        assert_eq!(
            out.quarantined.iter().map(|q| (q.line, q.reason)).collect::<Vec<_>>(),
            [(3, QuarantineReason::UnknownCourt), (7, QuarantineReason::UnknownCourt)]
        );
        assert_eq!(out.court_codes.into_iter().collect::<Vec<_>>(), ["冀0802", "冀0821", "冀0899"]);
    }

    #[test]
    fn causes_shared_by_two_files_get_one_run_number() {
        let file = |names: &[&str], ids: &[usize]| FileRows {
            causes: names.iter().map(|n| n.to_string()).collect(),
            cases: ids
                .iter()
                .map(|&i| {
                    let mut c = crate::dedup::tests::case(1, 0, 1);
                    c.cause = CauseId::at(i);
                    c
                })
                .collect(),
            ..Default::default()
        };
        let mut run = RunCauses::default();
        let (mut a, mut b) = (file(&["借款合同纠纷", "侵权"], &[0, 1]), file(&["侵权", "买卖合同纠纷"], &[1, 0]));
        run.renumber(&mut a);
        run.renumber(&mut b);
        assert_eq!(run.names, ["借款合同纠纷", "侵权", "买卖合同纠纷"]);
        let named = |r: &FileRows| r.cases.iter().map(|c| run.names[c.cause.unwrap().index()].as_str()).collect::<Vec<_>>();
        assert_eq!(named(&a), ["借款合同纠纷", "侵权"]);
        assert_eq!(named(&b), ["买卖合同纠纷", "侵权"]);
    }

    #[test]
    fn a_good_row_becomes_a_case() {
        let c = check(GOOD).unwrap();
        assert_eq!(c.number(&Courts::load(None).unwrap()).to_string(), "（2023）冀0821执1号");
        assert_eq!(c.category, crate::reference::CauseCategory::Contract);
        assert_eq!(c.claim.get(), Some(crate::domain::Fen(10000)));
    }

    #[test]
    fn each_quarantine_reason() {
        use QuarantineReason::*;
        let cases = [
            ("（2023）冀0821执1号,2023-01-05".to_string(), BadShape),
            (with(0, "冀0821执1号"), BadCaseNo),
            (with(0, ""), BadCaseNo),
            (with(0, "（2023）冀0821民初1号"), NotEnforcement),
            (with(0, "（2023）冀0899执1号"), UnknownCourt),
            (with(1, ""), BadFilingDate),
            (with(1, "2023-02-29"), BadFilingDate),
            (with(2, "2023-3-x"), BadClosingDate),
            (with(3, "--"), InconsistentClosure),
            (with(2, "无"), InconsistentClosure),
            (with(2, "2023-01-04"), ClosedBeforeFiled),
            (with(5, "1.2.3"), BadAmount),
            (with(6, "-1"), BadAmount),
            (with(7, "1.5"), BadDays),
            (with(8, "-2"), BadDays),
            (with(9, "2023-08-01 25:00"), BadUpdatedAt),
        ];
        for (line, want) in cases {
            assert_eq!(check(&line).err(), Some(want), "{line}");
        }
    }

    #[test]
    fn the_first_reason_in_contract_order_wins() {
        use QuarantineReason::*;
        // bad filing date and bad amount: the filing date is checked first
        let line = with(1, "x").replace(",100,100,", ",abc,100,");
        assert_eq!(check(&line).err(), Some(BadFilingDate));
        // unknown court and bad days: the court first
        let line = with(0, "（2023）冀0899执1号").replace(",0,0,", ",x,0,");
        assert_eq!(check(&line).err(), Some(UnknownCourt));
        // inconsistent closure and bad updated_at: closure first
        let line = with(3, "").replace("2023-08-01 10:00", "never");
        assert_eq!(check(&line).err(), Some(InconsistentClosure));
    }

    /// Every row of a whole file, title lines and all.
    fn rows_of(text: &str) -> FileRows {
        let fixture = Fixture::new(None);
        let ctx = fixture.ctx(0.5);
        let loaded = crate::ingest::load_bytes(text.as_bytes().to_vec(), String::new(), &Default::default()).unwrap();
        validate_file(&loaded, loaded.header.as_ref().unwrap(), 0, &ctx)
    }

    fn d(s: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn summary_rows_are_skipped_counted_and_never_data() {
        let rows = rows_of(&format!("{HEADER}\n{GOOD}\n合计,,,,,100,100,,,,,\n\"总 计：2件\"\n 小计（承德县）,1\n"));
        assert_eq!((rows.cases.len(), rows.quarantined.len(), rows.data_records), (1, 0, 1));
        assert_eq!(rows.warnings, [(Warning::SummaryRow, 3)]);
    }

    #[test]
    fn a_given_deadline_is_the_deadline_and_a_different_one_is_counted() {
        let header = "案号,立案日期,结案日期,结案方式,案由,执行期限届满日期,实结标志";
        let text = format!(
            "{header}\n（2023）冀0821执1号,2023-01-05,,,借款合同纠纷,2023-07-05,\n（2023）冀0821执2号,2023-01-05,,,借款合同纠纷,2023-09-30,\n\
             （2023）冀0821执3号,2023-01-05,,,借款合同纠纷,,\n（2023）冀0821执4号,2023-01-05,,,借款合同纠纷,2023-13-01,\n"
        );
        let rows = rows_of(&text);
        let deadlines: Vec<_> = rows.cases.iter().map(|c| c.deadline).collect();
        assert_eq!(deadlines, [Some(d("2023-07-05")), Some(d("2023-09-30")), Some(d("2023-07-05"))]);
        assert_eq!(rows.quarantined.iter().map(|q| (q.line, q.reason)).collect::<Vec<_>>(), [(5, QuarantineReason::BadDeadline)]);
        assert_eq!(rows.warnings, [(Warning::DeadlineDiffers, 1)]);
    }

    #[test]
    fn the_executed_flag_reads_like_the_enterprise_flag() {
        let header = "案号,立案日期,结案日期,结案方式,案由,实结标志";
        let line = |n: u32, flag: &str| format!("（2023）冀0821执{n}号,2023-01-05,2023-02-01,终结本次执行程序,借款合同纠纷,{flag}");
        let text = format!("{header}\n{}\n{}\n{}\n{}\n", line(1, "是"), line(2, "N"), line(3, ""), line(4, "也许"));
        let flags: Vec<_> = rows_of(&text).cases.iter().map(|c| c.executed_flag).collect();
        assert_eq!(flags, [Some(true), Some(false), None, None]);
    }

    #[test]
    fn the_court_data_standards_words_name_the_amounts_and_the_new_columns() {
        for (word, col) in [
            ("应执行标的金额", Column::ClaimAmount),
            ("申请执行金额", Column::ClaimAmount),
            ("实际到位金额", Column::RecoveredAmount),
            ("执行期限届满日期", Column::DeadlineDate),
            ("实结标志", Column::ExecutedFlag),
        ] {
            assert_eq!(Column::matching(word), Some(col), "{word}");
        }
    }

    #[test]
    fn a_row_filed_after_as_of_is_validated_like_any_other() {
        assert!(check(&with(1, "2030-01-01").replace("2023-03-01", "2030-02-01")).is_ok());
    }
}

#[cfg(test)]
mod properties {
    use super::tests_support::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_row_is_a_case_or_a_quarantine_reason_never_a_panic(
            fields in prop::collection::vec("\\PC{0,12}|（2023）冀0821执[0-9]{1,3}号|2023-0[1-9]-1[0-9]|执行完毕|[0-9,.万元-]{0,10}", 0..16)
        ) {
            let line = fields.join(",");
            let _ = check(&line);
        }
    }
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use crate::ingest::header::map_header;
    use crate::reference::{Causes, Courts};

    /// What a test's `RowContext` borrows: the built-in tables and a hasher.
    pub struct Fixture {
        pub courts: Courts,
        causes: Causes,
        hasher: PartyHasher,
    }

    impl Fixture {
        pub fn new(key: Option<Vec<u8>>) -> Fixture {
            Fixture { courts: Courts::load(None).unwrap(), causes: Causes::load(None).unwrap(), hasher: PartyHasher::new(key) }
        }

        /// The contract's defaults (six months, the default limits), with
        /// this bad-row ratio.
        pub fn ctx(&self, max_bad_row_ratio: f64) -> RowContext<'_> {
            let rules = Rules { limits: Default::default(), raw_columns: Vec::new(), first_enforcement_months: 6, max_bad_row_ratio };
            RowContext::new(rules, &self.courts, &self.causes, &self.hasher)
        }
    }

    /// Validates one data line under a full header.
    pub fn check(line: &str) -> Result<Case, QuarantineReason> {
        let fixture = Fixture::new(Some(b"k".to_vec()));
        let ctx = fixture.ctx(0.1);
        let header =
            "案号,立案日期,结案日期,结案方式,案由,申请执行标的,执行到位金额,扣除天数,延长天数,是否涉企,申请执行人,被执行人,执行法院,更新时间";
        let cells: Vec<String> = header.split(',').map(String::from).collect();
        let h = map_header(&cells).unwrap();
        let mut sp = Splitter::new(line, b',');
        match sp.next_record() {
            Some(rec) => validate_record(&rec, &h, 0, &ctx, &mut FileState::default()),
            None => Err(QuarantineReason::BadShape),
        }
    }
}
