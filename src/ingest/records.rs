//! An RFC 4180 record splitter over decoded text that keeps what the contract
//! needs and the `csv` crate does not expose: the physical line each record
//! starts on (blank lines counted), the record's raw text, each field's span
//! within it, and whether a quote was left open.

use std::borrow::Cow;

/// A field's byte range within its record's raw text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// One record. `raw` is the record's text without its line end; `fields`
/// are spans into `raw`, reused from record to record.
#[derive(Debug)]
pub struct Record<'a> {
    pub line: u64,
    pub raw: &'a str,
    pub fields: &'a [Span],
    /// an opening quote ran to the end of the file
    pub unterminated: bool,
    /// more fields than the splitter's limit; `fields` holds only the first ones
    pub too_many_fields: bool,
}

impl<'a> Record<'a> {
    /// The unquoted value of field `i` (quotes removed, `""` undoubled).
    pub fn field(&self, i: usize) -> Option<Cow<'a, str>> {
        let s = self.fields.get(i)?;
        Some(unquote(&self.raw[s.start..s.end]))
    }
}

fn unquote(f: &str) -> Cow<'_, str> {
    let Some(inner) = f.strip_prefix('"') else { return Cow::Borrowed(f) };
    // the common case: "text" with no doubled quote inside (or an unclosed
    // quote with none at all); slicing by chars, never by a byte count, so a
    // field cut inside a multi-byte character cannot panic
    let body = inner.strip_suffix('"').unwrap_or(inner);
    if !body.contains('"') {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    let mut quoted = true;
    while let Some(c) = chars.next() {
        if quoted && c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                quoted = false;
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Walks the records of a text with a given delimiter.
pub struct Splitter<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
    delimiter: u8,
    spans: Vec<Span>,
    max_fields: usize,
}

impl<'a> Splitter<'a> {
    pub fn new(text: &'a str, delimiter: u8) -> Self {
        Splitter::starting_at(text, delimiter, 0, 1)
    }

    /// Resumes at a byte offset known to start a line, with that line's number.
    pub fn starting_at(text: &'a str, delimiter: u8, offset: usize, line: u64) -> Self {
        Splitter { text, pos: offset.min(text.len()), line, delimiter, spans: Vec::with_capacity(32), max_fields: usize::MAX }
    }

    /// Keeps at most `max` field spans per record (the rest are scanned and
    /// flagged), so a hostile line of commas cannot exhaust memory.
    pub fn with_max_fields(mut self, max: usize) -> Self {
        self.max_fields = max;
        self
    }

    /// Where the next record will be looked for: byte offset and line number.
    pub fn position(&self) -> (usize, u64) {
        (self.pos, self.line)
    }

    /// The next non-blank record, or `None` at the end of the text.
    pub fn next_record(&mut self) -> Option<Record<'_>> {
        let bytes = self.text.as_bytes();
        // skip blank lines (empty or only spaces), counting them
        loop {
            if self.pos >= bytes.len() {
                return None;
            }
            let mut i = self.pos;
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            match bytes.get(i) {
                Some(b'\n') => {
                    self.pos = i + 1;
                    self.line += 1;
                }
                Some(b'\r') => {
                    self.pos = if bytes.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
                    self.line += 1;
                }
                None => {
                    self.pos = i;
                    return None;
                }
                _ => break,
            }
        }
        let start = self.pos;
        let line = self.line;
        self.spans.clear();
        // the common record has no quote before its line end, so that every
        // delimiter ends a field: one SIMD pass finds the line end, one
        // rules out quotes, one finds the delimiters (a call per field cost
        // more than the fields' bytes)
        let rest = &bytes[start..];
        let line_len = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
        if memchr::memchr(b'"', &rest[..line_len]).is_none() {
            let mut field_start = 0;
            let (spans, max_fields) = (&mut self.spans, self.max_fields);
            for_each_byte(&rest[..line_len], self.delimiter, |d| {
                if spans.len() <= max_fields {
                    spans.push(Span { start: field_start, end: d });
                }
                field_start = d + 1;
            });
            if self.spans.len() <= self.max_fields {
                self.spans.push(Span { start: field_start, end: line_len });
            }
            let end = start + line_len;
            self.pos = match bytes.get(end) {
                None => end,
                Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
                Some(_) => end + 1,
            };
            if end < bytes.len() {
                self.line += 1;
            }
            let too_many_fields = self.spans.len() > self.max_fields;
            return Some(Record { line, raw: &self.text[start..end], fields: &self.spans, unterminated: false, too_many_fields });
        }
        let mut field_start = start;
        let mut in_quotes = false;
        let mut i = start;
        let end;
        let mut next;
        // jumps from one byte that matters to the next (memchr's SIMD search)
        // instead of looking at every byte: a quote matters only where a
        // field starts and, once inside quotes, until they close
        loop {
            if in_quotes {
                let Some(k) = memchr::memchr3(b'"', b'\n', b'\r', &bytes[i..]) else {
                    end = bytes.len();
                    next = bytes.len();
                    break;
                };
                i += k;
                match bytes[i] {
                    b'"' if bytes.get(i + 1) == Some(&b'"') => i += 1,
                    b'"' => in_quotes = false,
                    b'\n' => self.line += 1,
                    _ if bytes.get(i + 1) != Some(&b'\n') => self.line += 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            if i == field_start && bytes.get(i) == Some(&b'"') {
                in_quotes = true;
                i += 1;
                continue;
            }
            let Some(k) = memchr::memchr3(self.delimiter, b'\n', b'\r', &bytes[i..]) else {
                end = bytes.len();
                next = bytes.len();
                break;
            };
            i += k;
            if bytes[i] == self.delimiter {
                if self.spans.len() <= self.max_fields {
                    self.spans.push(Span { start: field_start - start, end: i - start });
                }
                i += 1;
                field_start = i;
                continue;
            }
            end = i;
            next = i + 1;
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                next += 1;
            }
            self.line += 1;
            break;
        }
        if self.spans.len() <= self.max_fields {
            self.spans.push(Span { start: field_start - start, end: end - start });
        }
        if next > bytes.len() {
            next = bytes.len();
        }
        self.pos = next;
        let too_many_fields = self.spans.len() > self.max_fields;
        Some(Record { line, raw: &self.text[start..end], fields: &self.spans, unterminated: in_quotes, too_many_fields })
    }
}

/// Calls `found` with each offset of `byte` in `line`, in order, eight bytes
/// at a time: a record's fields are a dozen bytes each, and a memchr call
/// per field cost more in setting up than in scanning.
fn for_each_byte(line: &[u8], byte: u8, mut found: impl FnMut(usize)) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let pattern = ONES * u64::from(byte);
    let (words, tail) = line.as_chunks::<8>();
    for (k, word) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*word) ^ pattern;
        // the top bit of each byte of x that is zero, and no other bit (no
        // carry crosses a byte: (v & 0x7F) + 0x7F <= 0xFE)
        let mut zeros = !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
        while zeros != 0 {
            found(8 * k + zeros.trailing_zeros() as usize / 8);
            zeros &= zeros - 1;
        }
    }
    let base = 8 * words.len();
    for (i, &b) in tail.iter().enumerate() {
        if b == byte {
            found(base + i);
        }
    }
}

