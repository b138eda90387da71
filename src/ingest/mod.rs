//! Stage 1, ingest: finds the export files and turns each into decoded text
//! with a mapped header. A file that cannot be read or whose header does not
//! fit is rejected here, naming the file and the problem.

pub mod decode;
pub mod discover;
pub mod header;
pub mod read;
pub mod records;
pub mod sha256;

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
}

/// Why a whole file was rejected (§5.2).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Rejection {
    #[error("cannot be read: {0}")]
    Unreadable(String),
    #[error("{0}")]
    Header(#[from] header::HeaderError),
    #[error("empty file: the header lacks every required column")]
    Empty,
    #[error("{quarantined} of {records} data records quarantined, more than max_bad_row_ratio {max}")]
    TooManyBadRows { quarantined: u64, records: u64, max: f64 },
    #[error("line {line}: {what} exceeds the limit of {limit} (max_record_bytes / max_fields in the pipeline file)")]
    TooLarge { line: u64, what: &'static str, limit: u64 },
    #[error("changed while it was read (its size or modification time moved): run again once the export is written")]
    ChangedWhileRead,
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

/// `load` for bytes already read and hashed.
pub fn load_bytes(bytes: Vec<u8>, sha256: String, limits: &Limits) -> Result<LoadedFile, (Rejection, Option<String>, Option<Encoding>)> {
    let (text, encoding) = decode::decode(bytes);
    let delimiter = records::detect_delimiter(&text);
    let (header_cells, body_offset, body_line) = {
        let mut sp = Splitter::new(&text, delimiter).with_max_fields(limits.max_fields as usize);
        let Some(rec) = sp.next_record() else { return Err((Rejection::Empty, Some(sha256), Some(encoding))) };
        if let Some(r) = limits.check(&rec) {
            return Err((r, Some(sha256), Some(encoding)));
        }
        let cells: Vec<String> = (0..rec.fields.len()).filter_map(|i| rec.field(i)).map(|c| c.into_owned()).collect();
        let (offset, line) = sp.position();
        (cells, offset, line)
    };
    let header = header::map_header(&header_cells);
    Ok(LoadedFile { text, encoding, delimiter, sha256, header_cells, header, body_offset, body_line })
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
