//! Hostile inputs never panic: each gives exit 0 with the bad rows
//! quarantined, or exit 1 naming the file. The corpus is generated here.

use super::common::courtstat;
use std::fs;
use std::path::Path;

const HEADER: &str = "案号,立案日期,结案日期,结案方式,案由,申请执行标的,扣除天数,延长天数,更新时间";

fn good_rows(n: usize) -> String {
    (1..=n).map(|i| format!("（2023）冀0821执{i}号,2023-01-{:02},,,民间借贷纠纷,100,0,0,\n", i % 28 + 1)).collect()
}

/// Runs courtstat on `tmp/in` into `tmp/out`; returns (exit code, stderr), never a panic.
fn run_in(tmp: &Path) -> (i32, String) {
    let o = courtstat()
        .args(["run", "--as-of", "2023-08-22", "--input"])
        .arg(tmp.join("in"))
        .arg("--out")
        .arg(tmp.join("out"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    (o.status.code().unwrap_or(-1), err)
}

/// Runs courtstat on a folder holding `name` with `bytes`; returns (exit code, stderr, the folder).
fn run_one(name: &str, bytes: &[u8]) -> (i32, String, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("in")).unwrap();
    fs::write(tmp.path().join("in").join(name), bytes).unwrap();
    let (code, err) = run_in(tmp.path());
    (code, err, tmp)
}

fn quarantine(out: &Path) -> String {
    fs::read_to_string(out.join("out/quarantine.csv")).unwrap()
}

#[test]
fn empty_file_is_rejected_naming_it() {
    let (code, err, _t) = run_one("a.csv", b"");
    assert_eq!(code, 1);
    assert!(err.contains("a.csv") && err.contains("empty"), "{err}");
}

#[test]
fn header_only_file_is_accepted_with_a_warning() {
    let (code, err, t) = run_one("a.csv", format!("{HEADER}\n").as_bytes());
    assert_eq!(code, 0, "{err}");
    let m = fs::read_to_string(t.path().join("out/run.json")).unwrap();
    assert!(m.contains("header_only_file"));
}

#[test]
fn binary_garbage_and_nul_bytes_are_rejected_not_a_crash() {
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let garbage: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let (code, err, _t) = run_one("g.csv", &garbage);
    assert_eq!(code, 1);
    assert!(err.contains("g.csv"), "{err}");
    let mut nul = format!("{HEADER}\n{}", good_rows(30)).into_bytes();
    nul.extend_from_slice("（2023）冀0821执99号,2023-01-01\0,,,借款,1\0,0,0,\n".as_bytes());
    let (code, err, t) = run_one("n.csv", &nul);
    assert_eq!(code, 0, "{err}");
    assert!(quarantine(t.path()).contains("bad_filing_date"));
}

#[test]
fn truncated_multibyte_sequences_decode_with_replacement() {
    let text = format!("{HEADER}\n{}", good_rows(20));
    let mut bytes = encoding_rs::GB18030.encode(&text).0.into_owned();
    bytes.push(0x81); // a lone GB18030 lead byte at the end
    let (code, err, _t) = run_one("gb.csv", &bytes);
    assert_eq!(code, 0, "{err}");
    // a UTF-8 file cut inside its last character is not valid UTF-8, so by
    // the contract's rule it is read as GB18030: its Chinese header then
    // maps to nothing and the file is rejected by name, not a crash
    let mut utf8 = format!("{HEADER}\n{}", good_rows(20)).into_bytes();
    utf8.extend_from_slice(&[0xE6, 0xA1]);
    let (code, err, _t) = run_one("u.csv", &utf8);
    assert_eq!(code, 1);
    assert!(err.contains("u.csv") && err.contains("lacks the required column"), "{err}");
}

#[test]
fn mixed_line_ends_keep_physical_line_numbers() {
    let mut lines = vec![HEADER.to_string()];
    lines.extend(good_rows(20).lines().map(String::from));
    lines.push("（2023）冀0821执99号,not-a-date,,,借款,1,0,0,".into());
    let ends = ["\r\n", "\n", "\r"];
    let text: String = lines.iter().enumerate().map(|(i, l)| format!("{l}{}", ends[i % 3])).collect();
    let (code, err, t) = run_one("m.csv", text.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert!(quarantine(t.path()).contains("m.csv,22,bad_filing_date"), "{}", quarantine(t.path()));
}

#[test]
fn a_bom_in_the_middle_and_blank_header_cells_do_not_confuse_the_header() {
    let text = format!("{HEADER},,\n{}\u{feff}（2023）冀0821执99号,2023-01-01,,,借款,1,0,0,,,\n", good_rows(20).replace(",\n", ",,,\n"));
    let (code, err, t) = run_one("b.csv", text.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert!(quarantine(t.path()).contains("bad_case_no"));
}

#[test]
fn duplicated_header_cells_are_ambiguous() {
    let (code, err, _t) = run_one("d.csv", format!("{HEADER},案号\n").as_bytes());
    assert_eq!(code, 1);
    assert!(err.contains("d.csv") && err.contains("ambiguous"), "{err}");
}

#[test]
fn an_unterminated_quote_is_one_bad_shape_record() {
    let text = format!("{HEADER}\n{}\"（2023）冀0821执99号,2023-01-01\n（2023）冀0821执100号,2023-01-01,,,借款,1,0,0,\n", good_rows(30));
    let (code, err, t) = run_one("q.csv", text.as_bytes());
    assert_eq!(code, 0, "{err}");
    let q = quarantine(t.path());
    assert_eq!(q.matches("bad_shape").count(), 1, "{q}");
}

#[test]
fn a_five_megabyte_line_or_ten_thousand_fields_reject_the_file_by_the_limits() {
    let wide = vec!["x"; 10_000].join(",");
    let (code, err, _t) = run_one("w.csv", format!("{HEADER}\n{}{wide}\n", good_rows(40)).as_bytes());
    assert_eq!(code, 1);
    assert!(err.contains("w.csv: line 42: a record's field count exceeds the limit of 1000"), "{err}");
    let long = "长".repeat(5 * 1024 * 1024 / 3);
    let (code, err, _t) = run_one("l.csv", format!("{HEADER}\n（2023）冀0821执99号,2023-01-01,,,{long},1,0,0,\n").as_bytes());
    assert_eq!(code, 1);
    assert!(err.contains("l.csv: line 2: a record's length in bytes exceeds the limit"), "{err}");
    let (code, err, _t) = run_one("h.csv", wide.as_bytes());
    assert_eq!(code, 1, "a header over the limits too: {err}");
}

#[test]
fn a_long_but_legal_record_is_just_bad_shape() {
    let text = format!("{HEADER}\n{}{}\n", good_rows(40), vec!["x"; 200].join(","));
    let (code, err, t) = run_one("s.csv", text.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert!(quarantine(t.path()).contains("bad_shape"));
}

#[test]
fn numbers_that_overflow_and_dates_at_the_calendar_ends() {
    let rows = [
        "（2023）冀0821执99号,2023-01-01,,,借款,99999999999999999999999,0,0,",
        "（2023）冀0821执98号,2023-01-01,,,借款,1,99999999999999999999,0,",
        "（2023）冀0821执123456789012345678901234号,2023-01-01,,,借款,1,0,0,",
        "（2023）冀0821执97号,0001-01-01,,,借款,1,0,0,",
        "（2023）冀0821执96号,9999-12-31,,,借款,1,0,0,",
        "（2023）冀0821执95号,2023-01-01,,,借款,1,4294967295,4294967295,",
        "（2023）冀0821执94号,1900-01-01,2099-12-31,执行完毕,借款,1,10000,10000,2099-12-31 23:59:59",
    ];
    let text = format!("{HEADER}\n{}{}\n", good_rows(60), rows.join("\n"));
    let (code, err, t) = run_one("o.csv", text.as_bytes());
    assert_eq!(code, 0, "{err}");
    let q = quarantine(t.path());
    let reason = |n: &str| q.lines().find(|l| l.contains(n)).map(|l| l.split(',').nth(2).unwrap_or("").to_string());
    assert_eq!(reason("执99号").as_deref(), Some("bad_amount"));
    assert_eq!(reason("执98号").as_deref(), Some("bad_days"));
    assert!(q.contains("bad_case_no"), "a sequence of 24 digits: {q}");
    // §2.2: dates from 1900 to 2099, days up to 10,000
    assert_eq!(reason("执97号").as_deref(), Some("bad_filing_date"));
    assert_eq!(reason("执96号").as_deref(), Some("bad_filing_date"));
    assert_eq!(reason("执95号").as_deref(), Some("bad_days"));
    assert_eq!(reason("执94号"), None, "the extremes that are accepted: {q}");
}

#[test]
fn symlink_loops_and_non_utf8_file_names_are_survived() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir_all(input.join("sub")).unwrap();
    std::os::unix::fs::symlink(&input, input.join("sub/loop")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"\xff\xfe court.csv");
    fs::write(input.join("sub").join(name), format!("{HEADER}\n{}", good_rows(5))).unwrap();
    let (code, err) = run_in(tmp.path());
    assert_eq!(code, 0, "{err}");
    let m = fs::read_to_string(tmp.path().join("out/run.json")).unwrap();
    assert!(m.contains("court.csv"));
    let cases = fs::read_to_string(tmp.path().join("out/indicators_court.csv")).unwrap();
    assert!(cases.contains("冀0821"));
}
