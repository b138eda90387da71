//! Stage 3, dedup: keeps one version of each case number (§6). Exports are
//! re-sent with newer status, so the same case arrives several times.

use crate::domain::{Case, CaseKey, CaseNumber};
use crate::normalize::{FileAccount, QuarantinedRow, Validated};
use crate::reference::{CourtId, Courts};

/// A case number that arrived more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// the number, formatted only when the table is written: its text on
    /// the heap would take more than twice the room
    pub key: CaseKey,
    pub court: CourtId,
    pub versions: u32,
    pub kept_file: u32,
    pub kept_line: u32,
    /// the versions disagree on the filing date
    pub conflict: bool,
}

impl Duplicate {
    pub fn number(&self, courts: &Courts) -> CaseNumber {
        self.key.with_court(courts.code(self.court))
    }
}

/// What stages 1 to 3 found: every input file's account, the quarantined
/// rows, and one version of each case number. Every later stage starts
/// from this; the incremental layer (`crate::incremental`) returns the very
/// same value without parsing the files that did not change.
#[derive(Debug, Default)]
pub struct Deduplicated {
    /// every input file, in input order (rejected ones too)
    pub files: Vec<FileAccount>,
    /// the run's causes (what the cases' `CauseId`s index)
    pub causes: Vec<String>,
    /// the accepted files' quarantined rows, file by file in input order
    pub quarantined: Vec<QuarantinedRow>,
    /// one version per case number, sorted by canonical case number (the
    /// case table's order, §9)
    pub cases: Vec<Case>,
    /// sorted by canonical case number
    pub duplicates: Vec<Duplicate>,
}

impl Deduplicated {
    /// The input files' names, in input order (what `file` indices name).
    pub fn file_names(&self) -> Vec<String> {
        self.files.iter().map(|f| f.entry.file.clone()).collect()
    }
}

/// Stage 3: one version of each case number of the accepted files.
pub fn dedup(v: Validated, courts: &Courts) -> Deduplicated {
    let Validated { files, cases, quarantined, causes } = v;
    let kept = keep_one(cases, courts);
    crate::memory::trim();
    Deduplicated { files, causes, quarantined, cases: kept.cases, duplicates: kept.duplicates }
}

#[derive(Debug, Default)]
pub struct Kept {
    /// one version per case number, sorted by canonical case number
    pub cases: Vec<Case>,
    /// sorted by canonical case number
    pub duplicates: Vec<Duplicate>,
    /// versions dropped in favour of another
    pub dropped: u64,
}

/// True when `b` is kept over `a`: latest `updated_at` (missing is oldest),
/// then a closed version over a pending one, then the later in input order.
pub fn beats(b: &Case, a: &Case) -> bool {
    (b.updated_at, b.is_closed(), b.file, b.line) > (a.updated_at, a.is_closed(), a.file, a.line)
}

/// `cases` in any order; the result depends on it only through the
/// (file, line) tie-break, which is part of each case. The kept cases come
/// back sorted by canonical case number, filtered and permuted in place (no
/// second copy).
///
/// Two equal case numbers name the same court, so each court's cases are
/// deduplicated on their own, the courts in parallel: smaller maps, and both
/// cores busy.
pub fn keep_one(mut cases: Vec<Case>, courts: &Courts) -> Kept {
    use rayon::prelude::*;
    // each court's members, by a counting sort: one exact allocation
    let mut start = vec![0usize; courts.list.len() + 1];
    for c in &cases {
        let k = c.court as usize + 1;
        if k >= start.len() {
            start.resize(k + 1, 0);
        }
        start[k] += 1;
    }
    let court_count = start.len() - 1;
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut members = vec![0u32; cases.len()];
    let mut next = start.clone();
    for (i, c) in cases.iter().enumerate() {
        members[next[c.court as usize]] = i as u32;
        next[c.court as usize] += 1;
    }
    drop(next);
    let groups: Vec<(Vec<u32>, Vec<Duplicate>)> =
        (0..court_count).into_par_iter().map(|k| dedup_court(&cases, &members[start[k]..start[k + 1]])).collect();
    drop(members);
    let mut keep = vec![true; cases.len()];
    let mut duplicates = Vec::with_capacity(groups.iter().map(|g| g.1.len()).sum());
    let mut dropped = 0;
    let mut trims = crate::memory::TrimEvery::new();
    for (gone, d) in groups {
        dropped += gone.len() as u64;
        for i in gone {
            keep[i as usize] = false;
        }
        let moved = d.len();
        duplicates.extend(d);
        // the courts' own vectors, freed as they are emptied, go back now:
        // at national scale they are hundreds of megabytes
        trims.freed::<Duplicate>(moved);
    }
    // the duplicates' order and the kept cases', side by side
    rayon::join(
        || sort_by_number(&mut duplicates, courts),
        || {
            let mut flags = keep.into_iter();
            cases.retain(|_| flags.next().unwrap_or(false));
            cases.shrink_to_fit();
            crate::number_order::sort_in_place(&mut cases, |c| c.number(courts));
        },
    );
    Kept { cases, duplicates, dropped }
}

