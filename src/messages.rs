//! Every message a person reads on the terminal, in English and in Chinese,
//! from one table: the summary line, warnings, errors and `validate`'s
//! report. Court statisticians work on Chinese Windows and Linux desktops:
//! with `--lang zh`, or a `zh_*` locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, in
//! POSIX's order), they read Chinese. Each message is written once with both
//! texts (the `messages!` table), so neither can be missing; a test checks
//! that both are filled in and take the same arguments.
//!
//! Details that come from outside the program (an operating-system error,
//! a pipeline file's parse error) stay as they came, inside the translated
//! frame. The files stay in English: `run.json` and the tables are for
//! machines and keep their codes.

use std::sync::OnceLock;

/// The language of the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The language a locale's variables ask for: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty decides (POSIX);
    /// `zh`, `zh_CN.UTF-8`, `zh_TW` … are Chinese, anything else English.
    pub fn of_locale(lc_all: Option<&str>, lc_messages: Option<&str>, lang: Option<&str>) -> Lang {
        let locale = [lc_all, lc_messages, lang].into_iter().flatten().find(|v| !v.is_empty()).unwrap_or("");
        if locale == "zh" || locale.starts_with("zh_") || locale.starts_with("zh-") || locale.starts_with("zh.") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    fn of_environment() -> Lang {
        let var = |k: &str| std::env::var(k).ok();
        Lang::of_locale(var("LC_ALL").as_deref(), var("LC_MESSAGES").as_deref(), var("LANG").as_deref())
    }
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// Sets the process's message language once, from `--lang` when given and
/// the locale otherwise (the binary calls it first thing).
pub fn init(flag: Option<&str>) -> Lang {
    *LANG.get_or_init(|| flag.and_then(Lang::parse).unwrap_or_else(Lang::of_environment))
}

/// The process's message language (the locale's, if `init` was not called).
pub fn lang() -> Lang {
    *LANG.get_or_init(Lang::of_environment)
}

macro_rules! messages {
    ($($name:ident => $en:literal, $zh:literal;)*) => {
        /// A message, with `{0}`, `{1}` … where its arguments go.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg { $($name),* }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$name),*];

            /// Its English and Chinese texts.
            pub fn texts(self) -> (&'static str, &'static str) {
                match self { $(Msg::$name => ($en, $zh)),* }
            }
        }
    };
}

