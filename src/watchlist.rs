//! The watch lists (清单, §11): which first-enforcement cases a court's
//! 执行局 acts on the next morning. The figures say where a court stands;
//! these say which cases to take up. `approaching`, `overdue` and
//! `long_pending` are the very sets the figures `approaching`,
//! `overdue_pending` and `long_pending` count (`indicators::Facts`); the
//! other three are defined here, from the same month arithmetic.

use crate::domain::{Case, ClosureMethod};
use crate::indicators::facts::{months_after, months_reached, pending_at};
use crate::indicators::{Count, Counted, Definitions, Facts, Period};
use crate::reference::Courts;
use chrono::{Datelike, NaiveDate};

/// The six lists, in the order of §11 (the table's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum List {
    /// 临期预警: pending, the deadline within the warning horizon
    Approaching,
    /// 超期未结: pending, past the deadline
    Overdue,
    /// 长期未结: pending for 12 months or more
    LongPending,
    /// 终本过快: 终本 within `termination_min_months` of filing
    EarlyTermination,
    /// 终本案件定期查询: a six-monthly asset query falls due soon
    TerminationReview,
    /// 合同类未实际执结: a contract case pending, or closed by 终本
    ContractUnexecuted,
}

impl List {
    pub const ALL: [List; 6] =
        [List::Approaching, List::Overdue, List::LongPending, List::EarlyTermination, List::TerminationReview, List::ContractUnexecuted];

    pub fn code(self) -> &'static str {
        match self {
            List::Approaching => "approaching",
            List::Overdue => "overdue",
            List::LongPending => "long_pending",
            List::EarlyTermination => "early_termination",
            List::TerminationReview => "termination_review",
            List::ContractUnexecuted => "contract_unexecuted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            List::Approaching => "临期预警",
            List::Overdue => "超期未结",
            List::LongPending => "长期未结",
            List::EarlyTermination => "终本过快",
            List::TerminationReview => "终本案件定期查询",
            List::ContractUnexecuted => "合同类未实际执结",
        }
    }
}

/// One case on one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub list: List,
    /// index into the kept cases
    pub case: u32,
    pub days: i64,
    pub level: Option<u32>,
}

/// What the report shows of the lists (§11): each court's count on each
/// list, and each city's longest-overdue cases. Kept in `run.json`, so that
/// `courtstat report` shows the same from a published folder.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// court code → count on each list, in `List::ALL` order
    pub by_court: std::collections::BTreeMap<String, [u64; 6]>,
    /// per city, its overdue cases longest past the deadline first
    pub longest_overdue: Vec<Overdue>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Overdue {
    pub city: String,
    pub case_no: String,
    pub court_name: String,
    /// ISO date
    pub deadline: Option<String>,
    pub days: i64,
}

/// How many of each city's longest-overdue cases the summary keeps.
pub const LONGEST_PER_CITY: usize = 5;

/// The watch lists as a run made them: every entry in §11's order, and
/// each court's count on each list (what the counting sort that orders the
/// entries counts anyway; the workbook, the report and the manifest need
/// the counts without going through a million entries again).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchList {
    pub entries: Vec<Entry>,
    /// by court id: the count on each list, in `List::ALL` order
    pub counts: Vec<[u64; 6]>,
    /// what the report shows of them, made beside the figures of last
    /// year (one thread's walk over the overdue list, which at the end of
    /// the run held up the publishing with the other core idle)
    pub summary: Summary,
}

impl WatchList {
    /// Each court's count on each list (`List::ALL` order), by court code;
    /// the courts on no list left out.
    pub fn counts_by_court(&self, courts: &Courts) -> std::collections::BTreeMap<String, [u64; 6]> {
        courts.list.iter().zip(&self.counts).filter(|(_, n)| n.iter().any(|&k| k > 0)).map(|(c, n)| (c.code.clone(), *n)).collect()
    }
}

