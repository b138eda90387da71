//! CSV as BI tools and Excel want it (§9): UTF-8 with a BOM, rates at full
//! precision in their shortest round-trip form, amounts with two decimals,
//! ISO dates, `true`/`false`, nulls as empty fields.

use super::reuse::ChunkStore;
use super::table::{Chunked, Table, Values};
use std::io::Write;

/// The shortest decimal that reads back as the same double, never in
/// exponent form, with `.0` on whole numbers so readers infer a float.
pub fn float_text(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') || !v.is_finite() {
        s
    } else {
        s + ".0"
    }
}

pub fn yuan_text(fen: i128) -> String {
    let mut out = String::new();
    push_yuan(&mut out, fen);
    out
}

fn push_yuan(out: &mut String, fen: i128) {
    if fen < 0 {
        out.push('-');
    }
    let a = fen.unsigned_abs();
    match u64::try_from(a / 100) {
        Ok(whole) => push_digits(out, whole),
        // beyond u64 yuan: the slow path (no export holds such an amount)
        Err(_) => out.push_str(&(a / 100).to_string()),
    }
    out.push('.');
    push_two(out, (a % 100) as u32);
}

/// `n` in decimal, without `fmt`'s machinery (a million-row list has
/// millions of numbers).
fn push_digits(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // ASCII digits
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_digits(out, n.unsigned_abs());
}

fn push_two(out: &mut String, v: u32) {
    out.push(char::from(b'0' + (v / 10 % 10) as u8));
    out.push(char::from(b'0' + (v % 10) as u8));
}

/// A text cell that Excel would read as a formula (OWASP "CSV injection"):
/// one starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`. Numbers are never text cells, so they are never touched.
pub fn neutralize(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => std::borrow::Cow::Owned(format!("'{s}")),
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// The inverse of `neutralize`, for reading our own CSV back.
pub fn unneutralize(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if matches!(rest.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')) => rest,
        _ => s,
    }
}

pub fn cell(v: &Values, row: usize) -> String {
    let mut out = String::new();
    push_cell(v, row, &mut out);
    out
}

/// Appends the text of one cell: `cell` without an allocation per cell (the
/// duplicates table alone is millions of cells at national scale).
pub fn push_cell(v: &Values, row: usize, out: &mut String) {
    use std::fmt::Write as _;
    // writing into a String cannot fail
    let _ = match v {
        Values::Text(_) | Values::Dict { .. } | Values::Packed { .. } => {
            if let Some(s) = v.text_at(row) {
                out.push_str(&neutralize(s));
            }
            Ok(())
        }
        Values::Int(x) => {
            if let Some(n) = x[row] {
                push_int(out, n);
            }
            Ok(())
        }
        Values::Float(x) => {
            if let Some(f) = x[row] {
                out.push_str(&float_text(f));
            }
            Ok(())
        }
        Values::Yuan(x) => {
            if let Some(fen) = x[row] {
                push_yuan(out, fen);
            }
            Ok(())
        }
        Values::Date(x) => x[row].map_or(Ok(()), |d| {
            use chrono::Datelike;
            match d.year() {
                y @ 0..=9999 => {
                    push_two(out, y as u32 / 100);
                    push_two(out, y as u32 % 100);
                    out.push('-');
                    push_two(out, d.month());
                    out.push('-');
                    push_two(out, d.day());
                    Ok(())
                }
                _ => write!(out, "{}", d.format("%Y-%m-%d")),
            }
        }),
        Values::Timestamp(x) => {
            if let Some(t) = x[row].and_then(chrono::DateTime::from_timestamp_millis) {
                push_datetime(out, &t.naive_utc());
            }
            Ok(())
        }
        Values::Bool(x) => {
            if let Some(b) = x[row] {
                out.push_str(if b { "true" } else { "false" });
            }
            Ok(())
        }
    };
}

/// `YYYY-MM-DDTHH:MM:SS` (and `.mmm` when there are milliseconds), by hand:
/// chrono's formatter parses its pattern on every call, which shows in
/// profiles at a million rows.
pub fn push_datetime(out: &mut String, t: &chrono::NaiveDateTime) {
    use chrono::{Datelike, Timelike};
    let two = push_two;
    let y = t.year();
    if (0..=9999).contains(&y) {
        two(out, y as u32 / 100);
        two(out, y as u32 % 100);
    } else {
        out.push_str(&format!("{y:04}"));
    }
    out.push('-');
    two(out, t.month());
    out.push('-');
    two(out, t.day());
    out.push('T');
    two(out, t.hour());
    out.push(':');
    two(out, t.minute());
    out.push(':');
    two(out, t.second());
    let ms = t.and_utc().timestamp_subsec_millis();
    if ms > 0 {
        out.push_str(&format!(".{ms:03}"));
    }
}

pub fn write<W: Write>(table: &Table, w: W) -> std::io::Result<()> {
    write_with(table, w, super::labels::HeaderLanguage::English)
}

pub fn write_with<W: Write>(table: &Table, mut w: W, headers: super::labels::HeaderLanguage) -> std::io::Result<()> {
    let chinese;
    let table = if headers == super::labels::HeaderLanguage::Chinese {
        chinese = super::labels::in_chinese(table);
        &chinese
    } else {
        table
    };
    w.write_all(b"\xEF\xBB\xBF")?;
    let mut head = writer(&mut w);
    head.write_record(table.columns.iter().map(|c| headers.label(table.name, c.0)))?;
    head.flush()?;
    drop(head);
    records_to(table, &mut w)?;
    w.flush()
}

fn writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(w)
}

