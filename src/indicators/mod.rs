//! Stage 4, indicators: the figures of §7 for every court, city and the
//! province, and the monthly figures per court. Counts and fen are summed
//! exactly; a ratio with a zero denominator is `None`, never 0 or NaN.

pub mod assessment;
pub mod columns;
pub mod facts;
pub mod quantile;

pub use assessment::{Interval, UnitKind};
pub use facts::{Count, Counted, Definitions, Facts};

use crate::domain::{month_start, Case};
use crate::reference::{CourtId, CourtLevel, Courts};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeSet;

/// The snapshot a run describes (§4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub as_of: NaiveDate,
}

impl Period {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.as_of
    }
    /// `(as_of − from) + 1`
    pub fn days(&self) -> i64 {
        (self.as_of - self.from).num_days() + 1
    }
}

/// Running sums for one unit; turned into `Figures` at the end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    counts: [u64; Count::N],
    claim_fen: i128,
    recovered_fen: i128,
    both_claim_fen: i128,
    both_recovered_fen: i128,
    /// closed cases' durations (`figures` sorts them)
    days: Vec<i64>,
    /// completed cases' durations, summed, and how many
    completed_days: i128,
    completed_n: u64,
}

impl Tally {
    /// Adds another unit's sums: the sums of the cases of both.
    fn merge(&mut self, o: &Tally) {
        let Tally { counts, claim_fen, recovered_fen, both_claim_fen, both_recovered_fen, days, completed_days, completed_n } = o;
        for (a, b) in self.counts.iter_mut().zip(counts) {
            *a += b;
        }
        self.claim_fen += claim_fen;
        self.recovered_fen += recovered_fen;
        self.both_claim_fen += both_claim_fen;
        self.both_recovered_fen += both_recovered_fen;
        self.days.extend_from_slice(days);
        self.completed_days += completed_days;
        self.completed_n += completed_n;
    }

    fn add(&mut self, c: &Counted, f: &Facts) {
        for k in Count::ALL {
            self.counts[k as usize] += u64::from(f.has(k));
        }
        if f.has(Count::Closed) {
            if let Some(a) = c.claim {
                self.claim_fen += i128::from(a);
            }
            if let Some(r) = c.recovered {
                self.recovered_fen += i128::from(r);
            }
            if let Some(d) = f.days {
                self.days.push(d);
                if f.has(Count::Completed) {
                    self.completed_days += i128::from(d);
                    self.completed_n += 1;
                }
            }
        }
        if let (true, Some(a), Some(r)) = (f.has(Count::ClosedWithAmounts), c.claim, c.recovered) {
            self.both_claim_fen += i128::from(a);
            self.both_recovered_fen += i128::from(r);
        }
    }

    /// The count of a set.
    pub fn count(&self, k: Count) -> u64 {
        self.counts[k as usize]
    }

    pub fn figures(mut self, period: &Period) -> Figures {
        self.days.sort_unstable();
        let n = self.days.len();
        let avg_days = (n > 0).then(|| self.days.iter().map(|&d| d as f64).sum::<f64>() / n as f64);
        let c = |k: Count| self.count(k);
        use Count::*;
        Figures {
            filed: c(Filed),
            accepted: c(Accepted),
            closed: c(Closed),
            pending: c(Pending),
            closure_rate: ratio(c(Closed), c(Accepted)),
            completed: c(Completed),
            completion_rate: ratio(c(Completed), c(Closed)),
            contract_closed: c(ContractClosed),
            contract_completed: c(ContractCompleted),
            contract_completion_rate: ratio(c(ContractCompleted), c(ContractClosed)),
            enterprise_closed: c(EnterpriseClosed),
            enterprise_completed: c(EnterpriseCompleted),
            enterprise_completion_rate: ratio(c(EnterpriseCompleted), c(EnterpriseClosed)),
            in_term: c(InTerm),
            in_term_rate: ratio(c(InTerm), c(Closed)),
            overdue_pending: c(OverduePending),
            terminated: c(Terminated),
            termination_rate: ratio(c(Terminated), c(Closed)),
            claim_fen: self.claim_fen,
            recovered_fen: self.recovered_fen,
            recovery_rate: (self.both_claim_fen != 0).then(|| self.both_recovered_fen as f64 / self.both_claim_fen as f64),
            avg_days,
            median_days: quantile::type7(&self.days, 0.5),
            p90_days: quantile::type7(&self.days, 0.9),
            clearance_rate: ratio(c(Closed), c(Filed)),
            disposition_days: (c(Closed) > 0).then(|| (period.days() as f64 * c(Pending) as f64) / c(Closed) as f64),
            all_filed: c(AllFiled),
            all_closed: c(AllClosed),
            all_pending: c(AllPending),
            executed: c(Executed),
            executed_rate: ratio(c(Executed), c(Accepted)),
            executed_closed_share: ratio(c(Executed), c(Closed)),
            termination_accepted_rate: ratio(c(Terminated), c(Accepted)),
            pending_rate: ratio(c(Pending), c(Accepted)),
            completed_avg_days: (self.completed_n > 0).then(|| self.completed_days as f64 / self.completed_n as f64),
            approaching: c(Approaching),
            long_pending: c(LongPending),
            long_pending_rate: ratio(c(LongPending), c(Pending)),
        }
    }
}