impl Summary {
    pub fn of(lists: &WatchList, cases: &[Case], courts: &Courts) -> Summary {
        // by court id and city index while counting (a million entries on a
        // busy province), by code and name once at the end
        let cities = courts.cities();
        let city_of: Vec<Option<usize>> = courts.list.iter().map(|c| c.city.as_ref().and_then(|n| cities.binary_search(n).ok())).collect();
        let mut worst: Vec<Vec<(i64, String, u32)>> = vec![Vec::new(); cities.len()];
        // the overdue list's entries, without looking up the others' cases
        for e in lists.entries.iter().filter(|e| e.list == List::Overdue) {
            let Some(c) = cases.get(e.case as usize) else { continue };
            let Some(w) = city_of.get(c.court as usize).copied().flatten().and_then(|k| worst.get_mut(k)) else {
                continue;
            };
            if w.len() == LONGEST_PER_CITY && w.last().is_some_and(|x| x.0 > e.days) {
                continue;
            }
            w.push((e.days, c.number(courts).to_string(), e.case));
            // longest first, then by case number: the same cases every run
            w.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            w.truncate(LONGEST_PER_CITY);
        }
        let by_court = lists.counts_by_court(courts);
        let mut longest_overdue = Vec::new();
        for (city, w) in cities.iter().zip(worst) {
            for (days, case_no, case) in w {
                let c = &cases[case as usize];
                let court_name = courts.get(c.court).name.clone();
                longest_overdue.push(Overdue { city: city.clone(), case_no, court_name, deadline: c.deadline.map(|d| d.to_string()), days });
            }
        }
        Summary { by_court, longest_overdue }
    }
}

/// The month counts `long_pending`'s level names, largest first.
const LONG_PENDING_LEVELS: [u32; 3] = [36, 18, 12];
/// `termination_review`: every six months for five years after the closing.
const REVIEW_EVERY_MONTHS: u32 = 6;
const REVIEWS: u32 = 10;

/// Every list's entries, sorted by list (in §11's order), court code, then
/// case number, with each court's counts. `cases` come in case-number
/// order and the entries are made in that order, part by part on every
/// thread, each with its (list, court) bucket while its case is at hand; a
/// stable counting sort by bucket finishes it: no comparison, and each
/// case is looked at once.
pub fn lists(cases: &[Case], courts: &Courts, p: &Period, defs: &Definitions) -> WatchList {
    use rayon::prelude::*;
    // courts ranked by code text
    let mut by_code: Vec<u32> = (0..courts.list.len() as u32).collect();
    by_code.sort_by(|a, b| courts.get(*a).code.cmp(&courts.get(*b).code).then(a.cmp(b)));
    let mut rank = vec![0u32; courts.list.len()];
    for (r, &id) in by_code.iter().enumerate() {
        rank[id as usize] = r as u32;
    }
    let n = courts.list.len();
    if left_out_for_bench() {
        return WatchList { entries: Vec::new(), counts: vec![[0; 6]; n], summary: Summary::default() };
    }
    let parts: Vec<Vec<(u32, Entry)>> = cases
        .par_chunks(CASES_PER_PART)
        .enumerate()
        .map(|(k, part)| {
            let (mut made, mut one) = (Vec::new(), Vec::new());
            for (j, c) in part.iter().enumerate() {
                entries_into(&Counted::of(c), (k * CASES_PER_PART + j) as u32, p, defs, &mut one);
                let court = rank.get(c.court as usize).copied().unwrap_or(0) as usize;
                made.extend(one.drain(..).map(|e| ((e.list as usize * n + court) as u32, e)));
            }
            made
        })
        .collect();
    let mut starts = vec![0usize; List::ALL.len() * n + 1];
    for (bucket, _) in parts.iter().flatten() {
        starts[*bucket as usize + 1] += 1;
    }
    let mut counts = vec![[0u64; 6]; n];
    for (id, r) in rank.iter().enumerate() {
        for l in 0..List::ALL.len() {
            counts[id][l] = starts[l * n + *r as usize + 1] as u64;
        }
    }
    for k in 1..starts.len() {
        starts[k] += starts[k - 1];
    }
    let mut entries = vec![Entry { list: List::Approaching, case: 0, days: 0, level: None }; starts[starts.len() - 1]];
    for (bucket, e) in parts.into_iter().flatten() {
        let at = &mut starts[bucket as usize];
        entries[*at] = e;
        *at += 1;
    }
    let mut made = WatchList { entries, counts, summary: Summary::default() };
    made.summary = Summary::of(&made, cases, courts);
    made
}

/// `COURTSTAT_BENCH_NO_LISTS=1`, for `make bench` only: every list left
/// empty, so that the bench can time the same build with and without the
/// lists (what the lists cost is one of its figures). Not a setting: the
/// contract's outputs need the lists, and docs/operations.md says so.
fn left_out_for_bench() -> bool {
    std::env::var_os("COURTSTAT_BENCH_NO_LISTS").is_some_and(|v| v == "1")
}

