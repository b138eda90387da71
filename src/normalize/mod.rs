//! Stage 2, normalize: turns each record of a loaded file into a typed
//! `Case` or a quarantined row with the first reason that applies (§5.1),
//! and judges whether the file as a whole is rejected (§5.2).

pub mod parties;
pub mod text;
pub mod values;

use crate::domain::{deadline, Case, ClosureMethod, QuarantineReason};
use crate::ingest::records::{Record, Splitter};
use crate::ingest::{Column, HeaderMap, LoadedFile, Rejection};
use crate::reference::{Causes, Courts};
use parties::PartyHasher;
use std::collections::BTreeSet;
use values::CaseNumberParse;

/// Settings the row checks need.
pub struct RowContext<'a> {
    pub courts: &'a Courts,
    pub causes: &'a Causes,
    pub hasher: &'a PartyHasher,
    pub first_enforcement_months: u32,
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
}

impl Warning {
    pub fn code(self) -> &'static str {
        match self {
            Warning::OtherClosureMethod => "other_closure_method",
            Warning::HeaderOnly => "header_only_file",
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
}

impl FileRows {
    /// §5.2: more than `max_ratio` of the data records quarantined.
    pub fn too_many_bad(&self, max_ratio: f64) -> Option<Rejection> {
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
    let Some(col) = file
        .header_cells
        .iter()
        .position(|c| Column::CaseNo.words().iter().any(|w| w.eq_ignore_ascii_case(&crate::ingest::header::normalize_cell(c).0)))
    else {
        return codes;
    };
    let mut sp = Splitter::starting_at(&file.text, file.delimiter, file.body_offset, file.body_line);
    while let Some(rec) = sp.next_record() {
        match rec.field(col).map(|f| values::case_number(&f)) {
            Some(CaseNumberParse::Enforcement(n)) => {
                codes.insert(n.court_code);
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
    let mut other_methods = 0u64;
    let mut sp = Splitter::starting_at(&file.text, file.delimiter, file.body_offset, file.body_line);
    while let Some(rec) = sp.next_record() {
        out.data_records += 1;
        match validate_record(&rec, header, file_index, ctx, &mut out.court_codes) {
            Ok(case) => {
                if case.method == Some(ClosureMethod::Other) && case.number.type_code.is_first_enforcement() {
                    other_methods += 1;
                }
                out.cases.push(case);
            }
            Err(reason) => {
                out.quarantined.push(QuarantinedRow { file: file_index, line: rec.line, reason, raw: ctx.hasher.redact_raw(&rec, header) })
            }
        }
    }
    if other_methods > 0 {
        out.warnings.push((Warning::OtherClosureMethod, other_methods));
    }
    if out.data_records == 0 {
        out.warnings.push((Warning::HeaderOnly, 1));
    }
    out
}

fn validate_record(
    rec: &Record,
    h: &HeaderMap,
    file_index: u32,
    ctx: &RowContext,
    court_codes: &mut BTreeSet<String>,
) -> Result<Case, QuarantineReason> {
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
            court_codes.insert(court_code);
            return Err(NotEnforcement);
        }
        CaseNumberParse::Bad => return Err(BadCaseNo),
    };
    court_codes.insert(number.court_code.clone());
    let court = ctx.courts.id(&number.court_code).ok_or(UnknownCourt)?;
    let filing = text::value(&get(Column::FilingDate)).ok_or(BadFilingDate).and_then(|v| values::date(&v).map_err(|_| BadFilingDate))?;
    let closing = match text::value(&get(Column::ClosingDate)) {
        None => None,
        Some(v) => Some(values::date(&v).map_err(|_| BadClosingDate)?),
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
    let updated_at = match text::value(&get(Column::UpdatedAt)) {
        None => None,
        Some(v) => Some(values::date_time(&v).map_err(|_| BadUpdatedAt)?),
    };

    let cause = text::value(&get(Column::Cause)).map(|c| c.into_owned());
    let category = ctx.causes.classify(cause.as_deref().unwrap_or(""));
    let applicant = get(Column::Applicant);
    let respondent = get(Column::Respondent);
    let enterprise = match values::enterprise_flag(&get(Column::InvolvesEnterprise)) {
        Some(flag) => flag,
        None => values::names_suggest_enterprise(&[&text::nfkc_trim(&applicant), &text::nfkc_trim(&respondent)]),
    };
    Ok(Case {
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
        applicant_hash: ctx.hasher.hash(&applicant),
        respondent_hash: ctx.hasher.hash(&respondent),
        updated_at,
        deadline: deadline(filing, ctx.first_enforcement_months, extended_days, suspended_days),
        file: file_index,
        line: rec.line,
        number,
    })
}
