//! Which cases a figure counts, defined once (§7). `Facts::of` says of one
//! kept case, for a period and the definitions (口径), which of the counted
//! sets it belongs to; the tallies count those sets, the watch lists and
//! `courtstat explain` list their members, so a published figure and the
//! cases behind it can never drift apart.

use crate::domain::{Case, ClosureMethod, TypeCode};
use chrono::{Months, NaiveDate};

use super::Period;

/// The definitions (口径) the figures and the lists depend on (§13).
#[derive(Debug, Clone, PartialEq)]
pub struct Definitions {
    /// type codes counted as first enforcement (首执)
    pub first_enforcement_types: Vec<TypeCode>,
    /// the cause category that 涉合同类 counts (a category of the causes table)
    pub contract_category: String,
    /// closure methods that count as 实际执结
    pub executed_methods: Vec<ClosureMethod>,
    /// §11 early_termination: 终本 closed sooner than this many months
    pub termination_min_months: u32,
    /// §11 approaching: the warning ladder, ascending
    pub warn_days: Vec<u32>,
    /// §11 termination_review: how many days ahead
    pub review_days: u32,
    /// §10: warn when a court's latest update is older than this
    pub stale_days: u32,
}

impl Default for Definitions {
    fn default() -> Self {
        use ClosureMethod::*;
        Definitions {
            first_enforcement_types: TypeCode::new("执").into_iter().collect(),
            contract_category: crate::domain::CauseCategory::Contract.label().to_string(),
            executed_methods: vec![Completed, Terminated, Withdrawn, NotEnforced, Rejected],
            termination_min_months: 3,
            warn_days: vec![5, 10, 15, 30],
            review_days: 30,
            stale_days: 7,
        }
    }
}

impl Definitions {
    /// As `run.json` records them (§13), so that `courtstat explain` counts
    /// a published run as that run did.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "first_enforcement_types": self.first_enforcement_types.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
            "contract_category": self.contract_category,
            "executed_methods": self.executed_methods.iter().map(|m| m.label()).collect::<Vec<_>>(),
            "termination_min_months": self.termination_min_months,
            "warn_days": self.warn_days,
            "review_days": self.review_days,
            "stale_days": self.stale_days,
        })
    }

    /// The definitions `to_json` wrote; `None` for anything else.
    pub fn from_json(v: &serde_json::Value) -> Option<Definitions> {
        let words = |k: &str| -> Option<Vec<String>> { v.get(k)?.as_array()?.iter().map(|x| x.as_str().map(String::from)).collect() };
        let number = |k: &str| v.get(k)?.as_u64().and_then(|n| u32::try_from(n).ok());
        let methods =
            words("executed_methods")?.iter().map(|w| ClosureMethod::ALL.into_iter().find(|m| m.label() == w)).collect::<Option<Vec<_>>>()?;
        let mut warn_days: Vec<u32> =
            v.get("warn_days")?.as_array()?.iter().map(|x| x.as_u64().and_then(|n| u32::try_from(n).ok())).collect::<Option<_>>()?;
        warn_days.sort_unstable();
        Some(Definitions {
            first_enforcement_types: words("first_enforcement_types")?.iter().map(|t| TypeCode::new(t)).collect::<Option<_>>()?,
            contract_category: v.get("contract_category")?.as_str()?.to_string(),
            executed_methods: methods,
            termination_min_months: number("termination_min_months")?,
            warn_days,
            review_days: number("review_days")?,
            stale_days: number("stale_days")?,
        })
    }

    /// Each definition as `definitions.csv` and the report show it: key,
    /// value (lists joined by 、), and what it means.
    pub fn described(&self) -> Vec<(&'static str, String, &'static str)> {
        let join = |v: Vec<String>| v.join("、");
        vec![
            ("first_enforcement_types", join(self.first_enforcement_types.iter().map(|t| t.to_string()).collect()), "计入首次执行案件的案件类型代字"),
            ("contract_category", self.contract_category.clone(), "涉合同类统计的案由类别"),
            ("executed_methods", join(self.executed_methods.iter().map(|m| m.label().to_string()).collect()), "计为实际执结的结案方式"),
            ("termination_min_months", self.termination_min_months.to_string(), "终本结案早于立案后此月数的列入过早终本清单"),
            ("warn_days", join(self.warn_days.iter().map(u32::to_string).collect()), "临期预警距期限届满的天数档次"),
            ("review_days", self.review_days.to_string(), "终本案件财产查控复查提前天数"),
            ("stale_days", self.stale_days.to_string(), "法院数据更新早于此天数时提示"),
        ]
    }

    pub fn is_first(&self, t: TypeCode) -> bool {
        self.first_enforcement_types.contains(&t)
    }
    /// The ladder's largest step: how far ahead `approaching` looks.
    pub fn warn_horizon(&self) -> u32 {
        self.warn_days.iter().copied().max().unwrap_or(0)
    }
}

