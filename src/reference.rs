//! The courts and causes reference tables (§3): where a case number's court
//! code finds its court and city, and where a cause finds its category.
//! The Hebei tables are embedded so the binary works from any directory.

pub use crate::domain::{CauseCategory, CourtId};
use crate::text::nfkc_trim;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_COURTS: &str = include_str!("../data/reference/courts_hebei.csv");

/// Every province's courts table (§3), by its 代字: what `courts = "粤"`
/// selects. Derived from the division table by
/// `data/reference/regenerate_courts.sh` (see its README).
pub const PROVINCES: [(&str, &str, &str); 31] = [
    ("京", "beijing", include_str!("../data/reference/courts_beijing.csv")),
    ("津", "tianjin", include_str!("../data/reference/courts_tianjin.csv")),
    ("冀", "hebei", include_str!("../data/reference/courts_hebei.csv")),
    ("晋", "shanxi", include_str!("../data/reference/courts_shanxi.csv")),
    ("蒙", "neimenggu", include_str!("../data/reference/courts_neimenggu.csv")),
    ("辽", "liaoning", include_str!("../data/reference/courts_liaoning.csv")),
    ("吉", "jilin", include_str!("../data/reference/courts_jilin.csv")),
    ("黑", "heilongjiang", include_str!("../data/reference/courts_heilongjiang.csv")),
    ("沪", "shanghai", include_str!("../data/reference/courts_shanghai.csv")),
    ("苏", "jiangsu", include_str!("../data/reference/courts_jiangsu.csv")),
    ("浙", "zhejiang", include_str!("../data/reference/courts_zhejiang.csv")),
    ("皖", "anhui", include_str!("../data/reference/courts_anhui.csv")),
    ("闽", "fujian", include_str!("../data/reference/courts_fujian.csv")),
    ("赣", "jiangxi", include_str!("../data/reference/courts_jiangxi.csv")),
    ("鲁", "shandong", include_str!("../data/reference/courts_shandong.csv")),
    ("豫", "henan", include_str!("../data/reference/courts_henan.csv")),
    ("鄂", "hubei", include_str!("../data/reference/courts_hubei.csv")),
    ("湘", "hunan", include_str!("../data/reference/courts_hunan.csv")),
    ("粤", "guangdong", include_str!("../data/reference/courts_guangdong.csv")),
    ("桂", "guangxi", include_str!("../data/reference/courts_guangxi.csv")),
    ("琼", "hainan", include_str!("../data/reference/courts_hainan.csv")),
    ("渝", "chongqing", include_str!("../data/reference/courts_chongqing.csv")),
    ("川", "sichuan", include_str!("../data/reference/courts_sichuan.csv")),
    ("贵", "guizhou", include_str!("../data/reference/courts_guizhou.csv")),
    ("云", "yunnan", include_str!("../data/reference/courts_yunnan.csv")),
    ("藏", "xizang", include_str!("../data/reference/courts_xizang.csv")),
    ("陕", "shaanxi", include_str!("../data/reference/courts_shaanxi.csv")),
    ("甘", "gansu", include_str!("../data/reference/courts_gansu.csv")),
    ("青", "qinghai", include_str!("../data/reference/courts_qinghai.csv")),
    ("宁", "ningxia", include_str!("../data/reference/courts_ningxia.csv")),
    ("新", "xinjiang", include_str!("../data/reference/courts_xinjiang.csv")),
];

/// The embedded table of a province named by its 代字, if `word` is one.
pub fn province_table(word: &str) -> Option<(&'static str, &'static str)> {
    PROVINCES.iter().find(|(mark, ..)| *mark == word.trim()).map(|(_, name, text)| (*name, *text))
}
pub const DEFAULT_CAUSES: &str = include_str!("../data/reference/causes.csv");

/// A reference file that is missing or malformed: a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ReferenceError {
    pub source_name: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CourtLevel {
    High,
    Intermediate,
    Basic,
}