/// The delimiter of the first non-blank line of `text`: comma or tab,
/// whichever occurs more often in it (a tie, including none of either, is a
/// comma). §2 decides it for each candidate header line on its own.
pub fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim_matches(' ').is_empty()).unwrap_or("");
    let tabs = header.bytes().filter(|&b| b == b'\t').count();
    let commas = header.bytes().filter(|&b| b == b',').count();
    if tabs > commas {
        b'\t'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, d: u8) -> Vec<(u64, Vec<String>, bool)> {
        let mut s = Splitter::new(text, d);
        let mut out = Vec::new();
        while let Some(r) = s.next_record() {
            let f = (0..r.fields.len()).map(|i| r.field(i).unwrap().into_owned()).collect();
            out.push((r.line, f, r.unterminated));
        }
        out
    }

    #[test]
    fn line_numbers_count_blank_lines_and_crlf() {
        let r = all("h1,h2\r\n\r\na,b\r\n  \nc,d", b',');
        assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 3, 5]);
        assert_eq!(r[2].1, vec!["c", "d"]);
    }

    #[test]
    fn quoted_fields_keep_delimiters_doubled_quotes_and_line_breaks() {
        let r = all("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",z\nnext,1\n", b',');
        assert_eq!(r[1].1, vec!["x, y", "say \"hi\""]);
        assert_eq!(r[2].0, 3);
        assert_eq!(r[2].1, vec!["multi\nline", "z"]);
        assert_eq!(r[3].0, 5, "the record after a two-line value starts on line 5");
    }

    #[test]
    fn unterminated_quote_swallows_the_rest_of_the_file() {
        let r = all("a,b\n\"open,1\nc,d\ne,f\n", b',');
        assert_eq!(r.len(), 2);
        assert!(r[1].2);
        assert_eq!(r[1].0, 2);
    }

    #[test]
    fn raw_text_and_spans_are_exact() {
        let mut s = Splitter::new("a\t\"b\"\tc\r\n", b'\t');
        let r = s.next_record().unwrap();
        assert_eq!(r.raw, "a\t\"b\"\tc");
        assert_eq!(r.fields.len(), 3);
        assert_eq!(&r.raw[r.fields[1].start..r.fields[1].end], "\"b\"");
    }

    #[test]
    fn delimiter_is_whichever_is_more_frequent_in_the_header() {
        assert_eq!(detect_delimiter("\n案号\t立案日期\t备注,说明\n"), b'\t');
        assert_eq!(detect_delimiter("案号,立案日期\n1\t2\t3"), b',');
    }

    #[test]
    fn an_unclosed_quoted_field_ending_in_a_multibyte_char_does_not_panic() {
        let r = all("a,b\n\"cpp执", b',');
        assert_eq!(r[1].1, vec!["cpp执"]);
        assert!(r[1].2);
    }

    #[test]
    fn field_spans_are_capped_and_the_record_flagged() {
        let line = vec!["x"; 50].join(",");
        let mut s = Splitter::new(&line, b',').with_max_fields(10);
        let r = s.next_record().unwrap();
        assert!(r.too_many_fields);
        assert_eq!(r.fields.len(), 11);
    }

    #[test]
    fn lone_carriage_returns_end_lines_too() {
        let r = all("a,b\rc,d\r", b',');
        assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 2]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// (line, raw, field spans, unterminated)
    type Split = (u64, String, Vec<(usize, usize)>, bool);

    /// The scan as first written, a byte at a time: the oracle for the
    /// memchr version.
    fn byte_by_byte(text: &str, delimiter: u8) -> Vec<Split> {
        let bytes = text.as_bytes();
        let (mut pos, mut line_no) = (0usize, 1u64);
        let mut out = Vec::new();
        loop {
            // blank lines
            loop {
                if pos >= bytes.len() {
                    return out;
                }
                let mut i = pos;
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(b'\n') => (pos, line_no) = (i + 1, line_no + 1),
                    Some(b'\r') => (pos, line_no) = (if bytes.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 }, line_no + 1),
                    None => return out,
                    _ => break,
                }
            }
            let (start, line) = (pos, line_no);
            let mut spans = Vec::new();
            let (mut field_start, mut in_quotes, mut i) = (start, false, start);
            let (end, next);
            loop {
                let Some(&b) = bytes.get(i) else {
                    (end, next) = (i, i);
                    break;
                };
                if in_quotes {
                    match b {
                        b'"' if bytes.get(i + 1) == Some(&b'"') => i += 1,
                        b'"' => in_quotes = false,
                        b'\n' => line_no += 1,
                        b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_no += 1,
                        _ => {}
                    }
                } else if b == b'"' && i == field_start {
                    in_quotes = true;
                } else if b == delimiter {
                    spans.push((field_start - start, i - start));
                    field_start = i + 1;
                } else if b == b'\n' || b == b'\r' {
                    (end, next) = (i, if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 });
                    line_no += 1;
                    break;
                }
                i += 1;
            }
            spans.push((field_start - start, end - start));
            pos = next.min(bytes.len());
            out.push((line, text[start..end].to_string(), spans, in_quotes));
        }
    }

    proptest! {
        #[test]
        fn the_fast_scan_splits_exactly_as_the_byte_by_byte_one(s in "[a-z,\"\r\n\t 执号]{0,300}") {
            for d in [b',', b'\t'] {
                let mut sp = Splitter::new(&s, d);
                let mut got = Vec::new();
                while let Some(r) = sp.next_record() {
                    got.push((r.line, r.raw.to_string(), r.fields.iter().map(|f| (f.start, f.end)).collect::<Vec<_>>(), r.unterminated));
                }
                prop_assert_eq!(got, byte_by_byte(&s, d));
            }
        }
    }

    proptest! {
        #[test]
        fn the_word_scan_finds_every_delimiter_and_nothing_else(line in prop::collection::vec(prop_oneof![Just(b','), Just(b'\t'), Just(0xAC), Just(0x2D), Just(0x2B), any::<u8>()], 0..80)) {
            for d in [b',', b'\t'] {
                let mut got = Vec::new();
                for_each_byte(&line, d, |i| got.push(i));
                let want: Vec<usize> = line.iter().enumerate().filter(|(_, b)| **b == d).map(|(i, _)| i).collect();
                prop_assert_eq!(got, want);
            }
        }

        #[test]
        fn the_splitter_never_panics_and_spans_stay_in_the_record(s in "[a-z,\"\r\n\t 执号]{0,200}") {
            for d in [b',', b'\t'] {
                let mut sp = Splitter::new(&s, d);
                let mut last_line = 0;
                while let Some(r) = sp.next_record() {
                    prop_assert!(r.line > last_line);
                    last_line = r.line;
                    for span in r.fields {
                        prop_assert!(span.start <= span.end && span.end <= r.raw.len());
                    }
                    for i in 0..r.fields.len() {
                        prop_assert!(r.field(i).is_some());
                    }
                }
            }
        }
    }
}