messages! {
    // the binary's lines
    Warning => "courtstat: warning: {0}", "courtstat：警告：{0}";
    Error => "courtstat: error: {0}", "courtstat：错误：{0}";
    SubcommandError => "courtstat {0}: error: {1}", "courtstat {0}：错误：{1}";
    Summary => "courtstat: {0}", "courtstat：{0}";
    Published => "courtstat: tables published in {0}", "courtstat：结果已发布到 {0}";
    CacheLine => "courtstat: cache: {0}", "courtstat：缓存：{0}";
    CacheUnusable => "courtstat: warning: cache folder {0} cannot be used ({1}); parsing every file", "courtstat：警告：缓存文件夹 {0} 无法使用（{1}），本次重新解析全部文件";
    CacheStateUnwritten => "courtstat: warning: the cache's state could not be written; the next run parses every file", "courtstat：警告：缓存状态未能写入，下次运行将重新解析全部文件";
    ProgressReading => "reading {0} files", "正在读取 {0} 个文件";
    ProgressIndicators => "indicators", "计算指标";
    ProgressWriting => "writing tables", "写出结果";
    LeftoverKept => "courtstat: warning: {0} could not be removed ({1}); the tables are published, remove it by hand", "courtstat：警告：无法删除 {0}（{1}）；结果已发布，请手工删除";
    GenDone => "courtstat gen: {0} files, {1} rows ({2} spoiled), {3} bytes in {4}", "courtstat gen：在 {4} 生成 {0} 个文件，{1} 行（其中 {2} 行有意写坏），{3} 字节";
    ReportWritten => "courtstat report: wrote {0}", "courtstat report：已写入 {0}";
    WritingCases => "writing the cases: {0}", "写出案件失败：{0}";
    // the run summary, piece by piece
    SumFiles => "{0} files", "{0} 个文件";
    SumRejected => " ({0} rejected)", "（{0} 个被拒收）";
    SumRows => ", {0} rows, {1} quarantined", "，{0} 行，隔离 {1} 行";
    SumReasons => " ({0})", "（{0}）";
    SumCases => ", {0} duplicates dropped, {1} cases", "，删除重复版本 {0} 条，案件 {1} 件";
    SumReported => ", {0} of {1} basic courts reported", "，{1} 个基层法院中 {0} 个已报送";
    SumRanked => ", {0} courts ranked", "，{0} 个法院参与排名";
    SumRankingOff => ", ranking off", "，不排名";
    SumCached => "; {0} of {1} files unchanged since the last run (cached)", "；{1} 个文件中 {0} 个与上次运行相同（取自缓存）";
    // errors (§10)
    ErrReference => "reference table {0}", "参照表 {0}";
    ErrOutputInsideInput => "the output folder {0} lies inside the input folder {1}: the next run would read its own outputs", "输出文件夹 {0} 位于输入文件夹 {1} 之内：下次运行会把自己的输出当作输入读取";
    ErrNoInput => "no input file (*.csv, *.tsv, *.xlsx, *.xls) found under {0}", "在 {0} 下未找到输入文件（*.csv、*.tsv、*.xlsx、*.xls）";
    ErrRejected => "{0} input file(s) rejected; nothing was published (use --allow-partial to go on without them):", "{0} 个输入文件被拒收，未发布任何结果（如需跳过这些文件继续，请加 --allow-partial）：";
    ErrWriting => "writing {0}: {1}", "写入 {0} 失败：{1}";
    ErrLockHeld => "another courtstat run (pid {0}) holds the lock {1} on this output folder; rerun with --wait to wait for it", "另一个 courtstat 运行（进程 {0}）正占用此输出文件夹的锁 {1}；可加 --wait 等待它结束后再运行";
    ErrLock => "lock {0}: {1}", "锁文件 {0}：{1}";
    ErrMissingFolder => "input folder {0}: does not exist or is not a folder", "输入文件夹 {0} 不存在或不是文件夹";
    ErrFolder => "input folder {0}: {1}", "输入文件夹 {0}：{1}";
    ErrBaseline => "baseline {0}: {1}", "对比基准 {0}：{1}";
    ErrPipeline => "{0}: {1}", "流水线文件 {0}：{1}";
    // explain (§12)
    ExNoRun => "{0}: no published courtstat run ({1})", "{0}：不是已发布的 courtstat 结果文件夹（{1}）";
    ExUnreadable => "{0}: {1}", "{0}：无法读取：{1}";
    ExOlderRun => "{0}: no column {1}: a run of an older courtstat; run it again to explain its figures", "{0}：缺少列 {1}：这是旧版 courtstat 的结果，请重新运行后再查询";
    ExMonthForm => "--month {0} is not a month of the form YYYY-MM", "--month {0} 不是 YYYY-MM 格式的月份";
    ExMonthOutside => "--month {0}: not a month of the run's period {1} … {2}", "--month {0}：不在本次统计期间 {1} 至 {2} 之内";
    ExMonthlyIndicator => "unknown monthly indicator {0}; with --month the indicators are: {1}", "未知的月度指标 {0}；使用 --month 时可选的指标：{1}";
    ExIndicator => "unknown indicator {0}; the indicators are: {1}", "未知的指标 {0}；可选的指标：{1}";
    ExNotRatio => "{0} is not a ratio: it has no numerator or denominator (leave out --part)", "{0} 不是比率，没有分子分母（请去掉 --part）";
    ExUnit => "unknown unit {0}: a court code of the run ({1}, … {2} in all), a city ({3}) or province", "未知的单位 {0}：可用本次结果中的法院代码（{1} 等，共 {2} 个）、城市（{3}）或 province（全省）";
    // the settings (the pipeline file and the flags)
    CfgDate => "{0} = {1} is not a date of the form YYYY-MM-DD", "{0} = {1} 不是 YYYY-MM-DD 格式的日期";
    CfgNoInput => "no input folder: give --input DIR or `input` in the pipeline file", "没有输入文件夹：请用 --input DIR 或在流水线文件中写 `input`";
    CfgInputMissing => "input folder {0} does not exist or is not a folder", "输入文件夹 {0} 不存在或不是文件夹";
    CfgNoOutput => "no output folder: give --out DIR or `out` in the pipeline file", "没有输出文件夹：请用 --out DIR 或在流水线文件中写 `out`";
    CfgFromAfterAsOf => "from ({0}) is after as_of ({1})", "统计起始日 from（{0}）晚于截止日 as_of（{1}）";
    CfgKeyUnreadable => "hash_key_file {0}: cannot read: {1}", "hash_key_file {0}：无法读取：{1}";
    CfgKeyEmpty => "hash_key_file {0}: empty", "hash_key_file {0}：文件为空";
    CfgOutNotEmpty => "--out {0}: not an empty folder", "--out {0}：不是空文件夹";
    // why a file is rejected (§5.2)
    RejUnreadable => "cannot be read: {0}", "无法读取：{0}";
    RejEmpty => "empty file: the header lacks every required column", "空文件：表头缺少全部必需列";
    RejTooManyBadRows => "{0} of {1} data records quarantined, more than max_bad_row_ratio {2}", "{1} 条数据记录中 {0} 条被隔离，超过 max_bad_row_ratio {2}";
    RejTooLarge => "line {0}: {1} exceeds the limit of {2} (max_record_bytes / max_fields in the pipeline file)", "第 {0} 行：{1} 超过上限 {2}（流水线文件中的 max_record_bytes / max_fields）";
    RejChanged => "changed while it was read (its size or modification time moved): run again once the export is written", "读取期间文件发生变化（大小或修改时间改变）：请待导出完成后重新运行";
    RejNoHeader => "no header: line {0}, the closest among the first 10 lines, lacks {1}", "未找到表头：前 10 行中最接近的第 {0} 行缺少{1}";
    RejMissingOne => "the required column {0}", "必需列 {0}";
    RejMissingMany => "the required columns {0}", "必需列 {0}";
    RejMissingColumn => "{0} (accepted header words: {1})", "{0}（可用的表头名称：{1}）";
    RejAmbiguous => "the header is ambiguous: {0} and {1} both map to {2}", "表头有歧义：{0} 和 {1} 都对应列 {2}";
    // validate's report
    ValFile => "{0}", "文件 {0}";
    ValEncoding => "  encoding {0}, delimiter {1}; {2} data records: {3} valid, {4} quarantined", "  编码 {0}，分隔符 {1}；数据记录 {2} 条：有效 {3} 条，隔离 {4} 条";
    ValHeader => "  header: {0}", "  表头：{0}";
    ValTitleLines => "  {0} title lines above the header skipped", "  跳过表头上方的标题行 {0} 行";
    ValSummaryRows => "  {0} summary rows (合计) skipped", "  跳过合计行 {0} 行";
    ValUnknown => "  unrecognised columns (ignored): {0}", "  未识别的列（已忽略）：{0}";
    ValCourtCodes => "  court codes: {0}", "  法院代码：{0}";
    ValQuarantined => "  {0}: {1} (first: line {2}: {3})", "  {0}：{1} 条（首条：第 {2} 行：{3}）";
    ValSkipped => "  sheet skipped: {0}", "  已跳过工作表：{0}";
    ValRejected => "  WOULD BE REJECTED: {0}", "  将被拒收：{0}";
    ValAccepted => "  would be accepted", "  将被接收";
    ValUnreported => "{0} basic courts of the courts table have no case in any file (未报送): {1}", "法院表中有 {0} 个基层法院在所有文件中都没有案件（未报送）：{1}";
    ValTotal => "{0} files checked, {1} would be rejected", "共检查 {0} 个文件，{1} 个将被拒收";
}

