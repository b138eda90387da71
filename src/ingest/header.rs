//! Maps a file's header cells onto the canonical columns (§2.1), with the
//! unit each amount column declared.

use crate::domain::AmountUnit;
use crate::text::nfkc_trim;
use serde::Serialize;

/// The canonical columns, in the contract's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    CaseNo,
    FilingDate,
    ClosingDate,
    ClosureMethod,
    Cause,
    ClaimAmount,
    RecoveredAmount,
    SuspendedDays,
    ExtendedDays,
    InvolvesEnterprise,
    Applicant,
    Respondent,
    CourtName,
    UpdatedAt,
    DeadlineDate,
    ExecutedFlag,
}

pub const COLUMN_COUNT: usize = 16;

impl Column {
    pub const ALL: [Column; COLUMN_COUNT] = [
        Column::CaseNo,
        Column::FilingDate,
        Column::ClosingDate,
        Column::ClosureMethod,
        Column::Cause,
        Column::ClaimAmount,
        Column::RecoveredAmount,
        Column::SuspendedDays,
        Column::ExtendedDays,
        Column::InvolvesEnterprise,
        Column::Applicant,
        Column::Respondent,
        Column::CourtName,
        Column::UpdatedAt,
        Column::DeadlineDate,
        Column::ExecutedFlag,
    ];

    pub fn name(self) -> &'static str {
        self.words().last().copied().unwrap_or("")
    }

    pub fn required(self) -> bool {
        matches!(self, Column::CaseNo | Column::FilingDate | Column::ClosingDate | Column::ClosureMethod | Column::Cause)
    }

    /// The header words accepted for the column, after normalisation; the
    /// English canonical name last.
    pub fn words(self) -> &'static [&'static str] {
        match self {
            Column::CaseNo => &["案号", "执行案号", "case_no"],
            Column::FilingDate => &["立案日期", "立案时间", "收案日期", "filing_date"],
            Column::ClosingDate => &["结案日期", "结案时间", "执结日期", "closing_date"],
            Column::ClosureMethod => &["结案方式", "执结方式", "closure_method"],
            Column::Cause => &["案由", "执行案由", "执行依据案由", "原审案由", "cause"],
            Column::ClaimAmount => {
                &["申请执行标的", "申请执行标的额", "申请执行标的金额", "执行标的", "应执行标的金额", "申请执行金额", "claim_amount"]
            }
            Column::RecoveredAmount => {
                &["执行到位金额", "实际执行到位金额", "到位金额", "执行到位标的", "已执行标的金额", "实际到位金额", "recovered_amount"]
            }
            Column::SuspendedDays => &["扣除天数", "扣除审限天数", "审限扣除天数", "suspended_days"],
            Column::ExtendedDays => &["延长天数", "延长审限天数", "延长期限天数", "extended_days"],
            Column::InvolvesEnterprise => &["是否涉企", "涉企", "involves_enterprise"],
            Column::Applicant => &["申请执行人", "申请人", "applicant"],
            Column::Respondent => &["被执行人", "respondent"],
            Column::CourtName => &["执行法院", "承办法院", "法院", "法院名称", "court_name"],
            Column::UpdatedAt => &["更新时间", "数据更新时间", "最后修改时间", "updated_at"],
            Column::DeadlineDate => &["执行期限届满日期", "法定期限届满日期", "审限届满日期", "deadline_date"],
            Column::ExecutedFlag => &["实结标志", "是否实际执结", "executed_flag"],
        }
    }

    /// The column a normalised header word names, if any.
    pub fn matching(word: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.words().iter().any(|w| w.eq_ignore_ascii_case(word)))
    }
}

/// A header cell after §2's normalisation, and the unit it declared.
pub fn normalize_cell(cell: &str) -> (String, Option<AmountUnit>) {
    let n = nfkc_trim(cell);
    for (suffix, unit) in [("(万元)", AmountUnit::TenThousandYuan), ("(元)", AmountUnit::Yuan)] {
        if let Some(stem) = n.strip_suffix(suffix) {
            return (stem.trim().to_string(), Some(unit));
        }
    }
    (n.into_owned(), None)
}

/// Where each canonical column sits in a file.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderMap {
    #[serde(skip)]
    pub index: [Option<usize>; COLUMN_COUNT],
    #[serde(skip)]
    pub claim_unit: AmountUnit,
    #[serde(skip)]
    pub recovered_unit: AmountUnit,
    /// canonical column → the header cell as written, for the manifest
    pub mapping: Vec<(Column, String)>,
    pub unknown: Vec<String>,
    /// each unknown column's position in the header
    #[serde(skip)]
    pub unknown_at: Vec<usize>,
    pub width: usize,
}

