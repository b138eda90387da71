//! The words heading the CSV columns (`--csv-headers zh`): the Chinese
//! label of every column, shown in docs/indicators.md (a test in
//! `output::labels` keeps the two the same). Here, below every stage, so
//! that a stage reading published tables (the comparison's baseline) and the
//! output stage writing them share one table.

pub const LABELS: &[(&str, &str)] = &[
    ("court_code", "法院代码"),
    ("court_name", "法院名称"),
    ("city", "城市"),
    ("level", "法院层级"),
    ("period_from", "统计起始日"),
    ("as_of", "统计截止日"),
    ("complete", "数据完整"),
    ("filed", "新收案件数"),
    ("accepted", "受理案件数"),
    ("closed", "已结案件数"),
    ("pending", "未结案件数"),
    ("closure_rate", "结案率"),
    ("completed", "执行完毕案件数"),
    ("completion_rate", "首次执行案件执行完毕率"),
    ("contract_closed", "涉合同类已结案件数"),
    ("contract_completed", "涉合同类执行完毕案件数"),
    ("contract_completion_rate", "涉合同类首次执行案件执行完毕率"),
    ("enterprise_closed", "涉企已结案件数"),
    ("enterprise_completed", "涉企执行完毕案件数"),
    ("enterprise_completion_rate", "涉企首次执行案件执行完毕率"),
    ("in_term", "法定期限内结案数"),
    ("in_term_rate", "首次执行案件法定期限内结案率"),
    ("overdue_pending", "超期未结案件数"),
    ("terminated", "终本案件数"),
    ("termination_rate", "终本率"),
    ("claim_amount", "申请执行标的金额(元)"),
    ("recovered_amount", "执行到位金额(元)"),
    ("recovery_rate", "执行到位率"),
    ("avg_days", "平均结案用时(天)"),
    ("median_days", "结案用时中位数(天)"),
    ("p90_days", "结案用时90分位数(天)"),
    ("clearance_rate", "结收比"),
    ("disposition_days", "结案周期(天)"),
    ("all_filed", "全部执行案件新收数"),
    ("all_closed", "全部执行案件已结数"),
    ("all_pending", "全部执行案件未结数"),
    ("executed", "实际执结案件数"),
    ("executed_rate", "实际执结率"),
    ("executed_closed_share", "实结占结案数比例"),
    ("termination_accepted_rate", "终本率(受理口径)"),
    ("pending_rate", "未结率"),
    ("completed_avg_days", "执行完毕案件结案平均用时(天)"),
    ("approaching", "临期案件数"),
    ("long_pending", "超12个月未结案件数"),
    ("long_pending_rate", "超12个月未结案件比"),
    ("rank_completion", "执行完毕率全省排名"),
    ("rank_contract_completion", "涉合同类执行完毕率全省排名"),
    ("rank_in_term", "法定期限内结案率全省排名"),
    ("city_rank_completion", "执行完毕率全市排名"),
    ("city_rank_contract_completion", "涉合同类执行完毕率全市排名"),
    ("city_rank_in_term", "法定期限内结案率全市排名"),
    ("tier_completion", "执行完毕率等次"),
    ("tier_contract_completion", "涉合同类执行完毕率等次"),
    ("tier_in_term", "法定期限内结案率等次"),
    ("reported", "是否报送"),
    ("latest_update", "最近更新日期"),
    ("courts_reported", "已报送法院数"),
    ("courts_expected", "应报送法院数"),
    ("month", "月份"),
    ("file", "文件"),
    ("line", "行号"),
    ("reason", "隔离原因"),
    ("raw", "原始记录"),
    ("case_no", "案号"),
    ("versions", "版本数"),
    ("kept_file", "保留版本所在文件"),
    ("kept_line", "保留版本所在行"),
    ("conflict", "立案日期冲突"),
    ("list", "清单"),
    ("filing_date", "立案日期"),
    ("deadline", "执行期限届满日期"),
    ("closing_date", "结案日期"),
    ("closure_method", "结案方式"),
    ("cause", "案由"),
    ("cause_category", "案由类别"),
    ("involves_enterprise", "是否涉企"),
    ("days", "天数"),
    ("unit_kind", "单位类别"),
    ("unit", "单位"),
    ("indicator", "指标"),
    ("value", "本期值"),
    ("previous", "上年同期值"),
    ("change", "同比变化"),
    ("interval_min", "区间下限"),
    ("interval_max", "区间上限"),
    ("meets", "是否达标"),
    ("key", "口径项"),
    ("meaning", "含义"),
];

/// Labels of columns whose name means another thing in one table
/// (table, column, label): they win over `LABELS` there.
pub const TABLE_LABELS: &[(&str, &str, &str)] =
    &[("watchlist", "level", "预警级别"), ("definitions", "value", "取值"), ("indicators_assessment", "value", "指标值")];

/// Which words head the CSV columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderLanguage {
    #[default]
    English,
    Chinese,
}

impl HeaderLanguage {
    pub fn parse(s: &str) -> Option<HeaderLanguage> {
        match s {
            "en" => Some(HeaderLanguage::English),
            "zh" => Some(HeaderLanguage::Chinese),
            _ => None,
        }
    }

    /// The word heading `column` of `table`.
    pub fn label<'a>(self, table: &str, column: &'a str) -> &'a str {
        match self {
            HeaderLanguage::English => column,
            HeaderLanguage::Chinese => TABLE_LABELS
                .iter()
                .find(|l| l.0 == table && l.1 == column)
                .map(|l| l.2)
                .or_else(|| LABELS.iter().find(|l| l.0 == column).map(|l| l.1))
                .unwrap_or(column),
        }
    }
}

/// The column a header cell names: the cell itself when it is no Chinese
/// label, else the column it labels (a table's own labels first) — how a
/// published table is read back under either language.
pub fn english(cell: &str) -> &str {
    TABLE_LABELS.iter().find(|l| l.2 == cell).map(|l| l.1).or_else(|| LABELS.iter().find(|l| l.1 == cell).map(|l| l.0)).unwrap_or(cell)
}
