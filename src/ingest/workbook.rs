//! Workbook inputs (§2): each worksheet of an `.xlsx` or `.xls` file read as
//! one file would be. A sheet becomes the text of a CSV file whose line `n`
//! is the sheet's row `n` as a spreadsheet shows it (rows without a value
//! are blank lines, which the splitter skips and counts), so that the
//! header rule, the row checks, the redaction and the quarantine's raw text
//! are the ones CSV files go through. Reading is calamine's; this module only
//! decides what a cell's text is:
//! - text as written (a line break inside a cell becomes a space, so that a
//!   record stays on its row's line);
//! - a number as the shortest decimal that reads back as the same number
//!   (`1234.56`), a boolean as `true`/`false`;
//! - a date or date-time cell as `YYYY-MM-DD` (and ` HH:MM:SS` when it has a
//!   time); in a date column (filing, closing, deadline, updated) a number
//!   is a date too: eight digits as `YYYYMMDD`, any other as a serial date
//!   of the workbook's 1900 or 1904 system.

use super::header::{Column, HeaderMap};
use super::{Limits, Rejection};
use calamine::{Data, DataRef, ExcelDateTime, ExcelDateTimeType, Reader, Sheets, Xls, Xlsx};
use std::io::{Cursor, Read, Seek, SeekFrom};

/// A workbook whose parts declare more than this many bytes unpacked, or
/// more than `MAX_RATIO` times their packed size, is refused before it is
/// opened: a zip bomb must not exhaust memory. Real exports unpack to 5–20
/// times their size.
const MAX_UNPACKED: u128 = 4 << 30;
const MAX_RATIO: u128 = 200;

/// Whether a file name is a workbook's (`.xlsx`, `.xls`, in any case).
pub fn is_workbook(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(b".xlsx") || lower.ends_with(b".xls")
}

/// The format word the manifest gives a workbook (§2: `xlsx` or `xls`).
pub fn format_of(name: &str) -> &'static str {
    if name.to_ascii_lowercase().ends_with(".xls") {
        "xls"
    } else {
        "xlsx"
    }
}

/// The sheet names of a workbook, in workbook order (what discovery lists
/// as inputs). Opening reads the zip's directory and the workbook part, not
/// the sheets, so discovery passes the open file rather than its bytes.
pub fn sheet_names<R: Read + Seek>(mut workbook: R) -> Result<Vec<String>, Rejection> {
    check_declared_sizes(&mut workbook)?;
    Ok(open(workbook)?.sheet_names())
}

fn open<R: Read + Seek>(mut workbook: R) -> Result<Sheets<R>, Rejection> {
    if is_encrypted(&mut workbook) {
        return Err(Rejection::Unreadable("a password-protected workbook: save it again without a password".into()));
    }
    let unreadable = |e: String| Rejection::Unreadable(format!("not a readable workbook: {e}"));
    // a zip is an .xlsx, a compound file an .xls, whatever the name says
    match magic(&mut workbook) {
        m if m.starts_with(b"PK") => Xlsx::new(workbook).map(Sheets::Xlsx).map_err(|e| unreadable(e.to_string())),
        m if m == *CFB => Xls::new(workbook).map(Sheets::Xls).map_err(|e| unreadable(e.to_string())),
        _ => Err(unreadable("Cannot detect file format".into())),
    }
}

/// The magic of a compound file (an `.xls`, or an encrypted `.xlsx`).
const CFB: &[u8; 8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The first bytes of a workbook (the reader left at the start).
fn magic<R: Read + Seek>(workbook: &mut R) -> [u8; 8] {
    let mut head = [0u8; 8];
    let _ = workbook.read(&mut head);
    let _ = workbook.seek(SeekFrom::Start(0));
    head
}

/// An encrypted OOXML workbook is a compound file holding an
/// `EncryptionInfo` stream (its name stored in UTF-16) instead of a zip.
fn is_encrypted<R: Read + Seek>(workbook: &mut R) -> bool {
    if magic(workbook) != *CFB {
        return false;
    }
    // the directory of a compound file sits near its start; 64 KiB holds it
    let mut start = Vec::new();
    let _ = workbook.by_ref().take(1 << 16).read_to_end(&mut start);
    let _ = workbook.seek(SeekFrom::Start(0));
    let name: Vec<u8> = "EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes).collect();
    memchr::memmem::find(&start, &name).is_some()
}

/// §2's size limits for a zip-based workbook: its declared unpacked sizes.
/// (An `.xls` file is no zip archive; calamine reads its records as it goes.)
fn check_declared_sizes<R: Read + Seek>(workbook: &mut R) -> Result<(), Rejection> {
    if !magic(workbook).starts_with(b"PK") {
        return Ok(());
    }
    let packed = u128::from(workbook.seek(SeekFrom::End(0)).unwrap_or(0));
    let _ = workbook.seek(SeekFrom::Start(0));
    let archive = zip::ZipArchive::new(workbook.by_ref()).map_err(|e| Rejection::Unreadable(format!("not a readable workbook: {e}")))?;
    let declared = archive.decompressed_size();
    drop(archive);
    let _ = workbook.seek(SeekFrom::Start(0));
    let Some(unpacked) = declared else { return Ok(()) };
    if unpacked > MAX_UNPACKED || unpacked > MAX_RATIO * packed.max(1 << 16) {
        return Err(Rejection::Unreadable(format!(
            "the workbook declares {unpacked} bytes unpacked from {packed}: over the limit of {MAX_UNPACKED} bytes or {MAX_RATIO} times its size (a zip bomb?)"
        )));
    }
    Ok(())
}

/// A cell as read, before the header says which columns hold dates.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Int(i64),
    Bool(bool),
    /// a date or date-time cell: its serial in the workbook's system
    Date(f64),
}

