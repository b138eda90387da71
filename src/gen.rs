//! `courtstat gen`: a deterministic synthetic province export for tests,
//! benches and the README's sample. Two exports per court (an earlier one and
//! a refresh that re-sends part of it with newer status); `--messy` adds the
//! encodings, header variants, value formats and bad rows of the contract.
//!
//! The random generator is a 10-line SplitMix64 rather than a crate so the
//! bytes for a given seed never change under a dependency upgrade: the
//! committed sample and the bench's cached input depend on that.

use crate::reference::{CourtLevel, Courts};
use chrono::{Datelike, Days, NaiveDate};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

pub const USAGE_EXAMPLES: &str = "Examples:
  courtstat gen --out /tmp/hebei --rows 100000 --messy
  courtstat gen --out data/sample --rows 2400 --seed 7 --messy --cities 承德市,唐山市";

#[derive(Debug, Clone)]
pub struct GenSettings {
    pub out: PathBuf,
    pub rows: u64,
    pub seed: u64,
    pub messy: bool,
    /// only these cities' courts (all, and the high court, when empty)
    pub cities: Vec<String>,
    /// the refresh export's date; the earlier export is 85 days before
    pub export_date: NaiveDate,
    /// filing dates spread over this many years before the export date
    /// (`None`: the last 540 days, as the committed sample and the bench have)
    pub years: Option<u32>,
    /// write every export as an `.xlsx` workbook as court systems do: a
    /// title and a date line above the 法标 header, typed number and date
    /// cells, a 合计 row at the bottom
    pub workbooks: bool,
    /// the province's 代字: whose courts table the exports are of
    pub province: String,
}

#[derive(Debug, Clone, Default)]
pub struct GenSummary {
    pub files: usize,
    pub rows: u64,
    pub bytes: u64,
    pub bad_rows: u64,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|i| u64::from(i.1)).sum();
        let mut r = self.below(total);
        for (item, w) in items {
            if r < u64::from(*w) {
                return *item;
            }
            r -= u64::from(*w);
        }
        items[items.len() - 1].0
    }
}

const TYPES: [(&str, u32); 8] = [("执", 720), ("执恢", 60), ("执保", 120), ("执异", 50), ("执复", 15), ("执监", 10), ("执协", 5), ("执他", 20)];
const CAUSES: [(&str, u32); 14] = [
    ("民间借贷纠纷", 250),
    ("金融借款合同纠纷", 120),
    ("买卖合同纠纷", 140),
    ("信用卡纠纷", 60),
    ("租赁合同纠纷", 60),
    ("物业服务合同纠纷", 50),
    ("建设工程施工合同纠纷", 30),
    ("机动车交通事故责任纠纷", 100),
    ("劳动争议", 60),
    ("追索劳动报酬纠纷", 50),
    ("离婚纠纷", 50),
    ("侵害商标权纠纷", 20),
    ("不当得利纠纷", 10),
    ("诈骗罪", 10),
];
const METHODS: [(&str, u32); 7] =
    [("执行完毕", 35), ("终结本次执行程序", 30), ("终结执行", 15), ("不予执行", 3), ("驳回申请", 4), ("销案", 8), ("移送破产审查", 2)];
const METHOD_ALIASES: [(&str, &[&str]); 3] = [
    ("执行完毕", &["执行完毕", "执行完结", "全部执行完毕", "和解履行完毕"]),
    ("终结本次执行程序", &["终结本次执行程序", "终结本次执行", "终本"]),
    ("驳回申请", &["驳回申请", "驳回执行申请"]),
];
const SURNAMES: [&str; 16] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"];
const GIVEN: [&str; 16] = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"];
const FIRMS: [&str; 6] = ["华盛", "恒达", "金山", "鑫源", "宏远", "德信"];
const FIRM_KINDS: [&str; 6] = ["商贸有限公司", "建材有限公司", "房地产开发有限公司", "农村信用合作社", "律师事务所", "机械厂"];

