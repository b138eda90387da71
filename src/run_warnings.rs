//! The warnings of a run that publishes (§10): what a statistician must know
//! before sending the figures on — courts that sent nothing (未报送), data
//! that stopped being updated (数据滞后), a snapshot date in the future, a
//! period over a year, a period with no first-enforcement case. Worked out
//! once from the figures; printed on stderr, kept in `run.json` and shown at
//! the top of the report.

use crate::indicators::{Definitions, Indicators, Period};
use crate::reference::Courts;
use chrono::NaiveDate;
use serde::Serialize;

/// How many courts a warning's message names before it says "and N more".
const NAMED: usize = 10;

/// The kinds of §10, each with its `run.json` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// a basic court of the table without a kept case
    CourtsUnreported,
    /// a court's latest update more than `stale_days` before `as_of`
    StaleData,
    /// `as_of` after the day of the run
    AsOfInFuture,
    /// `from`..`as_of` longer than 366 days
    LongPeriod,
    /// no first-enforcement case filed or closed within the period
    EmptyPeriod,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::CourtsUnreported => "courts_unreported",
            Kind::StaleData => "stale_data",
            Kind::AsOfInFuture => "as_of_in_future",
            Kind::LongPeriod => "long_period",
            Kind::EmptyPeriod => "empty_period",
        }
    }
}

/// One warning: its kind, what it says (in English on stderr, in Chinese in
/// the report), and the court codes it is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunWarning {
    pub kind: Kind,
    pub message: String,
    pub message_zh: String,
    pub courts: Vec<String>,
}

impl RunWarning {
    /// How many things the warning counts in `run.json`'s `warnings`.
    pub fn count(&self) -> u64 {
        self.courts.len().max(1) as u64
    }
}

/// Every warning of §10 for a run's figures, in the order of `Kind`.
pub fn of(ind: &Indicators, courts: &Courts, period: &Period, defs: &Definitions, today: NaiveDate) -> Vec<RunWarning> {
    let mut out = Vec::new();
    let unreported: Vec<&crate::reference::Court> = ind.unreported().map(|c| courts.get(c.court)).collect();
    if !unreported.is_empty() {
        let names: Vec<String> = unreported.iter().map(|c| format!("{}（{}）", c.name, c.code)).collect();
        let codes: Vec<String> = unreported.iter().map(|c| c.code.clone()).collect();
        out.push(RunWarning {
            kind: Kind::CourtsUnreported,
            message: format!(
                "{} of {} basic courts sent no case (未报送; their zeros are no figures): {}",
                unreported.len(),
                ind.province_coverage.expected,
                first_ten(&codes, ", ")
            ),
            message_zh: format!("{} 个基层法院未报送数据：{}", unreported.len(), first_ten(&names, "、")),
            courts: unreported.iter().map(|c| c.code.clone()).collect(),
        });
    }
    let stale_before = period.as_of.checked_sub_days(chrono::Days::new(u64::from(defs.stale_days)));
    let stale: Vec<(&crate::reference::Court, NaiveDate)> = ind
        .courts
        .iter()
        .filter_map(|c| c.latest_update.filter(|d| stale_before.is_some_and(|s| *d < s)).map(|d| (courts.get(c.court), d)))
        .collect();
    if !stale.is_empty() {
        let names: Vec<String> = stale.iter().map(|(c, d)| format!("{}（{}，最近更新 {d}）", c.name, c.code)).collect();
        let codes: Vec<String> = stale.iter().map(|(c, d)| format!("{} (last updated {d})", c.code)).collect();
        out.push(RunWarning {
            kind: Kind::StaleData,
            message: format!(
                "{} courts' data is stale (数据滞后: last updated more than stale_days = {} before as_of): {}",
                stale.len(),
                defs.stale_days,
                first_ten(&codes, ", ")
            ),
            message_zh: format!("{} 个法院数据滞后（最近更新早于统计截止日 {} 天以上）：{}", stale.len(), defs.stale_days, first_ten(&names, "、")),
            courts: stale.iter().map(|(c, _)| c.code.clone()).collect(),
        });
    }
    if period.as_of > today {
        out.push(RunWarning {
            kind: Kind::AsOfInFuture,
            message: format!("as_of {} is after today ({today}): pending cases and deadlines are counted as on that future day", period.as_of),
            message_zh: format!("统计截止日 {} 晚于今天 {today}：未结案件按截止日计算，期限和超期天数都不是今天的", period.as_of),
            courts: Vec::new(),
        });
    }
    if period.days() > 366 {
        out.push(RunWarning {
            kind: Kind::LongPeriod,
            message: format!("the period {} to {} is {} days long, over a year", period.from, period.as_of, period.days()),
            message_zh: format!("统计期间 {} 至 {} 长达 {} 天，超过一年", period.from, period.as_of, period.days()),
            courts: Vec::new(),
        });
    }
    if ind.province.filed == 0 && ind.province.closed == 0 {
        out.push(RunWarning {
            kind: Kind::EmptyPeriod,
            message: format!("no first-enforcement case was filed or closed between {} and {}", period.from, period.as_of),
            message_zh: format!("统计期间 {} 至 {} 内没有新收或已结的首次执行案件", period.from, period.as_of),
            courts: Vec::new(),
        });
    }
    out
}