impl Msg {
    /// The message in `lang` with its arguments in place.
    pub fn say(self, lang: Lang, args: &[&dyn std::fmt::Display]) -> String {
        let (en, zh) = self.texts();
        fill(if lang == Lang::Zh { zh } else { en }, args)
    }

    /// The message in the process's language.
    pub fn text(self, args: &[&dyn std::fmt::Display]) -> String {
        self.say(lang(), args)
    }
}

/// A message with its arguments, said in either language when shown (an
/// error's text, kept until it is printed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub msg: Msg,
    pub args: Vec<String>,
}

impl Said {
    pub fn new(msg: Msg, args: &[&dyn std::fmt::Display]) -> Said {
        Said { msg, args: args.iter().map(|a| a.to_string()).collect() }
    }

    pub fn in_lang(&self, lang: Lang) -> String {
        self.msg.say(lang, &self.args.iter().map(|a| a as &dyn std::fmt::Display).collect::<Vec<_>>())
    }
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.in_lang(Lang::En))
    }
}

/// `{0}`, `{1}` … replaced by the arguments.
fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| after[..close].parse::<usize>().ok().map(|k| (k, close))) {
            Some((k, close)) => {
                if let Some(a) = args.get(k) {
                    out.push_str(&a.to_string());
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<usize> {
        let mut v: Vec<usize> = s.split('{').skip(1).filter_map(|p| p.split_once('}')).filter_map(|(k, _)| k.parse().ok()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn every_message_has_both_languages_with_the_same_arguments() {
        for m in Msg::ALL {
            let (en, zh) = m.texts();
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{m:?} lacks a text");
            assert_ne!(en, zh, "{m:?} is not translated");
            let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            assert!(!cjk(&en.replace("合计", "").replace("未报送", "")), "{m:?}: its English text is Chinese");
            // Chinese words, or at least Chinese punctuation (courtstat：{0})
            let chinese_marks = |s: &str| s.chars().any(|c| ('\u{3000}'..='\u{303f}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c));
            assert!(cjk(zh) || chinese_marks(zh), "{m:?}: its Chinese text has no Chinese");
            assert_eq!(placeholders(en), placeholders(zh), "{m:?}: the two texts take different arguments");
        }
    }

    #[test]
    fn a_zh_locale_chooses_chinese_and_lc_all_wins_over_lang() {
        assert_eq!(Lang::of_locale(None, None, Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::of_locale(None, None, Some("zh")), Lang::Zh);
        assert_eq!(Lang::of_locale(Some("C"), None, Some("zh_CN.UTF-8")), Lang::En);
        assert_eq!(Lang::of_locale(Some(""), Some("zh_TW.UTF-8"), Some("en_US.UTF-8")), Lang::Zh);
        assert_eq!(Lang::of_locale(None, None, Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::of_locale(None, None, None), Lang::En);
        assert_eq!(Lang::of_locale(None, None, Some("zhx")), Lang::En);
    }

    #[test]
    fn arguments_go_where_their_numbers_say() {
        assert_eq!(fill("{1} 个中 {0} 个", &[&3, &"五"]), "五 个中 3 个");
        assert_eq!(fill("a {x} {0}", &[&1]), "a {x} 1");
        assert_eq!(Msg::ValTotal.say(Lang::Zh, &[&2, &1]), "共检查 2 个文件，1 个将被拒收");
    }
}
