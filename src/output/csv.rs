//! CSV as BI tools and Excel want it (§9): UTF-8 with a BOM, rates at full
//! precision in their shortest round-trip form, amounts with two decimals,
//! ISO dates, `true`/`false`, nulls as empty fields.

use super::reuse::ChunkStore;
use super::table::{Chunked, Table, Values};
use crate::decimal::{self, pair};
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
    let mut out = Vec::new();
    yuan_bytes(&mut out, fen);
    // ASCII digits
    String::from_utf8(out).unwrap_or_default()
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
    let mut out = Vec::new();
    push_cell(v, row, &mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends the text of one cell as the CSV holds it, unescaped: `cell`
/// without an allocation per cell (the watch list alone is 15 million
/// cells on the bench).
pub fn push_cell(v: &Values, row: usize, out: &mut Vec<u8>) {
    match v {
        Values::Text(_) | Values::Dict { .. } | Values::Packed { .. } => {
            if let Some(s) = v.text_at(row) {
                out.extend_from_slice(neutralize(s).as_bytes());
            }
        }
        Values::Int(x) => {
            if let Some(n) = x[row] {
                int_bytes(out, n);
            }
        }
        Values::Float(x) => {
            if let Some(f) = x[row] {
                out.extend_from_slice(float_text(f).as_bytes());
            }
        }
        Values::Yuan(x) => {
            if let Some(fen) = x[row] {
                yuan_bytes(out, fen);
            }
        }
        Values::Date(x) => {
            if let Some(d) = x[row] {
                date_bytes(out, d);
            }
        }
        Values::Timestamp(x) => {
            if let Some(t) = x[row].and_then(chrono::DateTime::from_timestamp_millis) {
                push_datetime(out, &t.naive_utc());
            }
        }
        Values::Bool(x) => {
            if let Some(b) = x[row] {
                out.extend_from_slice(if b { b"true" } else { b"false" });
            }
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (and `.mmm` when there are milliseconds), by hand:
/// chrono's formatter parses its pattern on every call, which shows in
/// profiles at a million rows.
pub fn push_datetime(out: &mut Vec<u8>, t: &chrono::NaiveDateTime) {
    use chrono::Timelike;
    date_bytes(out, t.date());
    let [a, b] = pair(t.hour());
    let [c, d] = pair(t.minute());
    let [e, f] = pair(t.second());
    out.extend_from_slice(&[b'T', a, b, b':', c, d, b':', e, f]);
    let ms = t.and_utc().timestamp_subsec_millis();
    if ms > 0 {
        out.extend_from_slice(format!(".{ms:03}").as_bytes());
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
    let mut out = Vec::with_capacity(ROWS_PER_WRITE * 256);
    for start in (0..table.rows()).step_by(ROWS_PER_WRITE) {
        out.clear();
        cells.rows_into(start..(start + ROWS_PER_WRITE).min(table.rows()), &mut out);
        w.write_all(&out)?;
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
    Dict(Vec<Entry>, &'t [Option<u32>]),
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
                            let mut text = Vec::new();
                            push_escaped(&mut text, e);
                            Entry::of(text)
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
    fn rows_into(&self, rows: std::ops::Range<usize>, out: &mut Vec<u8>) {
        for row in rows {
            for (k, cell) in self.columns.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                let at = out.len();
                match cell {
                    Cell::Dict(entries, codes) => {
                        if let Some(e) = codes[row].and_then(|c| entries.get(c as usize)) {
                            e.push_to(out);
                        }
                    }
                    Cell::Text(values) => push_escaped(out, values.text_at(row).unwrap_or("")),
                    Cell::Plain(values) => push_cell(values, row, out),
                }
                if self.lone && out.len() == at {
                    out.extend_from_slice(b"\"\"");
                }
            }
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// A dictionary entry as its cells are written: a short one (court names,
/// causes, list codes: nearly all) as a fixed block of `Entry::BLOCK`
/// bytes, copied whole and cut to its length, which compiles to a few
/// vector moves instead of a `memcpy` call per cell (seven cells a row of
/// the watch list).
enum Entry {
    Short([u8; Entry::BLOCK], usize),
    Long(Vec<u8>),
}

impl Entry {
    const BLOCK: usize = 64;

    fn of(text: Vec<u8>) -> Entry {
        if text.len() > Entry::BLOCK {
            return Entry::Long(text);
        }
        let mut block = [0u8; Entry::BLOCK];
        block[..text.len()].copy_from_slice(&text);
        Entry::Short(block, text.len())
    }

    fn push_to(&self, out: &mut Vec<u8>) {
        match self {
            Entry::Short(block, len) => {
                let at = out.len();
                out.extend_from_slice(block);
                out.truncate(at + len);
            }
            Entry::Long(text) => out.extend_from_slice(text),
        }
    }
}

fn int_bytes(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    decimal::push(out, n.unsigned_abs(), 1);
}

/// Yuan with two decimals, from fen (as `push_yuan`).
fn yuan_bytes(out: &mut Vec<u8>, fen: i128) {
    if fen < 0 {
        out.push(b'-');
    }
    let a = fen.unsigned_abs();
    match u64::try_from(a / 100) {
        Ok(whole) => decimal::push(out, whole, 1),
        // beyond u64 yuan: the slow path (no export holds such an amount)
        Err(_) => out.extend_from_slice((a / 100).to_string().as_bytes()),
    }
    out.push(b'.');
    out.extend_from_slice(&pair((a % 100) as u32));
}

/// `YYYY-MM-DD` in one store (years outside 0–9999 as chrono writes them).
fn date_bytes(out: &mut Vec<u8>, d: chrono::NaiveDate) {
    use chrono::Datelike;
    match d.year() {
        y @ 0..=9999 => {
            let (y, m, day) = (y as u32, d.month(), d.day());
            let [a, b] = pair(y / 100);
            let [c, e] = pair(y);
            let [f, g] = pair(m);
            let [h, i] = pair(day);
            out.extend_from_slice(&[a, b, c, e, b'-', f, g, b'-', h, i]);
        }
        _ => out.extend_from_slice(d.format("%Y-%m-%d").to_string().as_bytes()),
    }
}

/// A text cell as the CSV holds it, appended to `out`: neutralised
/// (`neutralize`), then quoted when it holds a comma, a quote or a line end
/// (quotes doubled), as the `csv` crate's necessary quoting does.
fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let t = neutralize(text);
    // the four bytes that force quotes all lie at or below ','; a pass that
    // only looks for such bytes (and vectorises) clears nearly every cell
    let low = t.bytes().fold(false, |seen, b| seen | (b <= b','));
    if !low || !t.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        out.extend_from_slice(t.as_bytes());
        return;
    }
    out.push(b'"');
    for (k, part) in t.split('"').enumerate() {
        if k > 0 {
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(part.as_bytes());
    }
    out.push(b'"');
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
    let mut out = Vec::with_capacity(t.rows() * 192);
    if headers == super::labels::HeaderLanguage::Chinese {
        Cells::of(&super::labels::in_chinese(t)).rows_into(0..t.rows(), &mut out);
    } else {
        Cells::of(t).rows_into(0..t.rows(), &mut out);
    }
    Ok(out)
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
        let mut field = Vec::new();
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
            let cell = |v: Values| cell(&v, 0);
            proptest::prop_assert_eq!(cell(Values::Int(vec![Some(n)])), n.to_string());
            let sign = if fen < 0 { "-" } else { "" };
            let a = fen.unsigned_abs();
            proptest::prop_assert_eq!(cell(Values::Yuan(vec![Some(fen)])), format!("{sign}{}.{:02}", a / 100, a % 100));
            if let Some(d) = chrono::NaiveDate::from_num_days_from_ce_opt(days) {
                proptest::prop_assert_eq!(cell(Values::Date(vec![Some(d)])), d.format("%Y-%m-%d").to_string());
            }
            // 1900–2099, and the milliseconds shown only when there are some
            let ms = (n % 6_311_390_400_000).abs() - 2_208_988_800_000;
            if let Some(t) = chrono::DateTime::from_timestamp_millis(ms) {
                let whole = if ms % 1000 == 0 { "%Y-%m-%dT%H:%M:%S" } else { "%Y-%m-%dT%H:%M:%S%.3f" };
                proptest::prop_assert_eq!(cell(Values::Timestamp(vec![Some(ms)])), t.naive_utc().format(whole).to_string());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_row_encoder_writes_what_the_csv_crate_writes(
            rows in 0usize..12,
            kinds in proptest::collection::vec(0u8..9, 1..5),
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
                        // and one entry longer than a short entry's block
                        let mut entries: Vec<String> = dict.iter().map(|d| d.clone().unwrap_or_default()).collect();
                        entries.push("承德市双桥区人民法院,\"执行局\"".repeat(3));
                        let n = entries.len() as u32;
                        t.dict(NAMES[k], entries, (0..rows).map(|i| codes[at(i)].map(|c| c % n)).collect())
                    }
                    2 => t.int(NAMES[k], (0..rows).map(|i| ints[at(i)]).collect()),
                    3 => t.yuan(NAMES[k], (0..rows).map(|i| ints[at(i)].map(i128::from)).collect()),
                    4 => t.date(NAMES[k], (0..rows).map(|i| days[at(i)].and_then(|d| chrono::NaiveDate::from_num_days_from_ce_opt(d as i32 + 700_000))).collect()),
                    5 => t.boolean(NAMES[k], (0..rows).map(|i| ints[at(i)].map(|n| n % 2 == 0)).collect()),
                    6 => {
                        // distinct text per row in one buffer, as case numbers are
                        let mut buf = String::new();
                        let spans = (0..rows)
                            .map(|i| {
                                texts[at(i)].as_ref().map(|x| {
                                    buf.push_str(x);
                                    (buf.len() - x.len(), buf.len())
                                })
                            })
                            .collect();
                        t.packed(NAMES[k], buf, spans)
                    }
                    7 => t.timestamp(NAMES[k], (0..rows).map(|i| ints[at(i)].map(|n| n % 4_000_000_000_000)).collect()),
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