/// Cases a thread makes entries of at a time.
const CASES_PER_PART: usize = 1 << 14;

fn days_between(a: chrono::NaiveDate, b: chrono::NaiveDate) -> i64 {
    // day numbers subtracted: chrono's `Sub` builds a `TimeDelta` first
    i64::from(b.num_days_from_ce()) - i64::from(a.num_days_from_ce())
}

/// The lists one case is on.
pub fn entries_of(c: &Counted, case: u32, p: &Period, defs: &Definitions) -> Vec<Entry> {
    let mut out = Vec::new();
    entries_into(c, case, p, defs, &mut out);
    out
}

/// `entries_of`, appended to `out`.
fn entries_into(c: &Counted, case: u32, p: &Period, defs: &Definitions, out: &mut Vec<Entry>) {
    let Some(f) = Facts::of(c, p, defs) else { return };
    if !defs.is_first(c.type_code) {
        return;
    }
    let mut add = |list, days, level| out.push(Entry { list, case, days, level });
    let as_of = p.as_of;
    if let (true, Some(d)) = (f.has(Count::Approaching), c.deadline) {
        let days = days_between(as_of, d);
        let level = defs.warn_days.iter().copied().filter(|&w| i64::from(w) >= days).min();
        add(List::Approaching, days, level);
    }
    if let (true, Some(d)) = (f.has(Count::OverduePending), c.deadline) {
        add(List::Overdue, days_between(d, as_of), None);
    }
    if f.has(Count::LongPending) {
        let level = LONG_PENDING_LEVELS.into_iter().find(|&m| months_reached(c.filing, m, as_of));
        add(List::LongPending, days_between(c.filing, as_of), level);
    }
    let terminated = c.method == Some(ClosureMethod::TerminatedThisRound);
    if let (true, Some(closing)) = (terminated, c.closing) {
        if p.contains(closing) && !months_reached(c.filing, defs.termination_min_months, closing) {
            add(List::EarlyTermination, days_between(c.filing, closing), None);
        }
        if let Some((k, r)) = review_due(closing, as_of, defs.review_days) {
            add(List::TerminationReview, days_between(as_of, r), Some(k));
        }
    }
    let closed_by_termination = terminated && c.closing.is_some_and(|d| p.contains(d));
    if c.contract && (pending_at(c, as_of) || closed_by_termination) {
        add(List::ContractUnexecuted, days_between(c.filing, as_of), None);
    }
}

