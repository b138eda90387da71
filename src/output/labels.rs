//! Chinese column labels for the CSV tables (`--csv-headers zh`), for the
//! statisticians who open them in Excel. One table, shown in
//! docs/indicators.md (a test keeps the two the same); Parquet always keeps
//! the stable English names that BI models bind to.

pub use crate::labels::{HeaderLanguage, LABELS, TABLE_LABELS};

/// Values shown in Chinese in the CSV tables with `--csv-headers zh`
/// (column, value, label); Parquet keeps the codes.
pub fn value_label(column: &str, value: &str) -> Option<&'static str> {
    match column {
        "list" => crate::watchlist::List::ALL.iter().find(|l| l.code() == value).map(|l| l.label()),
        "unit_kind" => match value {
            "court" => Some("法院"),
            "city" => Some("城市"),
            "province" => Some("全省"),
            _ => None,
        },
        "unit" if value == "province" => Some("全省"),
        "reason" => crate::domain::QuarantineReason::of_code(value).map(|q| q.label()),
        "indicator" => LABELS.iter().find(|l| l.0 == value).map(|l| l.1),
        _ => None,
    }
}

/// A flag in Chinese.
pub const FLAG_LABELS: [&str; 2] = ["否", "是"];

/// The table with its coded values in Chinese (`value_label`), flags as
/// 是/否.
pub fn in_chinese(t: &super::table::Table) -> super::table::Table {
    use super::table::Values;
    let mut out = t.clone();
    for (name, values) in &mut out.columns {
        if let Values::Bool(flags) = values {
            let codes = flags.iter().map(|b| b.map(u32::from)).collect();
            *values = Values::Dict { dict: FLAG_LABELS.iter().map(|s| s.to_string()).collect(), codes };
            continue;
        }
        let label = |v: &mut String| {
            if let Some(l) = value_label(name, v) {
                *v = l.to_string();
            }
        };
        match values {
            Values::Dict { dict, .. } => dict.iter_mut().for_each(label),
            Values::Text(x) => x.iter_mut().flatten().for_each(label),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_show_the_same_labels_as_the_code() {
        let doc = include_str!("../../docs/indicators.md");
        for (en, zh) in LABELS {
            assert!(doc.contains(&format!("| `{en}` | {zh} |")), "docs/indicators.md lacks | `{en}` | {zh} |");
        }
        for (table, en, zh) in TABLE_LABELS {
            assert!(doc.contains(&format!("| `{en}` ({table}) | {zh} |")), "docs/indicators.md lacks | `{en}` ({table}) | {zh} |");
        }
    }

    #[test]
    fn labels_are_unique() {
        let mut zh: Vec<&str> = LABELS.iter().map(|l| l.1).collect();
        zh.sort();
        zh.dedup();
        assert_eq!(zh.len(), LABELS.len());
    }
}