impl CourtLevel {
    pub fn label(self) -> &'static str {
        match self {
            CourtLevel::High => "高级",
            CourtLevel::Intermediate => "中级",
            CourtLevel::Basic => "基层",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Court {
    pub code: String,
    pub name: String,
    /// `None` for the high court, which belongs to no city.
    pub city: Option<String>,
    pub level: CourtLevel,
}

#[derive(Debug, Clone)]
pub struct Courts {
    pub list: Vec<Court>,
    by_code: HashMap<String, CourtId>,
    /// each court's code as a case number holds it (empty when longer than
    /// any case number's court code can be)
    codes: Vec<crate::domain::Code<8>>,
    /// where the table came from, for the manifest
    pub source: String,
    /// a digest of the table's text: cached parses made under another table
    /// are not reused
    pub fingerprint: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourtRow {
    court_code: String,
    court_name: String,
    city: String,
    level: String,
}

impl Courts {
    /// The courts table at `path`, or the embedded one of the province whose
    /// 代字 `path` is (`粤`), or Hebei's when none is named.
    pub fn load(path: Option<&Path>) -> Result<Courts, ReferenceError> {
        if let Some((name, text)) = path.and_then(|p| p.to_str()).and_then(province_table) {
            return Courts::parse(text, format!("(built in) data/reference/courts_{name}.csv"));
        }
        let (text, source) = read_reference(path, DEFAULT_COURTS, "courts_hebei.csv")?;
        Courts::parse(&text, source)
    }

    pub fn parse(text: &str, source: String) -> Result<Courts, ReferenceError> {
        let err = |message: String| ReferenceError { source_name: source.clone(), message };
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut list = Vec::new();
        let mut by_code = HashMap::new();
        for (i, row) in rdr.deserialize::<CourtRow>().enumerate() {
            let line = i + 2;
            let row = row.map_err(|e| err(format!("line {line}: {e}")))?;
            let code = nfkc_trim(&row.court_code).into_owned();
            if code.is_empty() {
                return Err(err(format!("line {line}: empty court_code")));
            }
            let level = match row.level.as_str() {
                "高级" => CourtLevel::High,
                "中级" => CourtLevel::Intermediate,
                "基层" => CourtLevel::Basic,
                other => return Err(err(format!("line {line}: level {other:?} is not one of 高级, 中级, 基层"))),
            };
            let city = Some(row.city).filter(|c| !c.is_empty());
            let id = list.len() as CourtId;
            if by_code.insert(code.clone(), id).is_some() {
                return Err(err(format!("line {line}: court_code {code} appears twice")));
            }
            list.push(Court { code, name: row.court_name, city, level });
        }
        if list.is_empty() {
            return Err(err("no courts".into()));
        }
        let codes = list.iter().map(|c| crate::domain::Code::new(&c.code).unwrap_or_default()).collect();
        Ok(Courts { list, by_code, codes, source, fingerprint: xxhash_rust::xxh3::xxh3_64(text.as_bytes()) })
    }

    pub fn id(&self, code: &str) -> Option<CourtId> {
        self.by_code.get(code).copied()
    }

    pub fn get(&self, id: CourtId) -> &Court {
        &self.list[id as usize]
    }

    /// The court's code, held inline as in a case number.
    pub fn code(&self, id: CourtId) -> crate::domain::Code<8> {
        self.codes[id as usize]
    }

    /// Every city named in the table, byte-wise sorted.
    pub fn cities(&self) -> Vec<String> {
        let mut c: Vec<String> = self.list.iter().filter_map(|c| c.city.clone()).collect();
        c.sort();
        c.dedup();
        c
    }
}

#[derive(Debug, Clone)]
pub struct Causes {
    /// each listed cause's category, as the table names it
    by_name: HashMap<String, String>,
    /// the category 涉合同类 counts (§13 `contract_category`)
    contract: String,
    pub source: String,
    /// a digest of the table's text: cached parses made under another table
    /// are not reused
    pub fingerprint: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CauseRow {
    cause: String,
    category: String,
}

impl Causes {
    pub fn load(path: Option<&Path>) -> Result<Causes, ReferenceError> {
        let (text, source) = read_reference(path, DEFAULT_CAUSES, "causes.csv")?;
        Causes::parse(&text, source)
    }

    pub fn parse(text: &str, source: String) -> Result<Causes, ReferenceError> {
        let err = |message: String| ReferenceError { source_name: source.clone(), message };
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut by_name = HashMap::new();
        for (i, row) in rdr.deserialize::<CauseRow>().enumerate() {
            let line = i + 2;
            let row = row.map_err(|e| err(format!("line {line}: {e}")))?;
            if row.category.is_empty() {
                return Err(err(format!("line {line}: empty category")));
            }
            by_name.insert(nfkc_trim(&row.cause).into_owned(), row.category);
        }
        let contract = CauseCategory::Contract.label().to_string();
        Ok(Causes { by_name, contract, source, fingerprint: xxhash_rust::xxh3::xxh3_64(text.as_bytes()) })
    }

    /// The same table with 涉合同类 counting `category` (§13); a category
    /// the table does not name (合同 always is: the fallback's) is an error
    /// naming the key.
    pub fn counting_as_contract(mut self, category: &str) -> Result<Causes, String> {
        let known = category == CauseCategory::Contract.label() || self.by_name.values().any(|c| c == category);
        if !known || category == CauseCategory::Other.label() {
            let mut names: Vec<&str> = self.by_name.values().map(String::as_str).chain([CauseCategory::Contract.label()]).collect();
            names.sort_unstable();
            names.dedup();
            return Err(format!(
                "definitions.contract_category = {category:?} is not a category of the causes table {} (it has {})",
                self.source,
                names.join(", ")
            ));
        }
        self.fingerprint = xxhash_rust::xxh3::xxh3_64_with_seed(category.as_bytes(), self.fingerprint);
        self.contract = category.to_string();
        Ok(self)
    }

    /// The category a cause falls in: exact match (the cause is already
    /// normalised) first; otherwise a name containing 合同, 借款 or 借贷 is
    /// 合同; otherwise 其他.
    pub fn category<'a>(&'a self, cause: &str) -> &'a str {
        if let Some(c) = self.by_name.get(cause) {
            return c;
        }
        if cause.contains("合同") || cause.contains("借款") || cause.contains("借贷") {
            CauseCategory::Contract.label()
        } else {
            CauseCategory::Other.label()
        }
    }

    /// Whether a cause counts as 涉合同类: its category is the contract one.
    pub fn classify(&self, cause: &str) -> CauseCategory {
        if self.category(cause) == self.contract {
            CauseCategory::Contract
        } else {
            CauseCategory::Other
        }
    }
}

fn read_reference(path: Option<&Path>, default: &str, default_name: &str) -> Result<(String, String), ReferenceError> {
    match path {
        None => Ok((default.to_string(), format!("(built in) data/reference/{default_name}"))),
        Some(p) => {
            let source = p.display().to_string();
            let bytes = std::fs::read(p).map_err(|e| ReferenceError { source_name: source.clone(), message: format!("cannot read: {e}") })?;
            let text = String::from_utf8(bytes).map_err(|_| ReferenceError { source_name: source.clone(), message: "not UTF-8".into() })?;
            Ok((text, source))
        }
    }
}

/// Resolves a reference path given relative to a base folder.
pub fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

impl crate::domain::CourtCodes for Courts {
    fn code(&self, id: CourtId) -> crate::domain::Code<8> {
        Courts::code(self, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_courts_table_has_the_high_court_eleven_intermediate_and_167_basic() {
        let c = Courts::load(None).unwrap();
        let count = |l| c.list.iter().filter(|x| x.level == l).count();
        assert_eq!(count(CourtLevel::High), 1);
        assert_eq!(count(CourtLevel::Intermediate), 11);
        assert_eq!(count(CourtLevel::Basic), 167);
        let cd = c.get(c.id("冀0821").unwrap());
        assert_eq!((cd.name.as_str(), cd.city.as_deref()), ("承德县人民法院", Some("承德市")));
        assert_eq!(c.get(c.id("冀").unwrap()).city, None);
        assert_eq!(c.cities().len(), 11);
    }

    #[test]
    fn shipped_causes_follow_the_2020_rules_for_contract_cases() {
        let c = Causes::load(None).unwrap();
        for s in ["民间借贷纠纷", "金融借款合同纠纷", "买卖合同纠纷", "信用卡纠纷", "物业服务合同纠纷", "不当得利纠纷", "无因管理纠纷", "追偿权纠纷"]
        {
            assert_eq!(c.classify(s), CauseCategory::Contract, "{s}");
        }
        for s in [
            "劳动争议",
            "追索劳动报酬纠纷",
            "机动车交通事故责任纠纷",
            "离婚纠纷",
            "侵害商标权纠纷",
            "知识产权合同纠纷",
            "劳动合同纠纷",
            "技术服务合同纠纷",
            "财产保险合同纠纷",
            "诈骗罪",
        ] {
            assert_eq!(c.classify(s), CauseCategory::Other, "{s}");
        }
    }

    #[test]
    fn unlisted_causes_fall_back_on_contract_words() {
        let c = Causes::parse("cause,category\n", "t".into()).unwrap();
        assert_eq!(c.classify("某某借款纠纷"), CauseCategory::Contract);
        assert_eq!(c.classify("企业借贷纠纷"), CauseCategory::Contract);
        assert_eq!(c.classify("离婚纠纷"), CauseCategory::Other);
    }

    #[test]
    fn a_province_counting_only_sales_contracts_counts_its_own_category() {
        let table = "cause,category\n买卖合同纠纷,买卖合同\n金融借款合同纠纷,合同\n离婚纠纷,其他\n";
        let c = Causes::parse(table, "t".into()).unwrap().counting_as_contract("买卖合同").unwrap();
        assert_eq!(c.classify("买卖合同纠纷"), CauseCategory::Contract);
        // the other contract causes, listed or matched by their words, do not count
        assert_eq!(c.classify("金融借款合同纠纷"), CauseCategory::Other);
        assert_eq!(c.classify("某某借款纠纷"), CauseCategory::Other);
        let default = Causes::parse(table, "t".into()).unwrap();
        assert_ne!(c.fingerprint, default.fingerprint, "cached parses under the other category must not serve");
        let e = Causes::parse(table, "t".into()).unwrap().counting_as_contract("租赁合同").unwrap_err();
        assert!(e.contains("contract_category") && e.contains("买卖合同"), "{e}");
        assert!(Causes::parse(table, "t".into()).unwrap().counting_as_contract("其他").is_err());
    }

    #[test]
    fn malformed_reference_tables_are_errors_naming_the_line() {
        let e = Courts::parse("court_code,court_name,city,level\n冀01,x,y,省级\n", "c.csv".into()).unwrap_err();
        assert!(e.to_string().contains("c.csv") && e.to_string().contains("line 2"), "{e}");
        assert!(Courts::parse("a,b\n1,2\n", "c.csv".into()).is_err());
    }
}

#[cfg(test)]
mod provinces {
    use super::*;

    #[test]
    fn every_province_table_parses_with_one_high_court_and_codes_of_its_mark() {
        let mut basic = 0;
        for (mark, name, text) in PROVINCES {
            let courts = Courts::parse(text, name.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let high: Vec<_> = courts.list.iter().filter(|c| c.level == CourtLevel::High).collect();
            assert_eq!(high.len(), 1, "{name}");
            assert_eq!(high[0].code, mark, "{name}");
            assert!(courts.list.iter().all(|c| c.code.starts_with(mark)), "{name}");
            assert!(courts.list.iter().filter(|c| c.level != CourtLevel::High).all(|c| c.city.is_some()), "{name}: every court has a city");
            basic += courts.list.iter().filter(|c| c.level == CourtLevel::Basic).count();
        }
        assert_eq!(basic, 2849, "the basic courts of the 31 tables");
        assert_eq!(province_table("冀").map(|t| t.1), Some(DEFAULT_COURTS));
    }
}
