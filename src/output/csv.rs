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
    use std::fmt::Write as _;
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    // writing into a String cannot fail
    let _ = write!(out, "{sign}{}.{:02}", a / 100, a % 100);
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
        Values::Int(x) => x[row].map_or(Ok(()), |n| write!(out, "{n}")),
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
                y @ 0..=9999 => write!(out, "{y:04}-{:02}-{:02}", d.month(), d.day()),
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
    let two = |out: &mut String, v: u32| {
        out.push(char::from(b'0' + (v / 10 % 10) as u8));
        out.push(char::from(b'0' + (v % 10) as u8));
    };
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
    let mut out = writer(w);
    out.write_record(table.columns.iter().map(|c| headers.label(table.name, c.0)))?;
    records_to(table, &mut out)?;
    out.flush()
}

fn writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(w)
}

fn records_to<W: Write>(table: &Table, out: &mut csv::Writer<W>) -> std::io::Result<()> {
    let mut field = String::new();
    for row in 0..table.rows() {
        for (_, values) in &table.columns {
            field.clear();
            push_cell(values, row, &mut field);
            out.write_field(&field)?;
        }
        // ends the record
        out.write_record(None::<&[u8]>)?;
    }
    Ok(())
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
    w.write_all(b"\xEF\xBB\xBF")?;
    let mut head = writer(&mut w);
    head.write_record((table.build)(0..0)?.columns.iter().map(|c| headers.label(table.name, c.0)))?;
    head.flush()?;
    drop(head);
    for range in table.ranges.iter().filter(|r| !r.is_empty()) {
        let entry = super::reuse::entry(store, table, "csv", range.clone());
        match entry {
            None => {
                let mut out = writer(&mut w);
                records_to(&(table.build)(range.clone())?, &mut out)?;
                out.flush()?;
            }
            Some((s, name)) => {
                let text = match s.get(&name) {
                    Some(text) => text,
                    None => {
                        let mut out = writer(Vec::new());
                        records_to(&(table.build)(range.clone())?, &mut out)?;
                        let text = out.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
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