/// A kept case as the figures see it, read from a `Case` or from a row of a
/// published `cases.parquet` (`courtstat explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub filing: NaiveDate,
    pub closing: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub type_code: TypeCode,
    pub method: Option<ClosureMethod>,
    /// the cause is of the contract category (涉合同类)
    pub contract: bool,
    pub enterprise: bool,
    /// in fen
    pub claim: Option<i64>,
    pub recovered: Option<i64>,
    /// 实结标志, when the export gave it (§2.2)
    pub executed_flag: Option<bool>,
}

impl Counted {
    pub fn of(c: &Case) -> Counted {
        Counted {
            filing: c.filing,
            closing: c.closing,
            deadline: c.deadline,
            type_code: c.key.type_code,
            method: c.method,
            contract: c.category == crate::domain::CauseCategory::Contract,
            enterprise: c.enterprise,
            claim: c.claim.get().map(|f| f.0),
            recovered: c.recovered.get().map(|f| f.0),
            executed_flag: c.executed_flag,
        }
    }
}

/// The sets of §7 a case may belong to; every count column counts one, and
/// every ratio, amount and day figure is over one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Count {
    /// first enforcement, filed within the period (新收)
    Filed,
    /// filed, or carried over (旧存: filed before `from`, not closed before it)
    Accepted,
    /// closed within the period
    Closed,
    /// accepted and not closed on `as_of`
    Pending,
    /// closed, 执行完毕
    Completed,
    ContractClosed,
    ContractCompleted,
    EnterpriseClosed,
    EnterpriseCompleted,
    /// closed on or before the deadline (or without one)
    InTerm,
    /// pending, and `as_of` past the deadline
    OverduePending,
    /// closed, 终结本次执行程序
    Terminated,
    /// closed with both amounts known (执行到位率's cases)
    ClosedWithAmounts,
    /// closed, 实际执结 (by the flag, else by the methods of §13)
    Executed,
    /// pending, deadline within `as_of` … `as_of` + the warning horizon
    Approaching,
    /// pending, and `as_of` at least 12 calendar months after filing
    LongPending,
    /// every enforcement type, filed within the period
    AllFiled,
    AllClosed,
    AllPending,
}

impl Count {
    pub const ALL: [Count; 19] = [
        Count::Filed,
        Count::Accepted,
        Count::Closed,
        Count::Pending,
        Count::Completed,
        Count::ContractClosed,
        Count::ContractCompleted,
        Count::EnterpriseClosed,
        Count::EnterpriseCompleted,
        Count::InTerm,
        Count::OverduePending,
        Count::Terminated,
        Count::ClosedWithAmounts,
        Count::Executed,
        Count::Approaching,
        Count::LongPending,
        Count::AllFiled,
        Count::AllClosed,
        Count::AllPending,
    ];
    pub const N: usize = 19;

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// Which sets one case belongs to, and the days it took when closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    bits: u32,
    /// closing − filing, in days, for a closed case
    pub days: Option<i64>,
}