/// The rows of a table as CSV (RFC 4180, CRLF): the bytes the `csv` crate
/// writes for the same cells (`the_row_encoder_writes_what_the_csv_crate_writes`
/// holds the two together), a few times faster, which a watch list of a
/// million rows needs: a dictionary column's entries are escaped once, and
/// numbers, dates and flags, which never need quotes, are appended as they
/// are. Written a few thousand rows at a time through one reused buffer.
fn records_to<W: Write>(table: &Table, w: &mut W) -> std::io::Result<()> {
    const ROWS_PER_WRITE: usize = 4096;
    let cells = Cells::of(table);
    let mut out = String::with_capacity(ROWS_PER_WRITE * 256);
    for start in (0..table.rows()).step_by(ROWS_PER_WRITE) {
        out.clear();
        cells.rows_into(start..(start + ROWS_PER_WRITE).min(table.rows()), &mut out);
        w.write_all(out.as_bytes())?;
    }
    Ok(())
}

/// How each column's cells are appended to a row.
struct Cells<'t> {
    columns: Vec<Cell<'t>>,
    /// a lone column's empty cell is `""` (else its row would be blank)
    lone: bool,
}

enum Cell<'t> {
    /// a dictionary column: its entries, each escaped once
    Dict(Vec<String>, &'t [Option<u32>]),
    /// free text: escaped cell by cell
    Text(&'t Values),
    /// numbers, dates and flags: never quoted
    Plain(&'t Values),
}

impl<'t> Cells<'t> {
    fn of(table: &'t Table) -> Self {
        let lone = table.columns.len() == 1;
        let columns = table
            .columns
            .iter()
            .map(|(_, v)| match v {
                Values::Dict { dict, codes } => Cell::Dict(
                    dict.iter()
                        .map(|e| {
                            let mut text = String::new();
                            push_escaped(&mut text, e);
                            text
                        })
                        .collect(),
                    codes,
                ),
                Values::Text(_) | Values::Packed { .. } => Cell::Text(v),
                _ => Cell::Plain(v),
            })
            .collect();
        Cells { columns, lone }
    }

    /// The rows in `rows`, each ended by CRLF, appended to `out`: straight
    /// into the buffer the caller writes, no text made per cell.
    fn rows_into(&self, rows: std::ops::Range<usize>, out: &mut String) {
        for row in rows {
            for (k, cell) in self.columns.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                let at = out.len();
                match cell {
                    Cell::Dict(entries, codes) => {
                        if let Some(e) = codes[row].and_then(|c| entries.get(c as usize)) {
                            out.push_str(e);
                        }
                    }
                    Cell::Text(values) => push_escaped(out, values.text_at(row).unwrap_or("")),
                    Cell::Plain(values) => push_cell(values, row, out),
                }
                if self.lone && out.len() == at {
                    out.push_str("\"\"");
                }
            }
            out.push_str("\r\n");
        }
    }
}

/// A text cell as the CSV holds it, appended to `out`: neutralised
/// (`neutralize`), then quoted when it holds a comma, a quote or a line end
/// (quotes doubled), as the `csv` crate's necessary quoting does.
fn push_escaped(out: &mut String, text: &str) {
    let t = neutralize(text);
    if !t.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        out.push_str(&t);
        return;
    }
    out.push('"');
    for (k, part) in t.split('"').enumerate() {
        if k > 0 {
            out.push_str("\"\"");
        }
        out.push_str(part);
    }
    out.push('"');
}