/// One sheet's cells by row (0-based row index, then its (column, cell)
/// pairs in column order); rows without a value are absent.
struct Grid {
    rows: Vec<(u32, Vec<(u32, Cell)>)>,
    width: u32,
    is_1904: bool,
}

/// Reads one sheet of a workbook into the text `super::find_header` and the
/// row checks read. Errors name the problem; the caller names the file.
pub fn sheet_text(bytes: &[u8], sheet: &str, limits: &Limits) -> Result<String, Rejection> {
    check_declared_sizes(&mut Cursor::new(bytes))?;
    let grid = read_grid(bytes, sheet, limits)?;
    let prefix = render(&grid, &[], Some(super::HEADER_LINES as u32));
    let dates = date_columns(&prefix, limits);
    Ok(render(&grid, &dates, None))
}

fn read_grid(bytes: &[u8], sheet: &str, limits: &Limits) -> Result<Grid, Rejection> {
    let mut book = open(Cursor::new(bytes))?;
    let unreadable = |e: String| Rejection::Unreadable(format!("sheet {sheet:?}: {e}"));
    let mut grid = Grid { rows: Vec::new(), width: 0, is_1904: false };
    match &mut book {
        Sheets::Xlsx(x) => {
            grid.is_1904 = x.has_1904_epoch();
            let mut cells = x.worksheet_cells_reader(sheet).map_err(|e| unreadable(e.to_string()))?;
            while let Some(c) = cells.next_cell().map_err(|e| unreadable(e.to_string()))? {
                let (row, col) = c.get_position();
                if let Some(cell) = cell_of_ref(c.get_value()) {
                    grid.push(row, col, cell, limits)?;
                }
            }
        }
        Sheets::Xls(x) => {
            grid.is_1904 = x.has_1904_epoch();
            let range = x.worksheet_range(sheet).map_err(|e| unreadable(e.to_string()))?;
            let (top, left) = range.start().unwrap_or((0, 0));
            for (r, c, v) in range.used_cells() {
                if let Some(cell) = cell_of(v) {
                    grid.push(top + r as u32, left + c as u32, cell, limits)?;
                }
            }
        }
        _ => return Err(Rejection::Unreadable("not an .xlsx or .xls workbook".into())),
    }
    Ok(grid)
}

impl Grid {
    /// Adds a cell; cells come row by row, left to right.
    fn push(&mut self, row: u32, col: u32, cell: Cell, limits: &Limits) -> Result<(), Rejection> {
        if u64::from(col) >= limits.max_fields {
            return Err(Rejection::TooLarge { line: u64::from(row) + 1, what: Limits::WHAT[1], limit: limits.max_fields });
        }
        match self.rows.last_mut() {
            Some((r, cells)) if *r == row => {
                if cells.last().is_some_and(|(c, _)| *c >= col) {
                    return Err(Rejection::Unreadable(format!("row {}: its cells are out of order", row + 1)));
                }
                cells.push((col, cell));
            }
            Some((r, _)) if *r > row => return Err(Rejection::Unreadable(format!("row {}: the rows are out of order", row + 1))),
            _ => self.rows.push((row, vec![(col, cell)])),
        }
        self.width = self.width.max(col + 1);
        Ok(())
    }
}