/// One case as the generator knows it; each export shows it as of its date.
struct GenCase {
    number_parts: (i32, String, &'static str, u64),
    filing: NaiveDate,
    closing: Option<NaiveDate>,
    method: &'static str,
    cause: &'static str,
    claim_fen: i64,
    recovered_share: Option<f64>,
    suspended: u32,
    extended: u32,
    applicant: String,
    respondent: String,
    enterprise: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Standard,
    English,
    TabYuan,
    TenThousand,
    /// the court data standard's (法标) words, in workbooks
    CourtStandard,
}

impl Layout {
    fn header(self) -> &'static str {
        match self {
            Layout::Standard => "案号,立案日期,结案日期,结案方式,案由,申请执行标的,执行到位金额,扣除审限天数,延长审限天数,是否涉企,申请执行人,被执行人,执行法院,更新时间,承办人,备注",
            Layout::English => "case_no,filing_date,closing_date,closure_method,cause,claim_amount,recovered_amount,suspended_days,extended_days,applicant,respondent,court_name,updated_at,承办人,备注",
            Layout::TabYuan => "案号\t收案日期\t执结日期\t结案方式\t原审案由\t申请执行标的额（元）\t到位金额（元）\t涉企\t申请执行人\t被执行人\t法院名称\t承办人\t备注",
            Layout::TenThousand => "执行案号,立案时间,结案时间,执结方式,执行依据案由,申请执行标的(万元),实际执行到位金额(万元),扣除天数,延长天数,申请人,被执行人,承办法院,数据更新时间,承办人,备注",
            Layout::CourtStandard => "案号,立案日期,结案日期,结案方式,案由,应执行标的金额,实际到位金额,扣除审限天数,延长审限天数,是否涉企,申请执行人,被执行人,执行法院,更新时间,承办人,备注",
        }
    }
    fn delimiter(self) -> char {
        if self == Layout::TabYuan {
            '\t'
        } else {
            ','
        }
    }
}

#[derive(Clone, Copy)]
enum FileEncoding {
    Utf8,
    Utf8Bom,
    Gb18030,
}

fn person(r: &mut Rng) -> String {
    format!("{}{}", SURNAMES[r.below(16) as usize], GIVEN[r.below(16) as usize])
}

fn party(r: &mut Rng, city: &str) -> String {
    if r.chance(0.3) {
        format!("{city}{}{}", FIRMS[r.below(6) as usize], FIRM_KINDS[r.below(6) as usize])
    } else {
        person(r)
    }
}

fn duration_days(r: &mut Rng) -> Option<i64> {
    let x = r.unit();
    if x < 0.40 {
        Some(10 + r.below(160) as i64)
    } else if x < 0.65 {
        Some(170 + r.below(20) as i64)
    } else if x < 0.85 {
        Some(190 + r.below(210) as i64)
    } else {
        None
    }
}