/// The BOM and the header line of a chunked table's CSV.
pub fn write_chunked_header<W: Write>(table: &Chunked, mut w: W, headers: super::labels::HeaderLanguage) -> std::io::Result<()> {
    w.write_all(b"\xEF\xBB\xBF")?;
    let mut head = writer(&mut w);
    head.write_record((table.build)(0..0)?.columns.iter().map(|c| headers.label(table.name, c.0)))?;
    head.flush()
}

/// A built chunk's rows as CSV text (coded values in Chinese with Chinese
/// headers): what `write_chunked` writes for it.
pub fn chunk_text(t: &Table, headers: super::labels::HeaderLanguage) -> std::io::Result<Vec<u8>> {
    // a watch-list row is ~170 bytes: room enough not to move the text
    let mut out = String::with_capacity(t.rows() * 192);
    if headers == super::labels::HeaderLanguage::Chinese {
        Cells::of(&super::labels::in_chinese(t)).rows_into(0..t.rows(), &mut out);
    } else {
        Cells::of(t).rows_into(0..t.rows(), &mut out);
    }
    Ok(out.into_bytes())
}

/// What a chunk's CSV text is kept under in the chunk store: its cells
/// differ with the language of the headers.
pub fn chunk_format(headers: super::labels::HeaderLanguage) -> &'static str {
    if headers == super::labels::HeaderLanguage::Chinese {
        "csv-zh"
    } else {
        "csv"
    }
}