/// The six-monthly asset query of a 终本 case closed on `closing` that
/// falls due within `review_days` of `as_of` (as_of included): which one
/// (k = 1 … 10) and when.
fn review_due(closing: NaiveDate, as_of: NaiveDate, review_days: u32) -> Option<(u32, NaiveDate)> {
    if closing > as_of {
        return None;
    }
    let until = as_of.checked_add_days(chrono::Days::new(u64::from(review_days)))?;
    // the k-th review lies in an earlier month than as_of while 6k is fewer
    // than the months between them: the search starts past those
    let months = (as_of.year() - closing.year()) * 12 + as_of.month() as i32 - closing.month() as i32;
    let first = (months.max(0) as u32).div_ceil(REVIEW_EVERY_MONTHS).max(1);
    // the k-th review date grows with k: the first one on or after as_of
    // is the only candidate (the search used to go on to the tenth)
    (first..=REVIEWS)
        .map_while(|k| Some((k, months_after(closing, REVIEW_EVERY_MONTHS * k)?)))
        .find(|(_, r)| as_of <= *r)
        .filter(|(_, r)| *r <= until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TypeCode;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn case(filed: &str, closed: Option<(&str, ClosureMethod)>, contract: bool) -> Counted {
        let filing = d(filed);
        Counted {
            filing,
            closing: closed.map(|c| d(c.0)),
            deadline: crate::domain::deadline(filing, 6, 0, 0),
            type_code: TypeCode::new("执").unwrap(),
            method: closed.map(|c| c.1),
            contract,
            enterprise: false,
            claim: None,
            recovered: None,
            executed_flag: None,
        }
    }

    fn on(c: &Counted, p: &Period) -> Vec<(List, i64, Option<u32>)> {
        entries_of(c, 0, p, &Definitions::default()).into_iter().map(|e| (e.list, e.days, e.level)).collect()
    }

    fn period() -> Period {
        Period { from: d("2023-01-01"), as_of: d("2023-08-22") }
    }

    #[test]
    fn approaching_and_overdue_at_their_boundaries() {
        let p = period();
        // deadline = filing + 6 months
        assert_eq!(on(&case("2023-03-21", None, false), &p), [(List::Approaching, 30, Some(30))], "as_of + 30 days");
        assert_eq!(on(&case("2023-03-22", None, false), &p), [], "31 days ahead: on no list");
        assert_eq!(on(&case("2023-02-22", None, false), &p), [(List::Approaching, 0, Some(5))], "on the deadline");
        assert_eq!(on(&case("2023-02-21", None, false), &p), [(List::Overdue, 1, None)], "one day past it");
        assert_eq!(on(&case("2023-02-27", None, false), &p), [(List::Approaching, 5, Some(5))]);
        assert_eq!(on(&case("2023-02-28", None, false), &p), [(List::Approaching, 6, Some(10))], "the smallest step at least the days");
    }

    #[test]
    fn a_31_august_filing_is_due_on_the_last_day_of_february() {
        for (filed, due) in [("2022-08-31", "2023-02-28"), ("2023-08-31", "2024-02-29")] {
            let p = Period { from: d("2023-01-01"), as_of: d(due) };
            assert_eq!(on(&case(filed, None, false), &p), [(List::Approaching, 0, Some(5))], "{filed}");
            let next = Period { from: d("2023-01-01"), as_of: d(due) + chrono::Days::new(1) };
            assert_eq!(on(&case(filed, None, false), &next)[0], (List::Overdue, 1, None), "{filed}");
        }
    }

    #[test]
    fn long_pending_from_twelve_months_to_the_day_with_its_level() {
        let p = period();
        let long = |filed: &str| on(&case(filed, None, false), &p).into_iter().find(|e| e.0 == List::LongPending);
        assert_eq!(long("2022-08-22"), Some((List::LongPending, 365, Some(12))), "12 months to the day");
        assert_eq!(long("2022-08-23"), None);
        assert_eq!(long("2022-02-22").map(|e| e.2), Some(Some(18)));
        assert_eq!(long("2020-08-22").map(|e| e.2), Some(Some(36)));
    }

    #[test]
    fn early_termination_within_three_calendar_months() {
        let p = period();
        let t = ClosureMethod::TerminatedThisRound;
        let early = |filed: &str, closed: &str| on(&case(filed, Some((closed, t)), false), &p).iter().any(|e| e.0 == List::EarlyTermination);
        assert!(early("2023-03-01", "2023-05-31"));
        assert!(!early("2023-03-01", "2023-06-01"), "three months to the day is not too fast");
        assert!(!early("2022-11-01", "2022-12-01"), "closed before the period");
        assert!(!on(&case("2023-03-01", Some(("2023-04-01", ClosureMethod::Completed)), false), &p).iter().any(|e| e.0 == List::EarlyTermination));
    }

    #[test]
    fn a_termination_review_falls_due_every_six_months_within_review_days() {
        let p = period();
        let t = ClosureMethod::TerminatedThisRound;
        let review = |closed: &str| on(&case("2020-01-01", Some((closed, t)), false), &p).into_iter().find(|e| e.0 == List::TerminationReview);
        // the sixth-month anniversary of the closing falls on as_of
        assert_eq!(review("2023-02-22"), Some((List::TerminationReview, 0, Some(1))));
        assert_eq!(review("2022-08-22"), Some((List::TerminationReview, 0, Some(2))), "the twelfth month: the second query");
        assert_eq!(review("2023-03-18"), Some((List::TerminationReview, 27, Some(1))));
        assert_eq!(review("2023-03-21"), Some((List::TerminationReview, 30, Some(1))), "as_of + review_days");
        assert_eq!(review("2023-03-22"), None, "31 days ahead");
        assert_eq!(review("2023-02-21"), None, "passed yesterday");
        assert_eq!(review("2018-08-22"), Some((List::TerminationReview, 0, Some(10))), "the tenth, after five years");
        assert_eq!(review("2018-02-22"), None, "an eleventh query is not asked for");
    }

    #[test]
    fn contract_cases_pending_or_closed_by_termination() {
        let p = period();
        let unexecuted = |c: Counted| on(&c, &p).iter().any(|e| e.0 == List::ContractUnexecuted);
        assert!(unexecuted(case("2023-07-01", None, true)));
        assert!(unexecuted(case("2023-03-01", Some(("2023-05-01", ClosureMethod::TerminatedThisRound)), true)));
        assert!(!unexecuted(case("2023-03-01", Some(("2023-05-01", ClosureMethod::Completed)), true)));
        assert!(!unexecuted(case("2023-07-01", None, false)));
        assert!(unexecuted(case("2023-07-01", Some(("2023-09-01", ClosureMethod::Completed)), true)), "closed after as_of: pending then");
    }

    #[test]
    fn a_case_filed_after_as_of_or_of_another_type_is_on_no_list() {
        let p = period();
        assert!(on(&case("2023-08-23", None, true), &p).is_empty());
        let mut c = case("2022-01-01", None, true);
        c.type_code = TypeCode::new("执恢").unwrap();
        assert!(on(&c, &p).is_empty());
    }

    #[test]
    fn the_lists_come_in_list_court_code_and_case_number_order_with_each_courts_counts() {
        // court ids not in code order, so that the sort by code shows
        let text =
            "court_code,court_name,city,level\n冀0823,丙县人民法院,承德市,基层\n冀0821,甲县人民法院,承德市,基层\n冀0822,乙县人民法院,承德市,基层\n";
        let courts = Courts::parse(text, "test".into()).unwrap();
        let base = d("2021-01-01");
        let all: Vec<Case> = (1..=3000u64)
            .map(|seq| {
                let mut c = crate::dedup::tests::case(seq, 0, seq as u32);
                c.court = (seq % 3) as u32;
                c.filing = base + chrono::Days::new(seq * 7 % 960);
                c.deadline = crate::domain::deadline(c.filing, 6, 0, 0);
                if seq % 5 == 0 {
                    (c.closing, c.method) = (Some(c.filing + chrono::Days::new(60)), Some(ClosureMethod::TerminatedThisRound));
                }
                if seq % 2 == 0 {
                    c.category = crate::reference::CauseCategory::Contract;
                }
                c
            })
            .collect();
        let cases: Vec<Case> =
            crate::number_order::by_case_number(&all, |c| c.number(&courts)).into_iter().map(|i| all[i as usize].clone()).collect();
        let (p, defs) = (period(), Definitions::default());
        let made = lists(&cases, &courts, &p, &defs);
        let row = |e: &Entry| {
            let c = &cases[e.case as usize];
            (e.list, courts.get(c.court).code.clone(), c.number(&courts).to_string(), e.days, e.level)
        };
        let mut every: Vec<Entry> = cases.iter().enumerate().flat_map(|(i, c)| entries_of(&Counted::of(c), i as u32, &p, &defs)).collect();
        every.sort_by_key(|e| {
            let (list, code, number, ..) = row(e);
            (list, code, number)
        });
        assert!(List::ALL.iter().all(|l| every.iter().any(|e| e.list == *l)), "every list has cases");
        assert_eq!(made.entries.iter().map(row).collect::<Vec<_>>(), every.iter().map(row).collect::<Vec<_>>());
        let mut counts = vec![[0u64; 6]; courts.list.len()];
        for e in &every {
            counts[cases[e.case as usize].court as usize][e.list as usize] += 1;
        }
        assert_eq!(made.counts, counts);
    }

    proptest::proptest! {
        #[test]
        fn the_review_search_finds_what_a_search_from_the_first_review_finds(
            closing in 0i64..40_000, gap in -400i64..2_500, review_days in 1u32..400
        ) {
            let base = d("1900-01-01");
            let closing = base + chrono::Duration::days(closing);
            let as_of = closing + chrono::Duration::days(gap);
            let naive = if closing > as_of { None } else {
                as_of.checked_add_days(chrono::Days::new(u64::from(review_days))).and_then(|until| (1..=REVIEWS).find_map(|k| {
                    let r = months_after(closing, REVIEW_EVERY_MONTHS * k)?;
                    (as_of <= r && r <= until).then_some((k, r))
                }))
            };
            proptest::prop_assert_eq!(review_due(closing, as_of, review_days), naive);
        }
    }
}