/// `d` plus `months` calendar months, a day that does not exist becoming
/// the last day of its month (31 Aug + 6 months = 28/29 Feb), as the
/// deadline is computed; `None` beyond the calendar.
pub fn months_after(d: NaiveDate, months: u32) -> Option<NaiveDate> {
    d.checked_add_months(Months::new(months))
}

/// Whether `at` is on or after `months_after(start, months)`: the same
/// month arithmetic compared field by field, without making the date
/// (chrono's month addition was most of what deciding the lists and
/// `long_pending` cost, once per pending case and per run of the figures).
pub fn months_reached(start: NaiveDate, months: u32, at: NaiveDate) -> bool {
    use chrono::Datelike;
    let total = i64::from(start.year()) * 12 + i64::from(start.month0()) + i64::from(months);
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    // a day that does not exist in the month becomes its last day
    let day = start.day().min(days_in_month(year, month0 + 1));
    (i64::from(at.year()), at.month0(), at.day()) >= (year, month0, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Pending at `as_of`: filed by then and not closed on it (§7, §11).
pub fn pending_at(c: &Counted, as_of: NaiveDate) -> bool {
    c.filing <= as_of && c.closing.is_none_or(|d| d > as_of)
}

impl Facts {
    /// `None` for a case filed after `as_of`: it is in no figure.
    pub fn of(c: &Counted, p: &Period, defs: &Definitions) -> Option<Facts> {
        if c.filing > p.as_of {
            return None;
        }
        let mut bits = 0u32;
        let mut set = |k: Count, on: bool| {
            if on {
                bits |= k.bit();
            }
        };
        let filed = c.filing >= p.from;
        let carried = c.filing < p.from && c.closing.is_none_or(|d| d >= p.from);
        let accepted = filed || carried;
        let closed = c.closing.is_some_and(|d| p.contains(d));
        let pending = accepted && c.closing.is_none_or(|d| d > p.as_of);
        set(Count::AllFiled, filed);
        set(Count::AllClosed, closed);
        set(Count::AllPending, pending);
        let mut days = None;
        if defs.is_first(c.type_code) {
            set(Count::Filed, filed);
            set(Count::Accepted, accepted);
            set(Count::Pending, pending);
            if pending {
                set(Count::OverduePending, c.deadline.is_some_and(|d| p.as_of > d));
                let horizon = p.as_of.checked_add_days(chrono::Days::new(u64::from(defs.warn_horizon())));
                set(Count::Approaching, c.deadline.is_some_and(|d| p.as_of <= d && horizon.is_some_and(|h| d <= h)));
                set(Count::LongPending, months_reached(c.filing, 12, p.as_of));
            }
            if let (true, Some(closing)) = (closed, c.closing) {
                let completed = c.method == Some(ClosureMethod::Completed);
                set(Count::Closed, true);
                set(Count::Completed, completed);
                set(Count::ContractClosed, c.contract);
                set(Count::ContractCompleted, c.contract && completed);
                set(Count::EnterpriseClosed, c.enterprise);
                set(Count::EnterpriseCompleted, c.enterprise && completed);
                set(Count::InTerm, c.deadline.is_none_or(|d| closing <= d));
                set(Count::Terminated, c.method == Some(ClosureMethod::TerminatedThisRound));
                set(Count::ClosedWithAmounts, c.claim.is_some() && c.recovered.is_some());
                let executed = c.executed_flag.unwrap_or_else(|| c.method.is_some_and(|m| defs.executed_methods.contains(&m)));
                set(Count::Executed, executed);
                days = Some((closing - c.filing).num_days());
            }
        }
        Some(Facts { bits, days })
    }

    pub fn has(&self, k: Count) -> bool {
        self.bits & k.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn months_reached_is_chronos_month_addition_compared(start in 0i32..80_000, months in 0u32..200, gap in -400i32..7_000) {
            // 1900-01-01 onwards, month ends and leap days included
            let base = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
            let start = base + chrono::Days::new(start as u64);
            let at = start + chrono::Duration::days(i64::from(gap));
            let chrono_says = months_after(start, months).is_some_and(|d| at >= d);
            proptest::prop_assert_eq!(months_reached(start, months, at), chrono_says, "{} + {} months against {}", start, months, at);
        }
    }

    #[test]
    fn months_reached_on_the_day_and_at_a_month_end() {
        assert!(months_reached(d("2022-08-22"), 12, d("2023-08-22")), "12 months to the day");
        assert!(!months_reached(d("2022-08-23"), 12, d("2023-08-22")));
        assert!(months_reached(d("2022-08-31"), 6, d("2023-02-28")), "31 August + 6 months is 28 February");
        assert!(!months_reached(d("2023-08-31"), 6, d("2024-02-28")), "… and 29 February in a leap year");
        assert!(months_reached(d("2020-02-29"), 12, d("2021-02-28")));
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn pending(filed: &str, deadline: Option<&str>) -> Counted {
        Counted {
            filing: d(filed),
            closing: None,
            deadline: deadline.map(d),
            type_code: TypeCode::new("执").unwrap(),
            method: None,
            contract: false,
            enterprise: false,
            claim: None,
            recovered: None,
            executed_flag: None,
        }
    }

    #[test]
    fn approaching_holds_from_as_of_to_the_horizon_both_included() {
        let p = Period { from: d("2023-01-01"), as_of: d("2023-08-22") };
        let defs = Definitions::default();
        let on = |deadline: &str| Facts::of(&pending("2023-03-01", Some(deadline)), &p, &defs).unwrap();
        assert!(on("2023-08-22").has(Count::Approaching) && !on("2023-08-22").has(Count::OverduePending), "due today");
        assert!(on("2023-09-21").has(Count::Approaching), "as_of + 30 days");
        assert!(!on("2023-09-22").has(Count::Approaching), "one day beyond the horizon");
        assert!(on("2023-08-21").has(Count::OverduePending) && !on("2023-08-21").has(Count::Approaching), "one day past the deadline");
        assert!(!Facts::of(&pending("2023-03-01", None), &p, &defs).unwrap().has(Count::Approaching), "no deadline: on no list");
    }

    #[test]
    fn long_pending_is_twelve_calendar_months_to_the_day() {
        let p = Period { from: d("2023-01-01"), as_of: d("2023-08-22") };
        let defs = Definitions::default();
        let long = |filed: &str| Facts::of(&pending(filed, None), &p, &defs).unwrap().has(Count::LongPending);
        assert!(long("2022-08-22"), "12 months to the day");
        assert!(!long("2022-08-23"));
        // 29 February + 12 months is 28 February
        let p = Period { from: d("2025-01-01"), as_of: d("2025-02-28") };
        assert!(Facts::of(&pending("2024-02-29", None), &p, &defs).unwrap().has(Count::LongPending));
    }

    #[test]
    fn definitions_read_back_from_their_json() {
        let mut defs = Definitions::default();
        defs.first_enforcement_types.push(TypeCode::new("执恢").unwrap());
        defs.warn_days = vec![7, 14];
        assert_eq!(Definitions::from_json(&defs.to_json()), Some(defs));
        assert_eq!(Definitions::from_json(&serde_json::json!({"warn_days": [1]})), None);
    }

    #[test]
    fn the_executed_flag_wins_over_the_method() {
        let p = Period { from: d("2023-01-01"), as_of: d("2023-08-22") };
        let defs = Definitions::default();
        let mut c = pending("2023-02-01", None);
        c.closing = Some(d("2023-05-01"));
        c.method = Some(ClosureMethod::TerminatedThisRound);
        assert!(!Facts::of(&c, &p, &defs).unwrap().has(Count::Executed), "终本 is not 实际执结 by default");
        c.executed_flag = Some(true);
        assert!(Facts::of(&c, &p, &defs).unwrap().has(Count::Executed));
        c.method = Some(ClosureMethod::Completed);
        c.executed_flag = Some(false);
        assert!(!Facts::of(&c, &p, &defs).unwrap().has(Count::Executed));
    }
}