/// Sorts duplicates by canonical case number (the duplicates table's order).
pub fn sort_by_number(duplicates: &mut [Duplicate], courts: &Courts) {
    crate::number_order::sort_in_place(duplicates, |d| d.number(courts));
}

/// One court's cases (`members`, indices into `cases`): the index of each
/// version dropped, and the numbers that came more than once.
fn dedup_court(cases: &[Case], members: &[u32]) -> (Vec<u32>, Vec<Duplicate>) {
    struct Slot {
        kept: u32,
        versions: u32,
        conflict: bool,
    }
    let mut slots: foldhash::HashMap<CaseKey, Slot> = foldhash::HashMap::with_capacity_and_hasher(members.len(), Default::default());
    let mut dropped = Vec::new();
    for &i in members {
        let c = &cases[i as usize];
        match slots.entry(c.key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(Slot { kept: i, versions: 1, conflict: false });
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let slot = o.get_mut();
                slot.versions += 1;
                let kept = &cases[slot.kept as usize];
                slot.conflict |= kept.filing != c.filing;
                if beats(c, kept) {
                    dropped.push(slot.kept);
                    slot.kept = i;
                } else {
                    dropped.push(i);
                }
            }
        }
    }
    let mut duplicates = Vec::with_capacity(slots.values().filter(|s| s.versions > 1).count());
    for (key, slot) in &slots {
        if slot.versions > 1 {
            let k = &cases[slot.kept as usize];
            duplicates.push(Duplicate {
                key: *key,
                court: k.court,
                versions: slot.versions,
                kept_file: k.file,
                kept_line: k.line,
                conflict: slot.conflict,
            });
        }
    }
    (dropped, duplicates)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{ClosureMethod, TypeCode};
    use crate::reference::CauseCategory;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    /// Three basic courts: ids 0, 1, 2 are 冀0821, 冀0822, 冀0823.
    pub fn courts() -> Courts {
        let text =
            "court_code,court_name,city,level\n冀0821,甲县人民法院,承德市,基层\n冀0822,乙县人民法院,承德市,基层\n冀0823,丙县人民法院,承德市,基层\n";
        Courts::parse(text, "test".into()).unwrap()
    }

    /// Case （2023）冀0821执`seq`号 of court 0.
    pub fn case(seq: u64, file: u32, line: u32) -> Case {
        Case {
            key: CaseKey { year: 2023, special_code: None, type_code: TypeCode::new("执").unwrap(), seq },
            court: 0,
            filing: NaiveDate::from_ymd_opt(2023, 1, 10).unwrap(),
            closing: None,
            method: None,
            cause: None,
            category: CauseCategory::Other,
            claim: crate::domain::MaybeFen::UNKNOWN,
            recovered: crate::domain::MaybeFen::UNKNOWN,
            suspended_days: 0,
            extended_days: 0,
            enterprise: false,
            executed_flag: None,
            parties: None,
            updated_at: crate::domain::UpdatedAt::MISSING,
            deadline: None,
            file,
            line,
        }
    }

    fn at(s: &str) -> crate::domain::UpdatedAt {
        crate::domain::UpdatedAt::new(Some(chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()))
    }

    fn dedup(cases: Vec<Case>) -> Kept {
        super::keep_one(cases, &courts())
    }

    fn closed(mut c: Case) -> Case {
        c.closing = NaiveDate::from_ymd_opt(2023, 3, 1);
        c.method = Some(ClosureMethod::Completed);
        c
    }

    #[test]
    fn latest_updated_at_wins_even_when_earlier_in_input() {
        let mut a = case(1, 0, 5);
        a.updated_at = at("2023-08-25 10:00");
        let mut b = closed(case(1, 1, 3));
        b.updated_at = at("2023-07-01 10:00");
        let d = dedup(vec![a, b]);
        assert_eq!((d.cases[0].file, d.cases[0].line), (0, 5));
        assert_eq!(d.duplicates[0].versions, 2);
        assert_eq!(d.dropped, 1);
    }

    #[test]
    fn missing_updated_at_is_oldest() {
        let mut a = case(1, 0, 5);
        a.updated_at = at("2000-01-01 00:00");
        let b = case(1, 1, 3);
        assert_eq!(dedup(vec![a, b]).cases[0].file, 0);
    }

    #[test]
    fn closed_version_beats_pending_on_tie() {
        let a = closed(case(1, 0, 5));
        let b = case(1, 1, 3);
        let d = dedup(vec![a, b]);
        assert_eq!((d.duplicates[0].kept_file, d.duplicates[0].kept_line), (0, 5));
    }

    #[test]
    fn last_in_input_order_wins_a_full_tie() {
        let d = dedup(vec![case(1, 0, 9), case(1, 1, 2), case(1, 0, 4)]);
        assert_eq!((d.cases[0].file, d.cases[0].line), (1, 2));
        assert_eq!(d.duplicates[0].versions, 3);
    }

    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        for order in [vec![2u32, 0, 1, 4, 3], vec![0, 1, 2], vec![], vec![3, 2, 1, 0], vec![1, 2, 3, 4, 0]] {
            let mut v: Vec<u32> = (0..order.len() as u32).map(|x| x * 10).collect();
            let want: Vec<u32> = order.iter().map(|&i| i * 10).collect();
            crate::number_order::permute(&mut v, order);
            assert_eq!(v, want);
        }
    }

    #[test]
    fn conflict_when_versions_disagree_on_filing_date() {
        let a = case(1, 0, 1);
        let mut b = case(1, 0, 2);
        b.filing = NaiveDate::from_ymd_opt(2023, 1, 11).unwrap();
        assert!(dedup(vec![a.clone(), b]).duplicates[0].conflict);
        assert!(!dedup(vec![a.clone(), case(1, 0, 3)]).duplicates[0].conflict);
    }

    fn arb_cases() -> impl Strategy<Value = Vec<Case>> {
        prop::collection::vec((0u64..6, 0u32..3, 0u8..4, any::<bool>(), 0u32..3), 0..40).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (seq, file, upd, is_closed, fd))| {
                    let mut c = case(seq, file, i as u32 + 2);
                    c.updated_at = if upd == 0 { crate::domain::UpdatedAt::MISSING } else { at(&format!("2023-0{upd}-01 00:00")) };
                    c.filing = NaiveDate::from_ymd_opt(2023, 1, 1 + fd).unwrap();
                    if is_closed {
                        c = closed(c);
                    }
                    c
                })
                .collect()
        })
    }

    /// The rule of §6 written plainly: group by number, keep the version no
    /// other beats.
    /// (number, versions, kept file, kept line, conflict)
    type DuplicateRow = (String, u32, u32, u32, bool);

    fn reference(cases: &[Case]) -> (Vec<(u32, u32)>, Vec<DuplicateRow>) {
        let courts = courts();
        let mut groups: std::collections::BTreeMap<String, Vec<&Case>> = Default::default();
        for c in cases {
            groups.entry(c.number(&courts).to_string()).or_default().push(c);
        }
        let mut kept = Vec::new();
        let mut dups = Vec::new();
        for (no, vs) in groups {
            let best = vs.iter().copied().find(|a| vs.iter().all(|b| std::ptr::eq(*a, *b) || !beats(b, a))).unwrap();
            kept.push((best.file, best.line));
            if vs.len() > 1 {
                dups.push((no, vs.len() as u32, best.file, best.line, vs.iter().any(|v| v.filing != vs[0].filing)));
            }
        }
        // in the order of the case numbers' text (the map's)
        (kept, dups)
    }

    proptest! {
        #[test]
        fn dedup_agrees_with_the_rule_written_plainly_across_courts(cases in arb_cases(), courts in prop::collection::vec(0u32..3, 40)) {
            let cases: Vec<Case> = cases.into_iter().zip(courts).map(|(mut c, k)| {
                c.court = k;
                c
            }).collect();
            let (kept, dups) = reference(&cases);
            let d = dedup(cases);
            prop_assert_eq!(d.cases.iter().map(|c| (c.file, c.line)).collect::<Vec<_>>(), kept);
            let got: Vec<_> = d.duplicates.iter().map(|x| (x.number(&super::tests::courts()).to_string(), x.versions, x.kept_file, x.kept_line, x.conflict)).collect();
            prop_assert_eq!(got, dups);
        }

        #[test]
        fn dedup_is_idempotent(cases in arb_cases()) {
            let once = dedup(cases);
            let twice = dedup(once.cases.clone());
            prop_assert_eq!(&once.cases, &twice.cases);
            prop_assert!(twice.duplicates.is_empty());
        }

        #[test]
        fn dedup_does_not_depend_on_the_order_cases_arrive_in(cases in arb_cases(), seed in any::<u64>()) {
            let mut shuffled = cases.clone();
            // a deterministic Fisher–Yates from the seed
            let mut s = seed | 1;
            for i in (1..shuffled.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                shuffled.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let a = dedup(cases);
            let b = dedup(shuffled);
            prop_assert_eq!(a.cases, b.cases);
            prop_assert_eq!(a.duplicates, b.duplicates);
        }
    }
}
