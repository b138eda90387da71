//! Real exports in, every court accounted for: title lines and 合计 rows, the
//! court data standard's header words, the two optional columns, 未报送
//! courts and the warnings of §10, on the real binary.

use super::common::*;
use std::fs;
use std::path::Path;

const PIPELINE: &str = "input = [\"input\"]\nout = \"out\"\nfrom = \"2023-01-01\"\nas_of = \"2023-08-22\"\n";

/// A folder with a pipeline file and `files` under `input/`.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("input")).unwrap();
    fs::write(tmp.path().join("pipeline.toml"), PIPELINE).unwrap();
    for (name, text) in files {
        fs::write(tmp.path().join("input").join(name), text).unwrap();
    }
    tmp
}

fn run_in(dir: &Path, envs: &[(&str, &str)]) -> std::process::Output {
    let mut c = courtstat();
    c.arg("run").arg(dir.join("pipeline.toml")).arg("--quiet").env("COURTSTAT_TODAY", "2023-08-22");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Runs the folder's pipeline, which must fail with exit 1 (a rejected
/// file); its stderr.
fn rejected_run(dir: &Path) -> String {
    let o = run_in(dir, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A workbook-style export: a title, a date line, 法标 header words, a 合计 row.
const TITLED: &str = "承德县人民法院执行案件明细表\n统计日期：2023年8月22日\n\
案号,立案日期,结案日期,结案方式,案由,应执行标的金额,实际到位金额,执行期限届满日期,实结标志\n\
（2023）冀0821执1号,2023-01-05,2023-03-01,执行完毕,民间借贷纠纷,100,100,,\n\
（2023）冀0821执2号,2023-01-06,2023-03-02,终结本次执行程序,民间借贷纠纷,200,0,,是\n\
（2023）冀0821执3号,2023-02-30,,,民间借贷纠纷,50,,,\n\
（2023）冀0821执4号,2023-02-01,,,民间借贷纠纷,50,,2023-09-30,\n\
（2023）冀0821执5号,2023-01-10,,,民间借贷纠纷,50,,2023-08-01,\n\
（2023）冀0821执6号,2023-01-11,,,民间借贷纠纷,50,,,\n\
（2023）冀0821执7号,2023-01-12,,,民间借贷纠纷,50,,,\n\
（2023）冀0821执8号,2023-01-13,,,民间借贷纠纷,50,,,\n\
（2023）冀0821执9号,2023-01-14,,,民间借贷纠纷,50,,,\n\
（2023）冀0821执10号,2023-01-15,,,民间借贷纠纷,50,,,\n\
合计,10件,,,,700,100,,\n";

#[test]
fn a_title_a_date_line_and_a_summary_row_are_skipped_and_counted() {
    let tmp = folder(&[("承德县.csv", TITLED)]);
    let o = run_in(tmp.path(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("out");
    let m = manifest(&out);
    let file = &m["files"][0];
    assert_eq!(file["title_lines"], 2);
    assert_eq!(file["warnings"]["summary_row"], 1);
    // ten data records: the 合计 row is none of them, nor quarantined
    assert_eq!((file["data_records"].as_u64(), file["quarantined"].as_u64(), file["cases"].as_u64()), (Some(10), Some(1), Some(9)));
    assert_eq!(file["header"]["claim_amount"], "应执行标的金额");
    assert_eq!(file["header"]["recovered_amount"], "实际到位金额");
    assert_eq!(file["header"]["deadline_date"], "执行期限届满日期");
    assert_eq!(file["header"]["executed_flag"], "实结标志");
    // line numbers are physical lines, title lines counted
    let q = table(&out, "quarantine");
    assert_eq!((q[0]["line"].as_str(), q[0]["reason"].as_str()), ("6", "bad_filing_date"));
}

#[test]
fn a_given_deadline_decides_overdue_and_the_executed_flag_decides_executed() {
    let tmp = folder(&[("承德县.csv", TITLED)]);
    let o = run_in(tmp.path(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("out");
    let court = table(&out, "indicators_court");
    let r = row(&court, "court_code", "冀0821");
    // 执5 is past its given deadline of 1 August; 执4, filed 1 February, is
    // past its computed one (1 August) but not its given one (30 September)
    assert_eq!(r["overdue_pending"], "6", "执5–执10 but 执4");
    // 执1 by its method, 执2 (终本) by its flag
    assert_eq!(r["executed"], "2");
    assert_eq!(manifest(&out)["warnings"]["deadline_differs"], 2);
}

#[test]
fn courts_that_sent_nothing_are_unreported_named_and_counted() {
    let tmp = folder(&[("承德县.csv", TITLED)]);
    let o = run_in(tmp.path(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let out = tmp.path().join("out");
    let court = table(&out, "indicators_court");
    let basic = court.iter().filter(|r| r["level"] == "基层").count();
    assert_eq!(row(&court, "court_code", "冀0821")["reported"], "true");
    assert_eq!(row(&court, "court_code", "冀0822")["reported"], "false");
    assert_eq!(court.iter().filter(|r| r["reported"] == "false").count(), basic - 1);
    let city = table(&out, "indicators_city");
    let chengde = row(&city, "city", "承德市");
    assert_eq!(chengde["courts_reported"], "1");
    assert!(chengde["courts_expected"].parse::<u32>().unwrap() > 1);
    let province = table(&out, "indicators_province");
    assert_eq!(province[0]["courts_reported"], "1");
    assert_eq!(province[0]["courts_expected"], basic.to_string());
    let m = manifest(&out);
    assert_eq!(m["warnings"]["courts_unreported"], (basic - 1) as u64);
    assert_eq!(m["run_warnings"][0]["kind"], "courts_unreported");
    assert!(stderr.contains(&format!("warning: {} of {basic} basic courts sent no case", basic - 1)), "{stderr}");
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains(&format!("{} 个基层法院未报送数据", basic - 1)), "the report says so at its top");
}

#[test]
fn the_summary_line_says_how_many_basic_courts_reported() {
    let tmp = folder(&[("承德县.csv", TITLED)]);
    let o = courtstat().arg("run").arg(tmp.path().join("pipeline.toml")).env("COURTSTAT_TODAY", "2023-08-22").output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(" basic courts reported") && stderr.contains(", 1 of "), "{stderr}");
}

#[test]
fn an_as_of_after_today_a_long_period_and_an_empty_one_warn() {
    let tmp = folder(&[("承德县.csv", TITLED)]);
    let o = courtstat()
        .arg("run")
        .arg(tmp.path().join("pipeline.toml"))
        .args(["--from", "2029-01-01", "--as-of", "2031-01-01", "--quiet"])
        .env("COURTSTAT_TODAY", "2026-12-02")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for w in ["as_of 2031-01-01 is after today (2026-12-02)", "is 731 days long, over a year", "no first-enforcement case was filed or closed"] {
        assert!(stderr.contains(w), "{w}: {stderr}");
    }
    let m = manifest(&tmp.path().join("out"));
    for code in ["as_of_in_future", "long_period", "empty_period"] {
        assert_eq!(m["warnings"][code], 1, "{code}");
    }
}

#[test]
fn stale_data_is_named_with_its_latest_update() {
    let text = "案号,立案日期,结案日期,结案方式,案由,更新时间\n（2023）冀0821执1号,2023-01-05,,,民间借贷纠纷,2023-07-01 09:00\n";
    let tmp = folder(&[("a.csv", text)]);
    let o = run_in(tmp.path(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("冀0821 (last updated 2023-07-01)"), "{stderr}");
    assert_eq!(row(&table(&tmp.path().join("out"), "indicators_court"), "court_code", "冀0821")["latest_update"], "2023-07-01");
}

#[test]
fn a_header_below_the_tenth_line_is_no_header_and_the_message_names_the_closest_line() {
    let text = format!("{}案号,立案日期,结案日期,案由\n", "标题\n".repeat(10));
    let tmp = folder(&[("late.csv", &text), ("near.csv", "说明\n案号,立案日期,结案日期,案由\n（2023）冀0821执1号,2023-01-05,,x\n")]);
    let stderr = rejected_run(tmp.path());
    assert!(stderr.contains("late.csv") && stderr.contains("no header: line 1, the closest among the first 10 lines"), "{stderr}");
    assert!(
        stderr.contains("near.csv") && stderr.contains("line 2, the closest among the first 10 lines, lacks the required column closure_method"),
        "{stderr}"
    );
}

#[test]
fn validate_lists_the_courts_no_file_holds() {
    let tmp = folder(&[("承德县.csv", TITLED)]);
    let o = courtstat().arg("validate").arg(tmp.path().join("pipeline.toml")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("2 title lines above the header skipped") && s.contains("1 summary rows (合计) skipped"), "{s}");
    assert!(s.contains("basic courts of the courts table have no case in any file (未报送)") && s.contains("冀0822 "), "{s}");
    assert!(!s.contains("冀0821 承德县"), "承德县 sent its file: {s}");
}

/// The arguments of the Makefile's `refresh` target, as the scheduler runs them.
fn refresh_args() -> Vec<String> {
    let makefile = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Makefile")).unwrap();
    let recipe = makefile.lines().skip_while(|l| !l.starts_with("refresh:")).nth(1).unwrap().trim().to_string();
    let args = recipe.strip_prefix("$(BIN) ").unwrap_or_else(|| panic!("refresh runs the binary: {recipe}"));
    args.split_whitespace().map(String::from).collect()
}

#[test]
fn the_nightly_refresh_publishes_from_1_january_of_today_to_today() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = courtstat()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(refresh_args())
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .env("COURTSTAT_TODAY", "2026-12-02")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let province = table(&out, "indicators_province");
    assert_eq!((province[0]["period_from"].as_str(), province[0]["as_of"].as_str()), ("2026-01-01", "2026-12-02"));
    // the sample's cases are of 2023: tonight's period has none, and the run says so
    assert!(String::from_utf8_lossy(&o.stderr).contains("no first-enforcement case was filed or closed between 2026-01-01 and 2026-12-02"));
}

/// `gen` into `dir`, as workbooks or as CSV.
fn generate(dir: &Path, workbooks: bool, messy: bool) {
    let mut c = courtstat();
    c.args(["gen", "--rows", "1500", "--seed", "11", "--cities", "承德市", "--out"]).arg(dir);
    if workbooks {
        c.arg("--workbooks");
    }
    if messy {
        c.arg("--messy");
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn run_on(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    courtstat()
        .arg("run")
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["--from", "2023-01-01", "--as-of", "2023-08-22", "--quiet"])
        .args(extra)
        .env("COURTSTAT_TODAY", "2023-08-22")
        .output()
        .unwrap()
}

#[test]
fn workbooks_give_the_figures_the_same_rows_give_as_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let (books, csv) = (tmp.path().join("books"), tmp.path().join("csv"));
    generate(&books, true, false);
    generate(&csv, false, false);
    assert!(files(&books).iter().all(|f| f.extension().is_some_and(|e| e == "xlsx")));
    for (input, out) in [(&books, "out_books"), (&csv, "out_csv")] {
        let o = run_on(input, &tmp.path().join(out), &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for t in ["indicators_court.csv", "indicators_city.csv", "indicators_monthly.csv", "watchlist.csv"] {
        let (a, b) = (fs::read(tmp.path().join("out_books").join(t)).unwrap(), fs::read(tmp.path().join("out_csv").join(t)).unwrap());
        assert!(a == b, "{t} differs between the workbooks and the CSV files");
    }
    let m = manifest(&tmp.path().join("out_books"));
    let f = &m["files"][0];
    assert!(f["file"].as_str().unwrap().ends_with(".xlsx#执行案件"), "{f}");
    assert_eq!((f["encoding"].as_str(), f["title_lines"].as_u64(), f["warnings"]["summary_row"].as_u64()), (Some("xlsx"), Some(2), Some(1)));
    assert_eq!(f["header"]["claim_amount"], "应执行标的金额");
}

#[test]
fn a_messy_workbook_quarantines_by_sheet_and_row() {
    let tmp = tempfile::tempdir().unwrap();
    let books = tmp.path().join("books");
    generate(&books, true, true);
    let out = tmp.path().join("out");
    let o = run_on(&books, &out, &["--allow-partial"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let q = table(&out, "quarantine");
    assert!(!q.is_empty());
    for r in &q {
        // a sheet's row number: the header is row 3, so data rows start at 4
        assert!(r["file"].contains(".xlsx#执行案件") && r["line"].parse::<u32>().unwrap() >= 4, "{r:?}");
    }
}

/// A workbook of named sheets, each a list of rows of text cells.
fn workbook(path: &Path, sheets: &[(&str, &[&[&str]])]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    book.save(path).unwrap();
}

const HEAD: &[&str] = &["案号", "立案日期", "结案日期", "结案方式", "案由"];
const ROW: &[&str] = &["（2023）冀0821执1号", "2023-01-05", "2023-03-01", "执行完毕", "民间借贷纠纷"];

#[test]
fn a_sheet_without_a_header_is_skipped_and_listed_unless_no_sheet_has_one() {
    let tmp = folder(&[]);
    let input = tmp.path().join("input");
    workbook(&input.join("a.xlsx"), &[("说明", &[&["本表为承德县执行案件"]]), ("明细", &[HEAD, ROW])]);
    let o = run_in(tmp.path(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = manifest(&tmp.path().join("out"));
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], "a.xlsx#说明");
    assert!(files[0]["skipped"].as_str().unwrap().contains("no header") && files[0]["rejected"].is_null(), "{}", files[0]);
    assert_eq!((files[1]["file"].as_str(), files[1]["cases"].as_u64()), (Some("a.xlsx#明细"), Some(1)));

    // a summary workbook: no sheet with a case-level header
    workbook(&input.join("b.xlsx"), &[("汇总", &[&["法院", "收案数", "结案数"], &["承德县人民法院", "10", "8"]])]);
    let stderr = rejected_run(tmp.path());
    assert!(stderr.contains("b.xlsx#汇总") && stderr.contains("no header"), "{stderr}");
}

#[test]
fn a_file_that_is_no_workbook_is_rejected_naming_it() {
    let tmp = folder(&[("renamed.xlsx", "案号,立案日期\n"), ("old.xls", "not a workbook")]);
    let stderr = rejected_run(tmp.path());
    assert!(stderr.contains("renamed.xlsx") && stderr.contains("old.xls") && stderr.contains("not a readable workbook"), "{stderr}");
    assert!(!tmp.path().join("out").exists(), "nothing published");
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    use std::io::Write as _;
    let tmp = folder(&[]);
    let path = tmp.path().join("input").join("bomb.xlsx");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    zip.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default()).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    let stderr = rejected_run(tmp.path());
    assert!(stderr.contains("bomb.xlsx") && stderr.contains("bytes unpacked"), "{stderr}");
}

#[test]
fn three_other_provinces_generate_and_run_with_their_own_courts() {
    for (mark, city) in [("粤", "广州市"), ("京", "北京市"), ("新", "乌鲁木齐市")] {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("input");
        let o = courtstat().args(["gen", "--province", mark, "--rows", "1500", "--seed", "3", "--out"]).arg(&input).output().unwrap();
        assert!(o.status.success(), "{mark}: {}", String::from_utf8_lossy(&o.stderr));
        let out = tmp.path().join("out");
        let o = run_on(&input, &out, &["--courts", mark]);
        assert!(o.status.success(), "{mark}: {}", String::from_utf8_lossy(&o.stderr));
        let m = manifest(&out);
        assert_eq!(m["quarantine_by_reason"]["unknown_court"], 0, "{mark}: every generated court is in its table");
        assert!(m["cases_kept"].as_u64().unwrap() > 1000, "{mark}");
        let court = table(&out, "indicators_court");
        assert!(court.iter().all(|r| r["court_code"].starts_with(mark)), "{mark}: only its own courts");
        assert!(table(&out, "indicators_city").iter().any(|r| r["city"] == city && r["filed"] != "0"), "{mark}: {city} has figures");
    }
    let o = courtstat().args(["gen", "--province", "X", "--out", "/nonexistent-courtstat"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--province \"X\": not one of 京 津 冀"));
}

#[test]
fn an_xls_workbook_reads_its_dates_numbers_and_flags_and_skips_its_notes_sheet() {
    // tests/fixtures/workbooks/承德县.xls (BIFF8, written once with xlwt): a
    // title and a date line, the 法标 header, date cells, a YYYYMMDD number
    // and a serial (44941 = 15 January 2023) in 立案日期, 1234.56 as a number
    // cell, 实结标志 是 on a 终本 case, an impossible date as text, a 合计
    // row, and a notes sheet without a header
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("input")).unwrap();
    fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbooks/承德县.xls"), tmp.path().join("input/承德县.xls")).unwrap();
    fs::write(tmp.path().join("pipeline.toml"), format!("{PIPELINE}max_bad_row_ratio = 0.5\n")).unwrap();
    let o = run_in(tmp.path(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = tmp.path().join("out");
    let m = manifest(&out);
    let (data, notes) = (&m["files"][0], &m["files"][1]);
    assert_eq!((data["file"].as_str(), data["encoding"].as_str()), (Some("承德县.xls#执行案件"), Some("xls")));
    assert_eq!((data["title_lines"].as_u64(), data["data_records"].as_u64(), data["cases"].as_u64()), (Some(2), Some(5), Some(4)));
    assert_eq!(data["warnings"]["summary_row"], 1);
    assert_eq!(notes["file"], "承德县.xls#说明");
    assert!(notes["skipped"].is_string() && notes["rejected"].is_null(), "{notes}");
    let q = table(&out, "quarantine");
    assert_eq!((q.len(), q[0]["line"].as_str(), q[0]["reason"].as_str()), (1, "8", "bad_filing_date"));
    let court = table(&out, "indicators_court");
    let r = row(&court, "court_code", "冀0821");
    let got: Vec<&str> = ["filed", "closed", "completed", "executed", "claim_amount"].iter().map(|k| r[*k].as_str()).collect();
    assert_eq!(got, ["4", "2", "1", "2", "1434.56"]);
    let monthly = table(&out, "indicators_monthly");
    let january = monthly.iter().find(|m| m["court_code"] == "冀0821" && m["month"] == "2023-01").unwrap();
    assert_eq!(january["filed"], "4", "the YYYYMMDD number and the serial are January dates");
}

#[test]
fn a_password_protected_workbook_is_rejected_saying_so() {
    // tests/fixtures/workbooks/加密.xlsx: a generated export encrypted with
    // the password "secret" (msoffcrypto-tool, once)
    let tmp = folder(&[]);
    fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbooks/加密.xlsx"), tmp.path().join("input/加密.xlsx")).unwrap();
    let stderr = rejected_run(tmp.path());
    assert!(stderr.contains("加密.xlsx: cannot be read: a password-protected workbook"), "{stderr}");
}

#[test]
fn a_sheet_of_a_million_blank_rows_costs_no_memory_and_holds_no_record() {
    let tmp = folder(&[]);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEAD.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ROW.iter().enumerate() {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    // formatted but empty cells down to the sheet's last row
    let yellow = rust_xlsxwriter::Format::new().set_background_color(rust_xlsxwriter::Color::Yellow);
    for r in 2..1_048_576u32 {
        sheet.write_blank(r, 0, &yellow).unwrap();
    }
    book.save(tmp.path().join("input/blank.xlsx")).unwrap();
    let o = run_in(tmp.path(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = manifest(&tmp.path().join("out"));
    assert_eq!((m["files"][0]["data_records"].as_u64(), m["cases_kept"].as_u64()), (Some(1), Some(1)));
    let peak_mb = m["memory_mb"]["peak"].as_u64().expect("run.json gives the peak");
    assert!(peak_mb < 200, "peak {peak_mb} MB");
}

#[test]
fn the_cache_keeps_workbook_sheets_as_it_keeps_csv_files() {
    let tmp = tempfile::tempdir().unwrap();
    let books = tmp.path().join("books");
    generate(&books, true, false);
    for f in files(&books) {
        backdate(&f);
    }
    let (warm, cold) = (tmp.path().join("warm"), tmp.path().join("cold"));
    for _ in 0..2 {
        let o = run_on(&books, &warm, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let m = manifest(&warm);
    let n = m["files"].as_array().unwrap().len() as u64;
    assert_eq!((m["cache"]["files_cached"].as_u64(), m["cache"]["files_parsed"].as_u64()), (Some(n), Some(0)), "{}", m["cache"]);
    let o = run_on(&books, &cold, &["--no-cache"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_outputs(&warm, &cold, "cached workbook run against a cold one");
}