impl HeaderMap {
    pub fn get(&self, c: Column) -> Option<usize> {
        self.index[c as usize]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// No line among the first ten maps every required column: `missing`
    /// says what the closest one lacks (§2).
    #[error("{}", self.message(Lang::En))]
    Missing { line: u64, missing: Vec<&'static str> },
    #[error("{}", self.message(Lang::En))]
    Ambiguous { column: &'static str, first: String, second: String },
}

use crate::messages::{Lang, Msg};

/// "the required column closure_method (accepted header words: …)", for
/// every column missing.
fn describe_missing(missing: &[&'static str], lang: Lang) -> String {
    let one = |name: &&str| {
        let words = Column::ALL.into_iter().find(|c| c.name() == *name).map(|c| c.words().join(", ")).unwrap_or_default();
        Msg::RejMissingColumn.say(lang, &[name, &words])
    };
    let listed = missing.iter().map(one).collect::<Vec<_>>().join(if lang == Lang::Zh { "；" } else { "; " });
    let frame = if missing.len() == 1 { Msg::RejMissingOne } else { Msg::RejMissingMany };
    frame.say(lang, &[&listed])
}

impl HeaderError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            HeaderError::Missing { line, missing } => Msg::RejNoHeader.say(lang, &[line, &describe_missing(missing, lang)]),
            HeaderError::Ambiguous { column, first, second } => Msg::RejAmbiguous.say(lang, &[&format!("{first:?}"), &format!("{second:?}"), column]),
        }
    }

    /// How many required columns the line lacked (`None`: it mapped them all).
    pub fn missing_count(&self) -> Option<usize> {
        match self {
            HeaderError::Missing { missing, .. } => Some(missing.len()),
            HeaderError::Ambiguous { .. } => None,
        }
    }

    /// The same error, naming the line it is about.
    pub fn at_line(self, at: u64) -> HeaderError {
        match self {
            HeaderError::Missing { missing, .. } => HeaderError::Missing { line: at, missing },
            other => other,
        }
    }
}

pub fn map_header(cells: &[String]) -> Result<HeaderMap, HeaderError> {
    let mut index = [None; COLUMN_COUNT];
    let mut mapping: Vec<(Column, String)> = Vec::new();
    let mut unknown = Vec::new();
    let mut unknown_at = Vec::new();
    let mut claim_unit = AmountUnit::Yuan;
    let mut recovered_unit = AmountUnit::Yuan;
    for (i, cell) in cells.iter().enumerate() {
        let (word, unit) = normalize_cell(cell);
        match Column::matching(&word) {
            Some(col) => {
                if let Some(prev) = index[col as usize] {
                    let prev: usize = prev;
                    return Err(HeaderError::Ambiguous { column: col.name(), first: cells[prev].clone(), second: cell.clone() });
                }
                index[col as usize] = Some(i);
                mapping.push((col, cell.clone()));
                match col {
                    Column::ClaimAmount => claim_unit = unit.unwrap_or(AmountUnit::Yuan),
                    Column::RecoveredAmount => recovered_unit = unit.unwrap_or(AmountUnit::Yuan),
                    _ => {}
                }
            }
            None => {
                unknown.push(cell.clone());
                unknown_at.push(i);
            }
        }
    }
    let missing: Vec<&'static str> = Column::ALL.into_iter().filter(|c| c.required() && index[*c as usize].is_none()).map(Column::name).collect();
    if !missing.is_empty() {
        // the line is the caller's to say
        return Err(HeaderError::Missing { line: 0, missing });
    }
    mapping.sort();
    Ok(HeaderMap { index, claim_unit, recovered_unit, mapping, unknown, unknown_at, width: cells.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(s: &str) -> Vec<String> {
        s.split(',').map(String::from).collect()
    }

    #[test]
    fn chinese_and_english_variants_with_units_map() {
        let h = map_header(&cells("执行案号,立案时间,结案时间,执结方式,执行依据案由,申请执行标的（万元）,实际执行到位金额(元),CASE_NOTE")).unwrap();
        assert_eq!(h.get(Column::CaseNo), Some(0));
        assert_eq!(h.get(Column::ClaimAmount), Some(5));
        assert_eq!(h.claim_unit, AmountUnit::TenThousandYuan);
        assert_eq!(h.recovered_unit, AmountUnit::Yuan);
        assert_eq!(h.unknown, vec!["CASE_NOTE"]);
        let e = map_header(&cells("Case_No,FILING_DATE,closing_date,Closure_Method,cause")).unwrap();
        assert_eq!(e.get(Column::Cause), Some(4));
    }

    #[test]
    fn full_width_header_cells_match_after_nfkc() {
        let h = map_header(&cells(" 案号 ,立案日期,结案日期,结案方式,案由,到位金额（元）")).unwrap();
        assert_eq!(h.get(Column::RecoveredAmount), Some(5));
    }

    #[test]
    fn a_missing_required_column_names_the_words_accepted() {
        let e = map_header(&cells("案号,立案日期,结案日期,案由")).unwrap_err();
        assert_eq!(e, HeaderError::Missing { line: 0, missing: vec!["closure_method"] });
        assert_eq!(
            e.at_line(3).to_string(),
            "no header: line 3, the closest among the first 10 lines, lacks the required column closure_method (accepted header words: 结案方式, 执结方式, closure_method)"
        );
    }

    #[test]
    fn two_cells_for_one_column_are_ambiguous() {
        let e = map_header(&cells("案号,执行案号,立案日期,结案日期,结案方式,案由")).unwrap_err();
        assert!(matches!(e, HeaderError::Ambiguous { column: "case_no", .. }));
    }
}
