//! The columns of §7 in the contract's order: each one's value in the
//! tables and the cases it stands on, in one list. The tables write these
//! columns, `courtstat explain` lists their cases, the comparison and the
//! reference intervals (§14, §15) walk them: adding a column here adds it
//! everywhere.

use super::{Count, Figures};

/// A figure as the tables write it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Int(u64),
    /// rates and day figures; `None` for a zero denominator
    Float(Option<f64>),
    /// an amount, exact in fen
    Fen(i128),
}

impl Value {
    /// The value as a number (a count or a yuan amount as a float).
    pub fn number(self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(n as f64),
            Value::Float(f) => f,
            Value::Fen(f) => Some(f as f64 / 100.0),
        }
    }
}

/// An amount column of the cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    Claim,
    Recovered,
}

/// The cases a figure stands on (§12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cases {
    /// a count, or days averaged or ranked: the members of one set
    Set(Count),
    /// a ratio: its numerator's set and its denominator's
    Ratio { numerator: Count, denominator: Count },
    /// an amount summed over a set
    Sum(Count, Amount),
    /// Σ recovered / Σ claim over a set
    SumRatio(Count),
}

impl Cases {
    /// The set to list for a part (`None` for the numerator), and the
    /// amount whose sum the listed cases must make, if any.
    pub fn part(self, denominator: bool) -> (Count, Option<Amount>) {
        match self {
            Cases::Set(k) => (k, None),
            Cases::Ratio { numerator, denominator: d } => (if denominator { d } else { numerator }, None),
            Cases::Sum(k, a) => (k, Some(a)),
            Cases::SumRatio(k) => (k, Some(if denominator { Amount::Claim } else { Amount::Recovered })),
        }
    }

    /// Whether the figure has two parts.
    pub fn has_parts(self) -> bool {
        matches!(self, Cases::Ratio { .. } | Cases::SumRatio(_))
    }
}

pub struct Column {
    pub name: &'static str,
    pub value: fn(&Figures) -> Value,
    pub cases: Cases,
}

/// What a column holds, as the tables type it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// a count (Int64)
    Count,
    /// a rate or a number of days (Float64)
    Float,
    /// an amount in yuan, exact in fen
    Amount,
}

impl Column {
    pub fn kind(&self) -> Kind {
        // a column's kind is its value's variant, the same for every unit
        static ZERO: std::sync::OnceLock<Figures> = std::sync::OnceLock::new();
        let zero = ZERO.get_or_init(|| {
            let d = chrono::NaiveDate::MIN;
            super::Tally::default().figures(&super::Period { from: d, as_of: d })
        });
        match (self.value)(zero) {
            Value::Int(_) => Kind::Count,
            Value::Float(_) => Kind::Float,
            Value::Fen(_) => Kind::Amount,
        }
    }
}

macro_rules! col {
    ($name:ident, Int, $cases:expr) => {
        Column { name: stringify!($name), value: |f| Value::Int(f.$name), cases: $cases }
    };
    ($name:ident, Float, $cases:expr) => {
        Column { name: stringify!($name), value: |f| Value::Float(f.$name), cases: $cases }
    };
}

use Cases::*;
use Count::*;

const fn ratio(numerator: Count, denominator: Count) -> Cases {
    Ratio { numerator, denominator }
}

/// §7's columns, in order.
pub const COLUMNS: &[Column] = &[
    col!(filed, Int, Set(Filed)),
    col!(accepted, Int, Set(Accepted)),
    col!(closed, Int, Set(Closed)),
    col!(pending, Int, Set(Pending)),
    col!(closure_rate, Float, ratio(Closed, Accepted)),
    col!(completed, Int, Set(Completed)),
    col!(completion_rate, Float, ratio(Completed, Closed)),
    col!(contract_closed, Int, Set(ContractClosed)),
    col!(contract_completed, Int, Set(ContractCompleted)),
    col!(contract_completion_rate, Float, ratio(ContractCompleted, ContractClosed)),
    col!(enterprise_closed, Int, Set(EnterpriseClosed)),
    col!(enterprise_completed, Int, Set(EnterpriseCompleted)),
    col!(enterprise_completion_rate, Float, ratio(EnterpriseCompleted, EnterpriseClosed)),
    col!(in_term, Int, Set(InTerm)),
    col!(in_term_rate, Float, ratio(InTerm, Closed)),
    col!(overdue_pending, Int, Set(OverduePending)),
    col!(terminated, Int, Set(Terminated)),
    col!(termination_rate, Float, ratio(Terminated, Closed)),
    Column { name: "claim_amount", value: |f| Value::Fen(f.claim_fen), cases: Sum(Closed, Amount::Claim) },
    Column { name: "recovered_amount", value: |f| Value::Fen(f.recovered_fen), cases: Sum(Closed, Amount::Recovered) },
    col!(recovery_rate, Float, SumRatio(ClosedWithAmounts)),
    col!(avg_days, Float, Set(Closed)),
    col!(median_days, Float, Set(Closed)),
    col!(p90_days, Float, Set(Closed)),
    col!(clearance_rate, Float, ratio(Closed, Filed)),
    col!(disposition_days, Float, Set(Pending)),
    col!(all_filed, Int, Set(AllFiled)),
    col!(all_closed, Int, Set(AllClosed)),
    col!(all_pending, Int, Set(AllPending)),
    col!(executed, Int, Set(Executed)),
    col!(executed_rate, Float, ratio(Executed, Accepted)),
    col!(executed_closed_share, Float, ratio(Executed, Closed)),
    col!(termination_accepted_rate, Float, ratio(Terminated, Accepted)),
    col!(pending_rate, Float, ratio(Pending, Accepted)),
    col!(completed_avg_days, Float, Set(Completed)),
    col!(approaching, Int, Set(Approaching)),
    col!(long_pending, Int, Set(LongPending)),
    col!(long_pending_rate, Float, ratio(LongPending, Pending)),
];

/// The monthly table's figures (§7): each month's sets are its filings
/// (`filed`) or its closings (the others).
pub const MONTHLY: &[(&str, Cases)] = &[
    ("filed", Set(Filed)),
    ("closed", Set(Closed)),
    ("completed", Set(Completed)),
    ("in_term", Set(InTerm)),
    ("completion_rate", ratio(Completed, Closed)),
    ("in_term_rate", ratio(InTerm, Closed)),
];

pub fn column(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name == name)
}