/// The first ten names, and how many more, in the language `sep` belongs to
/// ("、" Chinese, anything else English).
fn first_ten(names: &[String], sep: &str) -> String {
    let shown = names.iter().take(NAMED).cloned().collect::<Vec<_>>().join(sep);
    let more = names.len().saturating_sub(NAMED);
    match more {
        0 => shown,
        _ if sep == "、" => format!("{shown} 等（另有 {more} 个）"),
        _ => format!("{shown} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::{compute, Incomplete};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn warnings_for(cases: &[crate::domain::Case], period: Period, today: &str) -> Vec<RunWarning> {
        let courts = crate::dedup::tests::courts();
        let defs = Definitions::default();
        let ind = compute(cases, &courts, &period, &defs, &Incomplete::default());
        of(&ind, &courts, &period, &defs, d(today))
    }

    #[test]
    fn a_court_without_cases_is_unreported_and_named() {
        let courts = crate::dedup::tests::courts();
        let basic: Vec<String> = courts.list.iter().filter(|c| c.level == crate::reference::CourtLevel::Basic).map(|c| c.code.clone()).collect();
        let w = warnings_for(&[], Period { from: d("2023-01-01"), as_of: d("2023-08-22") }, "2023-08-22");
        assert_eq!(w.iter().map(|w| w.kind).collect::<Vec<_>>(), [Kind::CourtsUnreported, Kind::EmptyPeriod]);
        assert_eq!(w[0].courts, basic);
        assert!(w[0].message_zh.starts_with(&format!("{} 个基层法院未报送数据", basic.len())), "{}", w[0].message_zh);
        assert!(w[0].message.starts_with(&format!("{} of {} basic courts sent no case", basic.len(), basic.len())), "{}", w[0].message);
    }

    #[test]
    fn a_future_as_of_and_a_long_period_warn() {
        let w = warnings_for(&[], Period { from: d("2022-01-01"), as_of: d("2031-01-01") }, "2026-12-02");
        let kinds: Vec<Kind> = w.iter().map(|w| w.kind).collect();
        assert!(kinds.contains(&Kind::AsOfInFuture) && kinds.contains(&Kind::LongPeriod), "{kinds:?}");
        let w = warnings_for(&[], Period { from: d("2024-01-01"), as_of: d("2024-12-31") }, "2024-12-31");
        assert!(!w.iter().any(|w| matches!(w.kind, Kind::AsOfInFuture | Kind::LongPeriod)), "366 days of a leap year are one year");
    }

    #[test]
    fn a_court_whose_latest_update_is_older_than_stale_days_is_named() {
        let at = |day: &str| crate::domain::UpdatedAt::new(Some(d(day).and_hms_opt(9, 0, 0).unwrap()));
        let mut fresh = crate::dedup::tests::case(1, 0, 1);
        fresh.updated_at = at("2023-08-15");
        let mut old = crate::dedup::tests::case(2, 0, 2);
        old.court = 1;
        old.updated_at = at("2023-08-14");
        let mut third = crate::dedup::tests::case(3, 0, 3);
        third.court = 2;
        let w = warnings_for(&[fresh, old, third], Period { from: d("2023-01-01"), as_of: d("2023-08-22") }, "2023-08-22");
        // 7 days before 22 August is the 15th: the 15th is not stale, the 14th is
        assert_eq!(w.iter().map(|w| (w.kind, w.courts.clone())).collect::<Vec<_>>(), [(Kind::StaleData, vec!["冀0822".to_string()])]);
        assert!(w[0].message_zh.contains("乙县人民法院（冀0822，最近更新 2023-08-14）"), "{}", w[0].message_zh);
        assert!(w[0].message.contains("冀0822 (last updated 2023-08-14)"), "{}", w[0].message);
    }

    #[test]
    fn first_ten_names_ten_and_counts_the_rest() {
        let names: Vec<String> = (0..12).map(|i| i.to_string()).collect();
        assert_eq!(first_ten(&names, "、"), "0、1、2、3、4、5、6、7、8、9 等（另有 2 个）");
        assert_eq!(first_ten(&names, ", "), "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more");
        assert_eq!(first_ten(&names[..2], "、"), "0、1");
    }
}
