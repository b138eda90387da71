//! Stage 1, ingest: finds the export files and turns each into decoded text
//! with a mapped header. A file that cannot be read or whose header does not
//! fit is rejected here, naming the file and the problem.

pub mod decode;
pub mod discover;
pub mod header;
pub mod read;
pub mod records;
pub mod sha256;
pub mod workbook;

pub use decode::Encoding;
pub use discover::{discover, DiscoverError, Discovery, InputFile};
pub use header::{Column, HeaderMap};
pub use read::{each_read, ReadFile, Stamp};

use records::Splitter;

/// A file read and decoded, with its header mapped (or why it did not map);
/// records still unparsed.
#[derive(Debug)]
pub struct LoadedFile {
    pub text: String,
    pub encoding: Encoding,
    pub delimiter: u8,
    pub sha256: String,
    pub header_cells: Vec<String>,
    pub header: Result<HeaderMap, header::HeaderError>,
    /// byte offset in `text` where the data records start, and their first line
    pub body_offset: usize,
    pub body_line: u64,
    /// non-blank lines above the header (a title, a date line: §2)
    pub title_lines: u64,
}

/// Why a whole file was rejected (§5.2).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Rejection {
    #[error("{}", self.message(Lang::En))]
    Unreadable(String),
    #[error("{0}")]
    Header(#[from] header::HeaderError),
    #[error("{}", self.message(Lang::En))]
    Empty,
    #[error("{}", self.message(Lang::En))]
    TooManyBadRows { quarantined: u64, records: u64, max: f64 },
    #[error("{}", self.message(Lang::En))]
    TooLarge { line: u64, what: &'static str, limit: u64 },
    #[error("{}", self.message(Lang::En))]
    ChangedWhileRead,
}

use crate::messages::{Lang, Msg};

impl Rejection {
    /// Why the file was rejected, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Rejection::Unreadable(why) => Msg::RejUnreadable.say(lang, &[why]),
            Rejection::Header(h) => h.message(lang),
            Rejection::Empty => Msg::RejEmpty.say(lang, &[]),
            Rejection::TooManyBadRows { quarantined, records, max } => Msg::RejTooManyBadRows.say(lang, &[quarantined, records, max]),
            Rejection::TooLarge { line, what, limit } => Msg::RejTooLarge.say(lang, &[line, what, limit]),
            Rejection::ChangedWhileRead => Msg::RejChanged.say(lang, &[]),
        }
    }
}

/// Bounds on a single record, so a hostile file cannot exhaust memory. The
/// defaults are far above any real export (≈ 200 bytes and 16 fields a row).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_record_bytes: u64,
    pub max_fields: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_record_bytes: 1 << 20, max_fields: 1000 }
    }
}