/// Writes the export folder; returns what was written.
pub fn generate(s: &GenSettings, courts: &Courts) -> std::io::Result<GenSummary> {
    let mut r = Rng(s.seed ^ 0x636F_7572_7473_7461);
    let chosen: Vec<_> =
        courts.list.iter().filter(|c| if s.cities.is_empty() { true } else { c.city.as_ref().is_some_and(|city| s.cities.contains(city)) }).collect();
    let weights: Vec<f64> = chosen
        .iter()
        .map(|c| match c.level {
            CourtLevel::Basic => 0.5 + 1.5 * r.unit(),
            CourtLevel::Intermediate => 0.4,
            CourtLevel::High => 0.1,
        })
        .collect();
    let total_w: f64 = weights.iter().sum();
    let e2 = s.export_date;
    let e1 = e2 - Days::new(85);
    let span = s.years.map_or(540, |y| u64::from(y) * 365);
    let start = e2 - Days::new(span);
    let mut summary = GenSummary::default();
    // rows ≈ cases × (1 + share re-exported); about 1.25 rows per case
    let cases_total = (s.rows as f64 / 1.25).max(1.0);
    for (court, w) in chosen.iter().zip(&weights) {
        let n = ((cases_total * w / total_w).round() as u64).max(2);
        let city = court.city.clone().unwrap_or_else(|| "河北省".to_string());
        let mut seqs: std::collections::HashMap<(i32, &str), u64> = Default::default();
        let mut cases: Vec<GenCase> = (0..n)
            .map(|_| {
                let filing = start + Days::new(r.below(span + 1));
                let ty = r.pick(&TYPES);
                let seq = seqs.entry((filing.year(), ty)).or_insert(0);
                *seq += 1 + r.below(2);
                let closing = duration_days(&mut r).map(|d| filing + Days::new(d as u64));
                let method = r.pick(&METHODS);
                let claim_fen = (10f64.powf(3.0 + 3.5 * r.unit()) * 100.0).round() as i64;
                let recovered_share = if method == "执行完毕" {
                    Some(1.0)
                } else if r.chance(0.8) {
                    Some(0.3 * r.unit())
                } else {
                    None
                };
                let applicant = party(&mut r, &city);
                let respondent = party(&mut r, &city);
                let enterprise = crate::normalize::values::names_suggest_enterprise(&[&applicant, &respondent]);
                let cause: &'static str = r.pick(&CAUSES);
                GenCase {
                    number_parts: (filing.year(), court.code.clone(), ty, *seq),
                    filing,
                    closing,
                    method,
                    cause,
                    claim_fen,
                    recovered_share,
                    suspended: if r.chance(0.2) { 1 + r.below(90) as u32 } else { 0 },
                    extended: if r.chance(0.1) { 1 + r.below(90) as u32 } else { 0 },
                    applicant,
                    respondent,
                    enterprise,
                }
            })
            .collect();
        cases.sort_by_key(|c| (c.filing, c.number_parts.3));
        let layout =
            if s.messy { [Layout::Standard, Layout::English, Layout::TabYuan, Layout::TenThousand][r.below(4) as usize] } else { Layout::Standard };
        let encoding =
            if s.messy { [FileEncoding::Gb18030, FileEncoding::Utf8, FileEncoding::Utf8Bom][r.below(3) as usize] } else { FileEncoding::Utf8 };
        let crlf = s.messy && r.chance(0.3);
        let folder = s.out.join(&city);
        std::fs::create_dir_all(&folder)?;
        let layout = if s.workbooks { Layout::CourtStandard } else { layout };
        let ext = if s.workbooks {
            "xlsx"
        } else if layout == Layout::TabYuan {
            "tsv"
        } else {
            "csv"
        };
        for (date, earlier) in [(e1, true), (e2, false)] {
            // the earlier export holds what was filed by its date; the refresh
            // re-sends the last 120 days before e1 with newer status, and all since
            let rows: Vec<&GenCase> =
                cases.iter().filter(|c| if earlier { c.filing <= e1 } else { c.filing > e1 - Days::new(120) && c.filing <= e2 }).collect();
            let mut text = String::new();
            let nl = if crlf { "\r\n" } else { "\n" };
            text.push_str(layout.header());
            text.push_str(nl);
            let max_bad = if s.messy { rows.len() * 6 / 100 } else { 0 };
            let mut bad = 0;
            for c in rows {
                let mut line = render(&mut r, c, court.name.as_str(), layout, date, s.messy);
                if bad < max_bad && r.chance(0.03) {
                    line = spoil(&mut r, line, layout);
                    bad += 1;
                }
                text.push_str(&line);
                text.push_str(nl);
                if s.messy && r.chance(0.01) {
                    text.push_str(nl);
                }
                summary.rows += 1;
            }
            summary.bad_rows += bad as u64;
            let bytes: Vec<u8> = match encoding {
                _ if s.workbooks => workbook_of(&text, court.name.as_str(), date).map_err(std::io::Error::other)?,
                FileEncoding::Utf8 => text.into_bytes(),
                FileEncoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                FileEncoding::Gb18030 => encoding_rs::GB18030.encode(&text).0.into_owned(),
            };
            let path = folder.join(format!("{}_执行案件_{}.{ext}", court.name, date.format("%Y%m%d")));
            std::fs::File::create(&path)?.write_all(&bytes)?;
            summary.files += 1;
            summary.bytes += bytes.len() as u64;
        }
    }
    Ok(summary)
}

