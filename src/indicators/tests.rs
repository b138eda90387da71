//! A hand-worked example (the one docs/indicators.md walks through): ten
//! cases of one basic court, period 2023-01-01..2023-06-30, 6-month deadline.

use super::*;
use crate::domain::ClosureMethod;
use crate::domain::{deadline, CaseKey, Fen, TypeCode};
use crate::reference::{CauseCategory, Courts};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Spec {
    seq: u64,
    ty: &'static str,
    filed: &'static str,
    closed: Option<(&'static str, ClosureMethod)>,
    contract: bool,
    enterprise: bool,
    claim: Option<i64>,
    recovered: Option<i64>,
}

fn case(courts: &Courts, s: &Spec) -> Case {
    let filing = d(s.filed);
    Case {
        key: CaseKey { year: 2023, special_code: None, type_code: TypeCode::new(s.ty).unwrap(), seq: s.seq },
        court: courts.id("冀0821").unwrap(),
        filing,
        closing: s.closed.map(|c| d(c.0)),
        method: s.closed.map(|c| c.1),
        cause: None,
        category: if s.contract { CauseCategory::Contract } else { CauseCategory::Other },
        claim: crate::domain::MaybeFen::new(s.claim.map(Fen)),
        recovered: crate::domain::MaybeFen::new(s.recovered.map(Fen)),
        suspended_days: 0,
        extended_days: 0,
        enterprise: s.enterprise,
        executed_flag: None,
        parties: None,
        updated_at: crate::domain::UpdatedAt::MISSING,
        deadline: deadline(filing, 6, 0, 0),
        file: 0,
        line: s.seq as u32,
    }
}

fn example() -> (Courts, Vec<Case>, Period) {
    use ClosureMethod::*;
    let courts = Courts::load(None).unwrap();
    let none = Spec { seq: 0, ty: "执", filed: "", closed: None, contract: false, enterprise: false, claim: None, recovered: None };
    let specs = [
        // A: carried over (filed before `from`), completed in term, contract
        Spec {
            seq: 1,
            filed: "2022-10-01",
            closed: Some(("2023-02-15", Completed)),
            contract: true,
            claim: Some(100_000),
            recovered: Some(100_000),
            ..none
        },
        // B: closed before the period: not accepted, counts nowhere
        Spec { seq: 2, filed: "2022-11-01", closed: Some(("2022-12-20", Completed)), ..none },
        // C: new, pending, deadline not yet reached
        Spec { seq: 3, filed: "2023-01-10", ..none },
        // D: new, closed after as_of: pending at as_of
        Spec { seq: 4, filed: "2023-02-01", closed: Some(("2023-09-01", Completed)), ..none },
        // E: carried over, pending, deadline 2023-02-28 (31 Aug + 6 months): overdue
        Spec { seq: 5, filed: "2022-08-31", ..none },
        // F: new, 终本 in term, enterprise, claim but no recovered amount
        Spec { seq: 6, filed: "2023-03-01", closed: Some(("2023-03-31", TerminatedThisRound)), enterprise: true, claim: Some(50_000), ..none },
        // G: 执恢, not first enforcement: only the all_* counts
        Spec { seq: 7, ty: "执恢", filed: "2023-01-05", closed: Some(("2023-01-20", Completed)), ..none },
        // H: filed after as_of: left out of every figure
        Spec { seq: 8, filed: "2023-07-05", ..none },
        // I: new, completed on as_of, two days before its deadline, contract
        Spec {
            seq: 9,
            filed: "2023-01-02",
            closed: Some(("2023-06-30", Completed)),
            contract: true,
            claim: Some(20_000),
            recovered: Some(5_000),
            ..none
        },
        // J: carried over, 终结执行 after its deadline (2023-06-01)
        Spec { seq: 10, filed: "2022-12-01", closed: Some(("2023-06-10", Terminated)), ..none },
    ];
    let cases = specs.iter().map(|s| case(&courts, s)).collect();
    (courts, cases, Period { from: d("2023-01-01"), as_of: d("2023-06-30") })
}

fn court_figures(ind: &Indicators, courts: &Courts, code: &str) -> Figures {
    let id = courts.id(code).unwrap();
    ind.courts.iter().find(|c| c.court == id).unwrap().figures.clone()
}

#[test]
fn worked_example_counts() {
    let (courts, cases, p) = example();
    let f = court_figures(&compute(&cases, &courts, &p, &Definitions::default(), &Incomplete::default()), &courts, "冀0821");
    assert_eq!((f.filed, f.accepted, f.closed, f.pending), (4, 7, 4, 3));
    assert_eq!((f.completed, f.contract_closed, f.contract_completed), (2, 2, 2));
    assert_eq!((f.enterprise_closed, f.enterprise_completed), (1, 0));
    assert_eq!((f.in_term, f.overdue_pending, f.terminated), (3, 1, 1));
    assert_eq!((f.all_filed, f.all_closed, f.all_pending), (5, 5, 3));
}

#[test]
fn worked_example_rates_amounts_and_days() {
    let (courts, cases, p) = example();
    let f = court_figures(&compute(&cases, &courts, &p, &Definitions::default(), &Incomplete::default()), &courts, "冀0821");
    assert_eq!(f.closure_rate, Some(4.0 / 7.0));
    assert_eq!(f.completion_rate, Some(0.5));
    assert_eq!(f.contract_completion_rate, Some(1.0));
    assert_eq!(f.enterprise_completion_rate, Some(0.0));
    assert_eq!(f.in_term_rate, Some(0.75));
    assert_eq!(f.termination_rate, Some(0.25));
    assert_eq!((f.claim_fen, f.recovered_fen), (170_000, 105_000));
    assert_eq!(f.recovery_rate, Some(105_000.0 / 120_000.0));
    // closing − filing over the closed set: 30, 137, 179, 191
    assert_eq!(f.avg_days, Some(134.25));
    assert_eq!(f.median_days, Some(158.0));
    assert!((f.p90_days.unwrap() - 187.4).abs() < 1e-9);
    assert_eq!(f.clearance_rate, Some(1.0));
    // 181 days in the period × 3 pending / 4 closed
    assert_eq!(f.disposition_days, Some(135.75));
}

#[test]
fn pending_is_accepted_minus_closed_for_every_unit() {
    let (courts, cases, p) = example();
    let ind = compute(&cases, &courts, &p, &Definitions::default(), &Incomplete::default());
    let all = ind.courts.iter().map(|c| &c.figures).chain(ind.cities.iter().map(|c| &c.figures)).chain([&ind.province]);
    for f in all {
        assert_eq!(f.pending, f.accepted - f.closed);
    }
}

#[test]
fn zero_denominators_give_none_never_zero_or_nan() {
    let courts = Courts::load(None).unwrap();
    let p = Period { from: d("2023-01-01"), as_of: d("2023-06-30") };
    let f = court_figures(&compute(&[], &courts, &p, &Definitions::default(), &Incomplete::default()), &courts, "冀0102");
    assert_eq!((f.closed, f.completion_rate, f.in_term_rate, f.recovery_rate, f.median_days, f.disposition_days), (0, None, None, None, None, None));
}

#[test]
fn every_basic_court_has_a_row_and_other_courts_only_with_cases() {
    let (courts, cases, p) = example();
    let ind = compute(&cases, &courts, &p, &Definitions::default(), &Incomplete::default());
    assert_eq!(ind.courts.len(), 167);
    assert!(ind.courts.iter().all(|c| courts.get(c.court).level == CourtLevel::Basic));
    let mut higher = cases[0].clone();
    higher.court = courts.id("冀08").unwrap();
    let ind = compute(&[higher], &courts, &p, &Definitions::default(), &Incomplete::default());
    assert_eq!(ind.courts.len(), 168);
    let codes: Vec<&str> = ind.courts.iter().map(|c| courts.get(c.court).code.as_str()).collect();
    let at = codes.iter().position(|c| *c == "冀08").unwrap();
    assert_eq!(&codes[at - 1..=at + 1], &["冀0732", "冀08", "冀0802"], "sorted byte-wise");
}

#[test]
fn cities_and_province_add_up_their_courts() {
    let (courts, cases, p) = example();
    let ind = compute(&cases, &courts, &p, &Definitions::default(), &Incomplete::default());
    let chengde = ind.cities.iter().find(|c| c.city == "承德市").unwrap();
    assert_eq!(chengde.figures, court_figures(&ind, &courts, "冀0821"));
    assert_eq!(ind.province, chengde.figures);
    assert_eq!(ind.cities.len(), 11);
}

#[test]
fn monthly_figures_cover_every_month_of_the_period_with_zeros() {
    let (courts, cases, p) = example();
    let ind = compute(&cases, &courts, &p, &Definitions::default(), &Incomplete::default());
    let id = courts.id("冀0821").unwrap();
    let rows: Vec<_> = ind.monthly.iter().filter(|m| m.court == id).collect();
    assert_eq!(rows.len(), 6);
    let counts: Vec<(u64, u64, u64, u64)> = rows.iter().map(|r| (r.counts.filed, r.counts.closed, r.counts.completed, r.counts.in_term)).collect();
    assert_eq!(counts, vec![(2, 0, 0, 0), (1, 1, 1, 1), (1, 1, 0, 1), (0, 0, 0, 0), (0, 0, 0, 0), (0, 2, 1, 1)]);
    assert_eq!(ind.monthly.len(), 167 * 6);
}

#[test]
fn a_period_across_years_lists_months_in_order() {
    let m = months_of(&Period { from: d("2022-11-15"), as_of: d("2023-02-01") });
    assert_eq!(m, vec![d("2022-11-01"), d("2022-12-01"), d("2023-01-01"), d("2023-02-01")]);
}

#[test]
fn incomplete_units_are_marked() {
    let (courts, cases, p) = example();
    let mut inc = Incomplete { province: true, ..Default::default() };
    inc.courts.insert(courts.id("冀0821").unwrap());
    inc.cities.insert("承德市".into());
    let ind = compute(&cases, &courts, &p, &Definitions::default(), &inc);
    assert!(!ind.province_complete);
    assert!(!ind.courts.iter().find(|c| c.court == courts.id("冀0821").unwrap()).unwrap().complete);
    assert!(ind.courts.iter().find(|c| c.court == courts.id("冀0822").unwrap()).unwrap().complete);
    assert!(!ind.cities.iter().find(|c| c.city == "承德市").unwrap().complete);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn arb_case(courts: &Courts) -> impl Strategy<Value = Case> {
        let ids: Vec<CourtId> = ["冀0821", "冀0802", "冀08", "冀0102", "冀"].iter().map(|c| courts.id(c).unwrap()).collect();
        (0..ids.len(), 0u64..500, 0i64..700, prop::option::of(0i64..400), 0u8..3, any::<bool>(), 0u32..60).prop_map(
            move |(court, seq, filed_offset, duration, ty, contract, extra)| {
                let filing = d("2022-06-01") + chrono::Days::new(filed_offset as u64);
                let closing = duration.map(|x| filing + chrono::Days::new(x as u64));
                Case {
                    key: CaseKey { year: 2023, special_code: None, type_code: TypeCode::new(["执", "执恢", "执异"][ty as usize]).unwrap(), seq },
                    court: ids[court],
                    filing,
                    closing,
                    method: closing.map(|_| if seq % 3 == 0 { ClosureMethod::Completed } else { ClosureMethod::TerminatedThisRound }),
                    cause: None,
                    category: if contract { CauseCategory::Contract } else { CauseCategory::Other },
                    claim: crate::domain::MaybeFen::UNKNOWN,
                    recovered: crate::domain::MaybeFen::UNKNOWN,
                    suspended_days: extra,
                    extended_days: 0,
                    enterprise: false,
                    executed_flag: None,
                    parties: None,
                    updated_at: crate::domain::UpdatedAt::MISSING,
                    deadline: deadline(filing, 6, 0, extra),
                    file: 0,
                    line: seq as u32,
                }
            },
        )
    }

    proptest! {
        #[test]
        fn pending_is_accepted_minus_closed_and_parts_never_exceed_wholes(
            cases in prop::collection::vec(arb_case(&Courts::load(None).unwrap()), 0..80),
            from_offset in 0u64..300, len in 0u64..400,
        ) {
            let courts = Courts::load(None).unwrap();
            let from = d("2022-09-01") + chrono::Days::new(from_offset);
            let p = Period { from, as_of: from + chrono::Days::new(len) };
            let ind = compute(&cases, &courts, &p, &Definitions::default(), &Incomplete::default());
            let all = ind.courts.iter().map(|c| &c.figures).chain(ind.cities.iter().map(|c| &c.figures)).chain([&ind.province]);
            for f in all {
                prop_assert_eq!(f.pending, f.accepted - f.closed);
                prop_assert!(f.filed <= f.accepted && f.completed <= f.closed && f.in_term <= f.closed);
                prop_assert!(f.contract_completed <= f.contract_closed && f.contract_closed <= f.closed);
                prop_assert!(f.overdue_pending <= f.pending && f.all_filed >= f.filed && f.all_closed >= f.closed);
                for r in [f.completion_rate, f.in_term_rate, f.closure_rate].into_iter().flatten() {
                    prop_assert!((0.0..=1.0).contains(&r));
                }
            }
            // the province is the sum of its courts
            let sum: u64 = ind.courts.iter().map(|c| c.figures.closed).sum();
            prop_assert_eq!(sum, ind.province.closed);
        }
    }
}