fn cell_of_ref(v: &DataRef) -> Option<Cell> {
    Some(match v {
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => Cell::Date(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Text(e.to_string()),
        DataRef::Empty => return None,
    })
}

fn cell_of(v: &Data) -> Option<Cell> {
    Some(match v {
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => Cell::Date(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(e.to_string()),
        Data::Empty => return None,
    })
}

/// The columns the header found among the first rows maps to a date column.
fn date_columns(prefix: &str, limits: &Limits) -> Vec<usize> {
    let Ok(found) = super::find_header(prefix, limits) else { return Vec::new() };
    let Ok(h) = &found.header else { return Vec::new() };
    [Column::FilingDate, Column::ClosingDate, Column::DeadlineDate, Column::UpdatedAt].iter().filter_map(|c| HeaderMap::get(h, *c)).collect()
}

/// The sheet as CSV text: line `n` is row `n`, every row as wide as the
/// sheet (as a spreadsheet saves CSV), up to row `last` when given.
fn render(grid: &Grid, dates: &[usize], last: Option<u32>) -> String {
    let mut out = String::new();
    let mut line = 0u32;
    let mut field = String::new();
    for (row, cells) in &grid.rows {
        if last.is_some_and(|l| *row >= l) {
            break;
        }
        while line < *row {
            out.push('\n');
            line += 1;
        }
        let mut at = 0u32;
        for (col, cell) in cells {
            while at < *col {
                out.push(',');
                at += 1;
            }
            field.clear();
            cell_text(cell, dates.contains(&(*col as usize)), grid.is_1904, &mut field);
            push_field(&mut out, &field);
        }
        while at + 1 < grid.width {
            out.push(',');
            at += 1;
        }
        out.push('\n');
        line += 1;
    }
    out
}

/// A field as CSV writes it: quoted when it holds a comma or a quote.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn cell_text(cell: &Cell, date_column: bool, is_1904: bool, out: &mut String) {
    use std::fmt::Write as _;
    match cell {
        Cell::Text(s) => out.extend(s.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c })),
        Cell::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Cell::Date(serial) => date_text(*serial, is_1904, out),
        Cell::Int(i) if date_column && !is_eight_digits(*i as f64) => date_text(*i as f64, is_1904, out),
        Cell::Number(f) if date_column && !is_eight_digits(*f) => date_text(*f, is_1904, out),
        Cell::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // Rust prints the shortest decimal that reads back as the same f64,
        // and never in exponent form
        Cell::Number(f) => {
            let _ = write!(out, "{f}");
        }
    }
}

fn is_eight_digits(f: f64) -> bool {
    f.fract() == 0.0 && (10_000_000.0..=99_999_999.0).contains(&f)
}

/// A serial date (whole part the day, fraction the time of day) as §2.2's
/// `YYYY-MM-DD[ HH:MM:SS]`; a serial before the first day of the system is
/// left as its number, which no date column accepts.
fn date_text(serial: f64, is_1904: bool, out: &mut String) {
    use std::fmt::Write as _;
    if !serial.is_finite() || serial < 1.0 {
        let _ = write!(out, "{serial}");
        return;
    }
    let (y, m, d, hh, mm, ss, _) = ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, is_1904).to_ymd_hms_milli();
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    if (hh, mm, ss) != (0, 0, 0) {
        let _ = write!(out, " {hh:02}:{mm:02}:{ss:02}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: Cell, date_column: bool, is_1904: bool) -> String {
        let mut s = String::new();
        cell_text(&c, date_column, is_1904, &mut s);
        s
    }

    #[test]
    fn numbers_are_their_shortest_round_trip_decimal() {
        assert_eq!(text(Cell::Number(1234.56), false, false), "1234.56");
        assert_eq!(text(Cell::Number(0.1 + 0.2), false, false), "0.30000000000000004");
        assert_eq!(text(Cell::Number(100.0), false, false), "100");
        assert_eq!(text(Cell::Number(1e21), false, false), "1000000000000000000000");
        assert_eq!(text(Cell::Int(-7), false, false), "-7");
        assert_eq!(text(Cell::Bool(true), false, false), "true");
    }

    #[test]
    fn a_number_in_a_date_column_is_yyyymmdd_or_a_serial_of_either_system() {
        assert_eq!(text(Cell::Int(20230105), true, false), "20230105");
        assert_eq!(text(Cell::Number(20230105.0), true, false), "20230105");
        // 44931 is 5 January 2023 in the 1900 system, 1462 days later in 1904's
        assert_eq!(text(Cell::Number(44931.0), true, false), "2023-01-05");
        assert_eq!(text(Cell::Number(44931.0 - 1462.0), true, true), "2023-01-05");
        assert_eq!(text(Cell::Number(44931.5), true, false), "2023-01-05 12:00:00");
        assert_eq!(text(Cell::Date(44931.0), false, false), "2023-01-05");
        // outside a date column a number stays a number
        assert_eq!(text(Cell::Number(44931.0), false, false), "44931");
        assert_eq!(text(Cell::Number(0.0), true, false), "0");
    }

    #[test]
    fn text_cells_keep_their_row_on_one_line() {
        let grid = Grid {
            rows: vec![(0, vec![(0, Cell::Text("标题".into()))]), (2, vec![(0, Cell::Text("a,\"b\"".into())), (2, Cell::Text("x\ny".into()))])],
            width: 4,
            is_1904: false,
        };
        assert_eq!(render(&grid, &[], None), "标题,,,\n\n\"a,\"\"b\"\"\",,x y,\n");
        assert_eq!(render(&grid, &[], Some(1)), "标题,,,\n");
    }

    #[test]
    fn something_that_is_no_workbook_is_refused_not_a_panic() {
        for bytes in [&b"case_no,filing_date\n"[..], b"PK\x03\x04garbage", b"", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1broken"] {
            assert!(matches!(sheet_names(Cursor::new(bytes)), Err(Rejection::Unreadable(_))), "{bytes:?}");
        }
    }
}