/// An export's CSV text (header first) as a court system's workbook: a
/// title and a date line above it, dates and amounts as typed cells where
/// they read as such, and a 合计 row. Its bytes depend on the text alone.
fn workbook_of(text: &str, court: &str, date: NaiveDate) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(date.year() as u16, date.month() as u8, date.day() as u8)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    sheet.set_name("执行案件")?;
    let (day, moment) = (Format::new().set_num_format("yyyy-mm-dd"), Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"));
    sheet.write_string(0, 0, format!("{court}执行案件明细表"))?;
    sheet.write_string(1, 0, format!("导出日期：{}", date.format("%Y年%-m月%-d日")))?;
    let mut row = 2u32;
    let (mut cases, mut claims) = (0u64, 0f64);
    let mut sp = crate::ingest::records::Splitter::new(text, b',');
    while let Some(rec) = sp.next_record() {
        for i in 0..rec.fields.len() {
            let v = rec.field(i).unwrap_or_default();
            let col = i as u16;
            let as_day = chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok();
            let as_moment = chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M:%S").ok();
            let as_number = v.parse::<f64>().ok().filter(|_| v.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
            match (i, as_day, as_moment, as_number) {
                (_, Some(d), _, _) if row > 2 => {
                    let cell = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    sheet.write_datetime_with_format(row, col, &cell, &day)?;
                }
                (_, _, Some(t), _) if row > 2 => {
                    use chrono::Timelike;
                    let cell = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?.and_hms(
                        t.hour() as u16,
                        t.minute() as u8,
                        t.second() as f64,
                    )?;
                    sheet.write_datetime_with_format(row, col, &cell, &moment)?;
                }
                (5..=8, _, _, Some(x)) if row > 2 => {
                    sheet.write_number(row, col, x)?;
                    if i == 5 {
                        claims += x;
                    }
                }
                _ if v.is_empty() => {}
                _ => {
                    sheet.write_string(row, col, v.as_ref())?;
                }
            }
        }
        cases += u64::from(row > 2);
        row += 1;
    }
    sheet.write_string(row, 0, "合计")?;
    sheet.write_string(row, 1, format!("{cases}件"))?;
    sheet.write_number(row, 5, claims)?;
    book.save_to_buffer()
}

fn full_width_digits(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap_or(c) } else { c }).collect()
}

fn render_case_no(r: &mut Rng, c: &GenCase, messy: bool) -> String {
    let (y, court, ty, seq) = &c.number_parts;
    if !messy {
        return format!("（{y}）{court}{ty}{seq}号");
    }
    let (o, cl) = [("（", "）"), ("(", ")"), ("〔", "〕"), ("[", "]"), ("【", "】")][r.below(5) as usize];
    let s = match r.below(10) {
        0 => format!("{o}{y}） {court} {ty} {seq} 号").replace('）', cl),
        1 => full_width_digits(&format!("{o}{y}{cl}{court}{ty}{seq}号")),
        2 => format!("{o}{y}{cl}{court}{ty}{seq:04}号"),
        _ => format!("{o}{y}{cl}{court}{ty}{seq}号"),
    };
    s
}

