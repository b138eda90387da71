//! Stage 1, ingest: finds the export files and turns each into decoded text
//! with a mapped header. A file that cannot be read or whose header does not
//! fit is rejected here, naming the file and the problem.

pub mod decode;
pub mod discover;
pub mod header;
pub mod records;

pub use decode::Encoding;
pub use discover::{discover, DiscoverError, Discovery, InputFile};
pub use header::{Column, HeaderMap};

use records::Splitter;
use sha2::{Digest, Sha256};

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
}

/// Reads, hashes and decodes one file and maps its header. `Err` only when
/// there is no text to look at (unreadable, or no non-blank line); the sha256
/// and encoding come back with it when known.
pub fn load(file: &InputFile) -> Result<LoadedFile, (Rejection, Option<String>, Option<Encoding>)> {
    let bytes = std::fs::read(&file.path).map_err(|e| (Rejection::Unreadable(e.to_string()), None, None))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let (text, encoding) = decode::decode(bytes);
    let delimiter = records::detect_delimiter(&text);
    let (header_cells, body_offset, body_line) = {
        let mut sp = Splitter::new(&text, delimiter);
        let Some(rec) = sp.next_record() else { return Err((Rejection::Empty, Some(sha256), Some(encoding))) };
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