/// A chunked table as one CSV, the bytes `write_with` writes for the whole
/// table, a chunk at
/// a time (the case table's chunks are being encoded on the other threads
/// meanwhile). With a `store`, a chunk's text is taken from an earlier run
/// when its rows' fingerprint is the same, and kept for the next run
/// otherwise.
pub fn write_chunked<W: Write>(
    table: &Chunked,
    mut w: W,
    headers: super::labels::HeaderLanguage,
    store: Option<&dyn ChunkStore>,
) -> std::io::Result<()> {
    write_chunked_header(table, &mut w, headers)?;
    // a chunk's cells as the CSV shows them (coded values in Chinese with
    // Chinese headers); the stored text is keyed by the language too
    let build = |range: std::ops::Range<usize>| -> std::io::Result<Table> {
        let t = (table.build)(range)?;
        Ok(if headers == super::labels::HeaderLanguage::Chinese { super::labels::in_chinese(&t) } else { t })
    };
    let format = chunk_format(headers);
    for range in table.ranges.iter().filter(|r| !r.is_empty()) {
        let entry = super::reuse::entry(store, table, format, range.clone());
        match entry {
            None => records_to(&build(range.clone())?, &mut w)?,
            Some((s, name)) => {
                let text = match s.get(&name) {
                    Some(text) => text,
                    None => {
                        let mut text = Vec::new();
                        records_to(&build(range.clone())?, &mut text)?;
                        s.put(&name, &text);
                        text
                    }
                };
                w.write_all(&text)?;
            }
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows as the `csv` crate writes them, field by field: the oracle
    /// `records_to` is held to.
    fn rows_by_the_csv_crate(table: &Table) -> Vec<u8> {
        let mut out = writer(Vec::new());
        let mut field = String::new();
        for row in 0..table.rows() {
            for (_, values) in &table.columns {
                field.clear();
                push_cell(values, row, &mut field);
                out.write_field(&field).unwrap();
            }
            out.write_record(None::<&[u8]>).unwrap();
        }
        out.into_inner().unwrap()
    }

    fn awkward_text() -> impl proptest::strategy::Strategy<Value = Option<String>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(String::new()),
            Just(",".to_string()),
            Just("\"".to_string()),
            Just("\r".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("=".to_string()),
            Just("+".to_string()),
            Just("-".to_string()),
            Just("@".to_string()),
            Just("'".to_string()),
            Just(" ".to_string()),
            Just("\t".to_string()),
            Just("冀执".to_string()),
            "[a-z0-9]{1,4}",
        ];
        proptest::option::weighted(0.85, proptest::collection::vec(piece, 0..5).prop_map(|p| p.concat()))
    }

    proptest::proptest! {
        #[test]
        fn numbers_and_dates_print_as_fmt_prints_them(n in proptest::num::i64::ANY, fen in proptest::num::i128::ANY, days in -1_000_000i32..4_000_000) {
            let cell = |v: Values| { let mut s = String::new(); push_cell(&v, 0, &mut s); s };
            proptest::prop_assert_eq!(cell(Values::Int(vec![Some(n)])), n.to_string());
            let sign = if fen < 0 { "-" } else { "" };
            let a = fen.unsigned_abs();
            proptest::prop_assert_eq!(cell(Values::Yuan(vec![Some(fen)])), format!("{sign}{}.{:02}", a / 100, a % 100));
            if let Some(d) = chrono::NaiveDate::from_num_days_from_ce_opt(days) {
                proptest::prop_assert_eq!(cell(Values::Date(vec![Some(d)])), d.format("%Y-%m-%d").to_string());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_row_encoder_writes_what_the_csv_crate_writes(
            rows in 0usize..12,
            kinds in proptest::collection::vec(0u8..7, 1..5),
            texts in proptest::collection::vec(awkward_text(), 12 * 5),
            dict in proptest::collection::vec(awkward_text(), 1..5),
            codes in proptest::collection::vec(proptest::option::weighted(0.8, 0u32..4), 12 * 5),
            ints in proptest::collection::vec(proptest::option::of(proptest::num::i64::ANY), 12 * 5),
            days in proptest::collection::vec(proptest::option::of(-800_000i64..800_000), 12 * 5),
        ) {
            let mut t = Table::new("t");
            const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];
            for (k, kind) in kinds.iter().enumerate() {
                let at = |i: usize| k * 12 + i;
                match kind {
                    0 => t.text(NAMES[k], (0..rows).map(|i| texts[at(i)].clone()).collect()),
                    1 => {
                        let entries: Vec<String> = dict.iter().map(|d| d.clone().unwrap_or_default()).collect();
                        let n = entries.len() as u32;
                        t.dict(NAMES[k], entries, (0..rows).map(|i| codes[at(i)].map(|c| c % n)).collect())
                    }
                    2 => t.int(NAMES[k], (0..rows).map(|i| ints[at(i)]).collect()),
                    3 => t.yuan(NAMES[k], (0..rows).map(|i| ints[at(i)].map(i128::from)).collect()),
                    4 => t.date(NAMES[k], (0..rows).map(|i| days[at(i)].and_then(|d| chrono::NaiveDate::from_num_days_from_ce_opt(d as i32 + 700_000))).collect()),
                    5 => t.boolean(NAMES[k], (0..rows).map(|i| ints[at(i)].map(|n| n % 2 == 0)).collect()),
                    _ => t.float(NAMES[k], (0..rows).map(|i| ints[at(i)].map(|n| n as f64 / 7.0)).collect()),
                };
            }
            let mut ours = Vec::new();
            records_to(&t, &mut ours).unwrap();
            let oracle = rows_by_the_csv_crate(&t);
            proptest::prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&oracle));
        }
    }

    #[test]
    fn floats_print_shortest_round_trip_never_rounded() {
        assert_eq!(float_text(16.0 / 31.0), "0.5161290322580645");
        assert_eq!(float_text(0.5), "0.5");
        assert_eq!(float_text(234.0), "234.0");
        assert_eq!(float_text(1e-7), "0.0000001");
        assert_eq!(float_text(225.39999999999998), "225.39999999999998");
    }

    #[test]
    fn amounts_print_two_decimals_of_yuan() {
        assert_eq!(yuan_text(1_095_883_830), "10958838.30");
        assert_eq!(yuan_text(7), "0.07");
        assert_eq!(yuan_text(0), "0.00");
    }

    #[test]
    fn text_cells_that_look_like_formulas_are_neutralised_numbers_are_not() {
        let mut t = Table::new("t");
        t.text("raw", vec![Some("=HYPERLINK(\"x\")".into()), Some("-1".into()), Some("@a".into()), Some("（2023）冀执1号".into())])
            .yuan("amount", vec![Some(-150), None, None, None]);
        let mut buf = Vec::new();
        write(&t, &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(s.contains("\"'=HYPERLINK(\"\"x\"\")\",-1.50\r\n"), "{s}");
        assert!(s.contains("'-1,") && s.contains("'@a,") && s.contains("\r\n（2023）冀执1号,"), "{s}");
        for raw in ["=HYPERLINK(1)", "-1", "@a", "'quoted", "（2023）冀执1号"] {
            assert_eq!(unneutralize(&neutralize(raw)), raw);
        }
    }

    #[test]
    fn csv_has_a_bom_crlf_and_empty_nulls() {
        let mut t = Table::new("t");
        t.text("city", vec![Some("承德市".into()), Some("a,b".into())])
            .float("rate", vec![None, Some(1.0)])
            .boolean("complete", vec![Some(true), Some(false)]);
        let mut buf = Vec::new();
        write(&t, &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(s, "\u{feff}city,rate,complete\r\n承德市,,true\r\n\"a,b\",1.0,false\r\n");
    }
}