/// `num / den`, or `None` (never 0 or NaN) when the denominator is zero.
pub fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// The columns of §7, in the contract's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub filed: u64,
    pub accepted: u64,
    pub closed: u64,
    pub pending: u64,
    pub closure_rate: Option<f64>,
    pub completed: u64,
    pub completion_rate: Option<f64>,
    pub contract_closed: u64,
    pub contract_completed: u64,
    pub contract_completion_rate: Option<f64>,
    pub enterprise_closed: u64,
    pub enterprise_completed: u64,
    pub enterprise_completion_rate: Option<f64>,
    pub in_term: u64,
    pub in_term_rate: Option<f64>,
    pub overdue_pending: u64,
    pub terminated: u64,
    pub termination_rate: Option<f64>,
    pub claim_fen: i128,
    pub recovered_fen: i128,
    pub recovery_rate: Option<f64>,
    pub avg_days: Option<f64>,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
    pub clearance_rate: Option<f64>,
    pub disposition_days: Option<f64>,
    pub all_filed: u64,
    pub all_closed: u64,
    pub all_pending: u64,
    pub executed: u64,
    pub executed_rate: Option<f64>,
    pub executed_closed_share: Option<f64>,
    pub termination_accepted_rate: Option<f64>,
    pub pending_rate: Option<f64>,
    pub completed_avg_days: Option<f64>,
    pub approaching: u64,
    pub long_pending: u64,
    pub long_pending_rate: Option<f64>,
}

/// One monthly figure of a court (first-enforcement cases only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthCounts {
    pub filed: u64,
    pub closed: u64,
    pub completed: u64,
    pub in_term: u64,
}

#[derive(Debug, Clone)]
pub struct CourtFigures {
    pub court: CourtId,
    pub complete: bool,
    pub figures: Figures,
    /// §9: at least one kept case (of any type or date) is the court's; a
    /// basic court without is 未报送 and its zeros are no figures
    pub reported: bool,
    /// the date of the latest `updated_at` among its kept cases
    pub latest_update: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct CityFigures {
    pub city: String,
    pub complete: bool,
    pub figures: Figures,
    pub coverage: Coverage,
}

/// §9: how many of a unit's basic courts (in the courts table) reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    pub reported: u64,
    pub expected: u64,
}

impl Coverage {
    fn count(&mut self, reported: bool) {
        self.expected += 1;
        self.reported += u64::from(reported);
    }
}

#[derive(Debug, Clone)]
pub struct MonthlyRow {
    pub court: CourtId,
    /// first day of the month
    pub month: NaiveDate,
    pub counts: MonthCounts,
}

#[derive(Debug, Clone)]
pub struct Indicators {
    pub courts: Vec<CourtFigures>,
    pub cities: Vec<CityFigures>,
    pub province: Figures,
    pub province_complete: bool,
    pub province_coverage: Coverage,
    pub monthly: Vec<MonthlyRow>,
}

impl Indicators {
    /// The basic courts of the table that sent no kept case (未报送), in code order.
    pub fn unreported(&self) -> impl Iterator<Item = &CourtFigures> {
        self.courts.iter().filter(|c| !c.reported)
    }
}

/// Which units a rejected file would have fed (`--allow-partial`).
#[derive(Debug, Clone, Default)]
pub struct Incomplete {
    pub courts: BTreeSet<CourtId>,
    pub cities: BTreeSet<String>,
    pub province: bool,
}

impl Incomplete {
    /// §5.2: the courts a rejected file's case numbers name, their cities,
    /// and the province (alone when no court can be told).
    pub fn of(files: &[crate::normalize::FileAccount], courts: &Courts) -> Incomplete {
        let mut inc = Incomplete::default();
        for f in files.iter().filter(|f| f.is_rejected()) {
            inc.province = true;
            for code in &f.court_codes {
                if let Some(id) = courts.id(code) {
                    inc.courts.insert(id);
                    if let Some(city) = &courts.get(id).city {
                        inc.cities.insert(city.clone());
                    }
                }
            }
        }
        inc
    }
}

/// Computes every unit's figures from the deduplicated cases.
pub fn compute(cases: &[Case], courts: &Courts, period: &Period, defs: &Definitions, incomplete: &Incomplete) -> Indicators {
    roll_up(court_tallies(cases, courts, period, defs), courts, period, incomplete)
}

/// One court's running sums and monthly counts: a city's and the province's
/// figures are their courts' summed.
#[derive(Debug, Clone, PartialEq)]
struct CourtTally {
    pub tally: Tally,
    /// one per month of `months_of(period)`
    pub monthly: Vec<MonthCounts>,
    /// the latest `updated_at` among the court's kept cases
    pub latest_update: crate::domain::UpdatedAt,
}