fn render_date(r: &mut Rng, d: NaiveDate, messy: bool) -> String {
    if !messy {
        return d.format("%Y-%m-%d").to_string();
    }
    match r.below(6) {
        0 => d.format("%Y/%-m/%-d").to_string(),
        1 => d.format("%Y.%m.%d").to_string(),
        2 => d.format("%Y%m%d").to_string(),
        3 => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

fn render_amount(r: &mut Rng, fen: Option<i64>, layout: Layout, messy: bool) -> String {
    let Some(fen) = fen else { return if messy { ["", "-", "无"][r.below(3) as usize].to_string() } else { String::new() } };
    if layout == Layout::TenThousand {
        let wan = fen as f64 / 1_000_000.0;
        return format!("{wan:.6}").trim_end_matches('0').trim_end_matches('.').to_string();
    }
    let yuan = format!("{}.{:02}", fen / 100, fen % 100);
    if messy && fen >= 100_000 && r.chance(0.3) {
        let (int, frac) = yuan.split_once('.').unwrap_or((&yuan, "00"));
        let mut grouped = String::new();
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        return format!("\"{grouped}.{frac}\"");
    }
    yuan
}

fn render(r: &mut Rng, c: &GenCase, court_name: &str, layout: Layout, export: NaiveDate, messy: bool) -> String {
    let closed = c.closing.filter(|d| *d <= export);
    let d = layout.delimiter();
    let case_no = render_case_no(r, c, messy);
    let filing = render_date(r, c.filing, messy);
    let closing = closed.map(|x| render_date(r, x, messy)).unwrap_or_default();
    let method = if closed.is_some() {
        let aliases = METHOD_ALIASES.iter().find(|a| a.0 == c.method).map(|a| a.1);
        match aliases {
            Some(list) if messy => list[r.below(list.len() as u64) as usize].to_string(),
            _ => c.method.to_string(),
        }
    } else {
        String::new()
    };
    let recovered = c.recovered_share.map(|s| if closed.is_some() || s < 1.0 { (c.claim_fen as f64 * s).round() as i64 } else { 0 });
    let claim = render_amount(r, Some(c.claim_fen), layout, messy);
    let recovered = render_amount(r, recovered, layout, messy);
    let updated = {
        let base = closed.unwrap_or(c.filing).max(export - Days::new(10));
        format!("{} {:02}:{:02}:{:02}", base.format("%Y-%m-%d"), 8 + r.below(10), r.below(60), r.below(60))
    };
    let ent = if c.enterprise { ["是", "Y", "1", "true"][r.below(4) as usize] } else { ["否", "N", "0", "false"][r.below(4) as usize] };
    let ent = if messy {
        ent
    } else if c.enterprise {
        "是"
    } else {
        "否"
    };
    let judge = person(r);
    let note = if messy && r.chance(0.1) { "\"已移送, 待复核\"" } else { "" };
    let mut s = String::with_capacity(200);
    // one row in the standard layout's column order; each layout picks from it
    let standard: [String; 16] = [
        case_no,
        filing,
        closing,
        method,
        c.cause.into(),
        claim,
        recovered,
        c.suspended.to_string(),
        c.extended.to_string(),
        ent.into(),
        c.applicant.clone(),
        c.respondent.clone(),
        court_name.into(),
        updated,
        judge,
        note.into(),
    ];
    const ENT: usize = 9;
    const UPDATED: usize = 13;
    const NOTE: usize = 15;
    let picks: &[usize] = match layout {
        Layout::Standard | Layout::CourtStandard => &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        Layout::English | Layout::TenThousand => &[0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15],
        Layout::TabYuan => &[0, 1, 2, 3, 4, 5, 6, ENT, 10, 11, 12, 14, 15],
    };
    let f: Vec<String> = picks
        .iter()
        .map(|&i| match (layout, i) {
            (Layout::TabYuan, NOTE) => standard[i].replace('"', ""),
            (Layout::TenThousand, UPDATED) => standard[i].replacen(' ', "T", 1),
            _ => standard[i].clone(),
        })
        .collect();
    for (i, v) in f.iter().enumerate() {
        if i > 0 {
            s.push(d);
        }
        let _ = write!(s, "{v}");
    }
    s
}

/// Turns a good line into one that the contract quarantines.
fn spoil(r: &mut Rng, line: String, layout: Layout) -> String {
    let d = layout.delimiter();
    let mut f: Vec<String> = line.split(d).map(String::from).collect();
    // quoted fields with the delimiter inside would shift: keep it simple
    if line.contains('"') {
        f.pop();
        return f.join(&d.to_string());
    }
    match r.below(9) {
        0 => {
            f.pop();
        }
        1 => f[0] = "(2023)冀执".into(),
        2 => f[0] = f[0].replacen('执', "民初", 1),
        // 冀0899 names no court of Hebei
        3 => f[0] = format!("（2023）冀0899执{}号", 1 + r.below(999)),
        4 => f[1] = "2023-02-30".into(),
        5 => f[2] = "2023/13/01".into(),
        6 => {
            f[2] = "2023-06-01".into();
            f[3] = String::new();
        }
        7 => f[5] = "-500".into(),
        _ if layout != Layout::TabYuan => f[7] = "十天".into(),
        _ => f[5] = "abc".into(),
    }
    f.join(&d.to_string())
}
