//! Stage 5, rank: competition ranks and tiers (等次) of basic courts and of
//! cities on the three ranked indicators (§8). Ranks compare exact ratios by
//! cross-multiplication, so two courts at 7/20 and 14/40 tie.

use crate::indicators::{Figures, Indicators};
use crate::reference::{CourtLevel, Courts};
use std::cmp::Ordering;

/// The three indicators the province ranks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranked {
    Completion,
    ContractCompletion,
    InTerm,
}

impl Ranked {
    pub const ALL: [Ranked; 3] = [Ranked::Completion, Ranked::ContractCompletion, Ranked::InTerm];

    /// (numerator, denominator) of the indicator.
    pub fn parts(self, f: &Figures) -> (u64, u64) {
        match self {
            Ranked::Completion => (f.completed, f.closed),
            Ranked::ContractCompletion => (f.contract_completed, f.contract_closed),
            Ranked::InTerm => (f.in_term, f.closed),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Excellent,
    Good,
    Fair,
}

impl Tier {
    pub fn label(self) -> &'static str {
        match self {
            Tier::Excellent => "优秀",
            Tier::Good => "良好",
            Tier::Fair => "一般",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub excellent: f64,
    pub good: f64,
}

#[derive(Debug, Clone)]
pub struct RankSettings {
    pub min_closed: u64,
    /// in the order of `Ranked::ALL`
    pub tiers: [Thresholds; 3],
    /// §14 `ranking = false`: tiers only, every rank empty
    pub ranking: bool,
}

/// Ranks and tiers of one unit, each in the order of `Ranked::ALL`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standing {
    pub rank: [Option<u32>; 3],
    pub city_rank: [Option<u32>; 3],
    pub tier: [Option<Tier>; 3],
}

#[derive(Debug, Clone, Default)]
pub struct Rankings {
    /// parallel to `Indicators::courts`
    pub courts: Vec<Standing>,
    /// parallel to `Indicators::cities`
    pub cities: Vec<Standing>,
}

impl Rankings {
    pub fn ranked_courts(&self) -> usize {
        self.courts.iter().filter(|s| s.rank.iter().any(Option::is_some)).count()
    }
}

/// A unit's index and its (numerator, denominator).
type Member = (usize, (u64, u64));

/// `a/b` against `c/d`, exactly.
fn cmp_ratio((a, b): (u64, u64), (c, d): (u64, u64)) -> Ordering {
    (u128::from(a) * u128::from(d)).cmp(&(u128::from(c) * u128::from(b)))
}

/// Competition ranks (1, 2, 2, 4), highest first, of the eligible members.
fn competition_ranks(members: &[Member]) -> Vec<(usize, u32)> {
    let mut sorted: Vec<_> = members.to_vec();
    // full tie-break on the member index keeps the order deterministic
    sorted.sort_by(|x, y| cmp_ratio(y.1, x.1).then(x.0.cmp(&y.0)));
    let mut out = Vec::with_capacity(sorted.len());
    for (pos, m) in sorted.iter().enumerate() {
        let rank = if pos > 0 && cmp_ratio(sorted[pos - 1].1, m.1) == Ordering::Equal { out.last().map_or(1, |&(_, r)| r) } else { pos as u32 + 1 };
        out.push((m.0, rank));
    }
    out
}

fn tier(parts: (u64, u64), t: Thresholds) -> Tier {
    let v = parts.0 as f64 / parts.1 as f64;
    if v >= t.excellent {
        Tier::Excellent
    } else if v >= t.good {
        Tier::Good
    } else {
        Tier::Fair
    }
}

pub fn rank(ind: &Indicators, courts: &Courts, s: &RankSettings) -> Rankings {
    let mut out = Rankings { courts: vec![Standing::default(); ind.courts.len()], cities: vec![Standing::default(); ind.cities.len()] };
    let basic: Vec<usize> = (0..ind.courts.len()).filter(|&i| courts.get(ind.courts[i].court).level == CourtLevel::Basic).collect();
    for (k, which) in Ranked::ALL.into_iter().enumerate() {
        let eligible = |i: &usize, f: &Figures| -> Option<Member> {
            let p = which.parts(f);
            (p.1 >= s.min_closed && p.1 > 0).then_some((*i, p))
        };
        // basic courts across the province
        let members: Vec<_> = basic.iter().filter_map(|i| eligible(i, &ind.courts[*i].figures)).collect();
        for (i, r) in competition_ranks(&members) {
            out.courts[i].rank[k] = Some(r);
        }
        for &(i, p) in &members {
            out.courts[i].tier[k] = Some(tier(p, s.tiers[k]));
        }
        // basic courts within their city
        let mut by_city: std::collections::BTreeMap<&str, Vec<Member>> = Default::default();
        for m in &members {
            if let Some(city) = courts.get(ind.courts[m.0].court).city.as_deref() {
                by_city.entry(city).or_default().push(*m);
            }
        }
        for group in by_city.values() {
            for (i, r) in competition_ranks(group) {
                out.courts[i].city_rank[k] = Some(r);
            }
        }
        // cities against each other
        let members: Vec<_> = ind.cities.iter().enumerate().filter_map(|(i, c)| eligible(&i, &c.figures)).collect();
        for (i, r) in competition_ranks(&members) {
            out.cities[i].rank[k] = Some(r);
        }
        for &(i, p) in &members {
            out.cities[i].tier[k] = Some(tier(p, s.tiers[k]));
        }
    }
    if !s.ranking {
        for st in out.courts.iter_mut().chain(out.cities.iter_mut()) {
            (st.rank, st.city_rank) = ([None; 3], [None; 3]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competition_ranking_shares_ranks_and_skips_after_ties() {
        let m = vec![(0, (1, 2)), (1, (3, 4)), (2, (2, 4)), (3, (1, 10))];
        let mut r = competition_ranks(&m);
        r.sort();
        assert_eq!(r, vec![(0, 2), (1, 1), (2, 2), (3, 4)]);
    }

    #[test]
    fn ranks_compare_exact_ratios_not_rounded_floats() {
        // 1/3 and 333333333/1000000000 differ only past the ninth decimal
        let m = vec![(0, (1, 3)), (1, (333_333_333, 1_000_000_000))];
        let mut r = competition_ranks(&m);
        r.sort();
        assert_eq!(r, vec![(0, 1), (1, 2)]);
        assert_eq!(cmp_ratio((7, 20), (14, 40)), Ordering::Equal);
    }

    #[test]
    fn tiers_use_at_least_the_threshold() {
        let t = Thresholds { excellent: 0.35, good: 0.25 };
        assert_eq!(tier((7, 20), t), Tier::Excellent);
        assert_eq!(tier((5, 20), t), Tier::Good);
        assert_eq!(tier((4, 20), t), Tier::Fair);
    }
}