impl Limits {
    /// What a `TooLarge` rejection says was too large.
    pub const WHAT: [&'static str; 3] = ["a record's length in bytes", "a record's field count", "a file's line count"];

    /// The limit a record breaks, if any.
    pub fn check(&self, rec: &records::Record) -> Option<Rejection> {
        if rec.raw.len() as u64 > self.max_record_bytes {
            return Some(Rejection::TooLarge { line: rec.line, what: Self::WHAT[0], limit: self.max_record_bytes });
        }
        if rec.too_many_fields {
            return Some(Rejection::TooLarge { line: rec.line, what: Self::WHAT[1], limit: self.max_fields });
        }
        // a case keeps its line in 32 bits
        if rec.line > u64::from(u32::MAX) {
            return Some(Rejection::TooLarge { line: rec.line, what: Self::WHAT[2], limit: u64::from(u32::MAX) });
        }
        None
    }
}

/// Physical lines a header may sit on (§2): title and date lines above it
/// are skipped.
pub const HEADER_LINES: u64 = 10;

/// An input's bytes, read and hashed, as text with its header found: a
/// text file decoded (§2), a workbook's sheet rendered (`workbook`).
pub fn load(file: &InputFile, bytes: Vec<u8>, sha256: String, limits: &Limits) -> Result<LoadedFile, (Rejection, Option<String>, Option<Encoding>)> {
    if !file.is_workbook() {
        return load_bytes(bytes, sha256, limits);
    }
    let encoding = if workbook::format_of(&file.path.to_string_lossy()) == "xls" { Encoding::Xls } else { Encoding::Xlsx };
    let Some(sheet) = &file.sheet else {
        // discovery could not list its sheets: say why
        let why =
            workbook::sheet_names(std::io::Cursor::new(&bytes)).err().unwrap_or_else(|| Rejection::Unreadable("the workbook has no sheet".into()));
        return Err((why, Some(sha256), Some(encoding)));
    };
    let text = workbook::sheet_text(&bytes, sheet, limits).map_err(|r| (r, Some(sha256.clone()), Some(encoding)))?;
    drop(bytes);
    with_header(text, encoding, sha256, limits)
}

/// `load` for a text file's bytes already read and hashed.
pub fn load_bytes(bytes: Vec<u8>, sha256: String, limits: &Limits) -> Result<LoadedFile, (Rejection, Option<String>, Option<Encoding>)> {
    let (text, encoding) = decode::decode(bytes);
    with_header(text, encoding, sha256, limits)
}

/// A file's text with its header found (§2).
fn with_header(
    text: String,
    encoding: Encoding,
    sha256: String,
    limits: &Limits,
) -> Result<LoadedFile, (Rejection, Option<String>, Option<Encoding>)> {
    match find_header(&text, limits) {
        Ok(found) => Ok(LoadedFile {
            encoding,
            delimiter: found.delimiter,
            sha256,
            header_cells: found.cells,
            header: found.header.map_err(|e| e.at_line(found.line)),
            body_offset: found.body_offset,
            body_line: found.body_line,
            title_lines: found.title_lines,
            text,
        }),
        Err(r) => Err((r, Some(sha256), Some(encoding))),
    }
}

/// The line taken as the header: the first that maps every required column
/// (or is ambiguous: it maps them, twice over), else the closest.
struct FoundHeader {
    line: u64,
    delimiter: u8,
    cells: Vec<String>,
    header: Result<HeaderMap, header::HeaderError>,
    body_offset: usize,
    body_line: u64,
    /// non-blank lines above the header
    title_lines: u64,
}

/// §2's header rule: among the non-blank records starting on the first
/// `HEADER_LINES` lines, each split by its own delimiter, the first whose
/// cells map every required column; when none does, the one that maps the
/// most (the first of those), so that the message names the line meant.
fn find_header(text: &str, limits: &Limits) -> Result<FoundHeader, Rejection> {
    let mut closest: Option<(usize, FoundHeader)> = None;
    let (mut offset, mut line, mut title_lines) = (0, 1, 0);
    loop {
        let delimiter = records::detect_delimiter(&text[offset..]);
        let mut sp = Splitter::starting_at(text, delimiter, offset, line).with_max_fields(limits.max_fields as usize);
        let Some(rec) = sp.next_record() else { break };
        if rec.line > HEADER_LINES {
            break;
        }
        if let Some(r) = limits.check(&rec) {
            return Err(r);
        }
        let rec_line = rec.line;
        let cells: Vec<String> = (0..rec.fields.len()).filter_map(|i| rec.field(i)).map(|c| c.into_owned()).collect();
        let (body_offset, body_line) = sp.position();
        let header = header::map_header(&cells);
        let missing = header.as_ref().err().and_then(|e| e.missing_count());
        let found = FoundHeader { line: rec_line, delimiter, cells, header, body_offset, body_line, title_lines };
        let Some(missing) = missing else { return Ok(found) };
        if closest.as_ref().is_none_or(|(m, _)| missing < *m) {
            closest = Some((missing, found));
        }
        (offset, line, title_lines) = (body_offset, body_line, title_lines + 1);
    }
    closest.map(|(_, found)| found).ok_or(Rejection::Empty)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> LoadedFile {
        match load_bytes(text.as_bytes().to_vec(), String::new(), &Limits::default()) {
            Ok(l) => l,
            Err((r, ..)) => panic!("{r}"),
        }
    }

    const HEADER: &str = "案号,立案日期,结案日期,结案方式,案由";

    #[test]
    fn a_title_and_a_date_line_above_the_header_are_skipped_and_counted() {
        let l = load(&format!("承德县人民法院执行案件明细表\n\n统计日期：2023年8月22日\n{HEADER}\nx,y,z,w,v\n"));
        assert!(l.header.is_ok());
        assert_eq!((l.title_lines, l.body_line), (2, 5));
        assert_eq!(&l.text[l.body_offset..], "x,y,z,w,v\n");
    }

    #[test]
    fn each_candidate_line_is_split_by_its_own_delimiter() {
        let l = load(&format!("明细表,,\n{}\n", HEADER.replace(',', "\t")));
        assert_eq!((l.delimiter, l.title_lines), (b'\t', 1));
        assert!(l.header.is_ok());
    }

    #[test]
    fn a_header_below_line_ten_is_not_found_and_the_closest_line_is_named() {
        let titles = "标题\n".repeat(10);
        let l = load(&format!("{titles}{HEADER}\n"));
        let e = l.header.unwrap_err();
        // every line lacks all five: the first non-blank one is named
        assert!(matches!(&e, header::HeaderError::Missing { line: 1, missing } if missing.len() == 5), "{e:?}");
        let l = load("备注\n案号,立案日期,结案日期,案由\n案号,立案日期\n");
        assert_eq!(l.header.unwrap_err(), header::HeaderError::Missing { line: 2, missing: vec!["closure_method"] });
    }

    #[test]
    fn a_file_of_blank_lines_is_empty() {
        assert!(matches!(load_bytes(b"\n  \n".to_vec(), String::new(), &Limits::default()), Err((Rejection::Empty, ..))));
    }
}