/// Each court's tally, by court id: `None` for a court without kept cases.
fn court_tallies(cases: &[Case], courts: &Courts, period: &Period, defs: &Definitions) -> Vec<Option<CourtTally>> {
    let months = months_of(period);
    let mut tallies: Vec<Option<CourtTally>> = vec![None; courts.list.len()];
    for c in cases {
        if let Some(slot) = tallies.get_mut(c.court as usize) {
            // a court with any kept case gets a row, whatever the case's dates
            let t = slot.get_or_insert_with(|| CourtTally::empty(months.len()));
            t.add(&Counted::of(c), &months, period, defs);
            t.latest_update = t.latest_update.max(c.updated_at);
        }
    }
    tallies
}

impl CourtTally {
    fn empty(months: usize) -> CourtTally {
        CourtTally { tally: Tally::default(), monthly: vec![MonthCounts::default(); months], latest_update: crate::domain::UpdatedAt::MISSING }
    }

    fn add(&mut self, c: &Counted, months: &[NaiveDate], period: &Period, defs: &Definitions) {
        let Some(f) = Facts::of(c, period, defs) else { return };
        self.tally.add(c, &f);
        add_monthly(&mut self.monthly, months, c, &f);
    }
}

/// Every unit's figures from the courts' tallies (by court id).
fn roll_up(mut tallies: Vec<Option<CourtTally>>, courts: &Courts, period: &Period, incomplete: &Incomplete) -> Indicators {
    let cities = courts.cities();
    let mut city_tallies: Vec<Tally> = vec![Tally::default(); cities.len()];
    let mut city_coverage = vec![Coverage::default(); cities.len()];
    let mut province = Tally::default();
    let mut province_coverage = Coverage::default();
    for (court, t) in courts.list.iter().zip(&tallies) {
        let city = court.city.as_ref().and_then(|name| cities.binary_search(name).ok());
        if court.level == CourtLevel::Basic {
            province_coverage.count(t.is_some());
            if let Some(k) = city {
                city_coverage[k].count(t.is_some());
            }
        }
        let Some(t) = t else { continue };
        province.merge(&t.tally);
        if let Some(k) = city {
            city_tallies[k].merge(&t.tally);
        }
    }
    let months = months_of(period);
    let mut court_rows = Vec::new();
    let mut monthly_rows = Vec::new();
    for (id, court) in courts.list.iter().enumerate() {
        let id = id as CourtId;
        let (tally, counts, latest_update, reported) = match tallies.get_mut(id as usize).and_then(Option::take) {
            Some(t) => (t.tally, t.monthly, t.latest_update.get().map(|t| t.date()), true),
            None if court.level == CourtLevel::Basic => (Tally::default(), vec![MonthCounts::default(); months.len()], None, false),
            None => continue,
        };
        court_rows.push(CourtFigures {
            court: id,
            complete: !incomplete.courts.contains(&id),
            figures: tally.figures(period),
            reported,
            latest_update,
        });
        for (month, counts) in months.iter().zip(counts) {
            monthly_rows.push(MonthlyRow { court: id, month: *month, counts });
        }
    }
    court_rows.sort_by(|a, b| courts.get(a.court).code.cmp(&courts.get(b.court).code));
    monthly_rows.sort_by(|a, b| (&courts.get(a.court).code, a.month).cmp(&(&courts.get(b.court).code, b.month)));
    let cities = cities
        .into_iter()
        .zip(city_tallies.into_iter().zip(city_coverage))
        .map(|(city, (t, coverage))| CityFigures { complete: !incomplete.cities.contains(&city), figures: t.figures(period), coverage, city })
        .collect();
    Indicators {
        courts: court_rows,
        cities,
        province: province.figures(period),
        province_complete: !incomplete.province,
        province_coverage,
        monthly: monthly_rows,
    }
}

/// First days of every calendar month that overlaps the period.
pub fn months_of(p: &Period) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = month_start(p.from);
    while m <= p.as_of {
        out.push(m);
        match m.checked_add_months(chrono::Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

fn month_index(months: &[NaiveDate], d: NaiveDate) -> Option<usize> {
    let first = months.first()?;
    let idx = (d.year() - first.year()) * 12 + d.month() as i32 - first.month() as i32;
    usize::try_from(idx).ok().filter(|&i| i < months.len())
}

/// A case's monthly counts: `filed` in its filing month, the others in its
/// closing month (first enforcement only, as the sets say).
fn add_monthly(m: &mut [MonthCounts], months: &[NaiveDate], c: &Counted, f: &Facts) {
    if f.has(Count::Filed) {
        if let Some(i) = month_index(months, c.filing) {
            m[i].filed += 1;
        }
    }
    if let (true, Some(closing)) = (f.has(Count::Closed), c.closing) {
        if let Some(i) = month_index(months, closing) {
            m[i].closed += 1;
            m[i].completed += u64::from(f.has(Count::Completed));
            m[i].in_term += u64::from(f.has(Count::InTerm));
        }
    }
}

#[cfg(test)]
mod tests;
