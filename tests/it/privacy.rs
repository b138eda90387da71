//! No personal data in clear (§5.1): identity numbers, mobile numbers,
//! e-mail addresses, home addresses and party names planted in every column
//! position of quarantined rows (every reason, `bad_shape` with shifted
//! fields too), in GB18030 and UTF-8, are found in no byte of any output —
//! CSV, Parquet decoded cell by cell, the report, run.json, `validate`'s
//! lines — nor in the cache folder.

use super::common::*;
use std::fs;
use std::path::Path;

/// Valid by GB 11643 (check character 5), a 15-digit one, a mobile number,
/// an address, and an e-mail address.
const ID: &str = "130821198001019995";
const OLD_ID: &str = "130821800101999";
const MOBILE: &str = "13812345678";
const ADDRESS: &str = "下板城镇某某村42号";
const MAIL: &str = "zhangsan@example.com";
const NAMES: [&str; 2] = ["张大山", "李小河"];

const HEADER: &str =
    "案号,立案日期,结案日期,结案方式,案由,申请执行标的,执行到位金额,扣除天数,申请执行人,被执行人,被执行人身份证号码,联系电话,住所地,备注";

/// One row per quarantine reason (and one good row), the personal data in
/// a different column each time.
fn rows() -> Vec<String> {
    let unknown = format!("{ID},{MOBILE},河北省承德县{ADDRESS},邮箱{MAIL}");
    let parties = format!("{},{}", NAMES[0], NAMES[1]);
    vec![
        // a good row: its unknown columns are not kept anywhere
        format!("（2023）冀0821执1号,2023-01-05,,,借款合同纠纷,1000,,0,{parties},{unknown}"),
        // bad_case_no: the identity number where the case number belongs
        format!("{ID},2023-01-05,,,借款合同纠纷,1000,,0,{parties},{unknown}"),
        // not_enforcement
        format!("（2023）冀0821民初5号,2023-01-05,,,借款合同纠纷,1000,,0,{parties},{unknown}"),
        // unknown_court, a mobile number in the cause
        format!("（2023）冀9999执2号,2023-01-05,,,电话{MOBILE},1000,,0,{parties},{unknown}"),
        // bad_filing_date: the old identity number as the date
        format!("（2023）冀0821执3号,{OLD_ID},,,借款合同纠纷,1000,,0,{parties},{unknown}"),
        // bad_closing_date: the mail address as the date
        format!("（2023）冀0821执4号,2023-01-05,{MAIL},执行完毕,借款合同纠纷,1000,,0,{parties},{unknown}"),
        // inconsistent_closure
        format!("（2023）冀0821执5号,2023-01-05,2023-02-01,,借款合同纠纷,1000,,0,{parties},{unknown}"),
        // closed_before_filed
        format!("（2023）冀0821执6号,2023-03-05,2023-02-01,执行完毕,借款合同纠纷,1000,,0,{parties},{unknown}"),
        // bad_amount: the identity number with 元 as the amount
        format!("（2023）冀0821执7号,2023-01-05,,,借款合同纠纷,{ID}元x,,0,{parties},{unknown}"),
        // bad_days: the mobile number as the days
        format!("（2023）冀0821执8号,2023-01-05,,,借款合同纠纷,1000,,{MOBILE}天,{parties},{unknown}"),
        // bad_shape: a field missing, so everything after it shifts left
        format!("（2023）冀0821执9号,2023-01-05,,借款合同纠纷,1000,,0,{parties},{unknown}"),
        // bad_shape: a name and the address in a date's position, and a field too many
        format!("（2023）冀0821执10号,{},河北省承德县{ADDRESS},,借款合同纠纷,1000,,0,{parties},{unknown},多余", NAMES[0]),
    ]
}

fn write_exports(input: &Path) {
    fs::create_dir_all(input).unwrap();
    // enough good rows that the bad ones (11) stay under the file's limit
    let unknown = format!("{ID},{MOBILE},河北省承德县{ADDRESS},邮箱{MAIL}");
    let good: Vec<String> =
        (100..300).map(|k| format!("（2023）冀0821执{k}号,2023-01-05,,,借款合同纠纷,1000,,0,{},{},{unknown}", NAMES[0], NAMES[1])).collect();
    let text = format!("{HEADER}\n{}\n{}\n", rows().join("\n"), good.join("\n"));
    // a second court's export in GB18030, the same rows under its code
    let other = text.replace("冀0821", "冀0822");
    fs::write(input.join("承德县_2023.csv"), text.as_bytes()).unwrap();
    let (gb, _, _) = encoding_rs::GB18030.encode(&other);
    fs::write(input.join("承德市双滦区_2023.csv"), &gb).unwrap();
    for f in files(input) {
        backdate(&f);
    }
}

/// Every part of a workbook, unzipped (its bytes on disk are deflated: a
/// search of them would find nothing either way).
fn xlsx_text(path: &Path) -> String {
    let all: String = xlsx_parts(path).into_iter().map(|p| p.1).collect();
    assert!(all.contains("<sheetData"), "{}: no sheet read", path.display());
    all
}

/// Every text the folder holds, Parquet files decoded cell by cell,
/// workbooks unzipped.
fn all_text(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in files(dir) {
        let name = f.display().to_string();
        let text = if f.extension().is_some_and(|e| e == "parquet") {
            super::parquet::polars_cells(&f).into_iter().map(|row| row.join(",")).collect::<Vec<_>>().join("\n")
        } else if f.extension().is_some_and(|e| e == "xlsx") {
            xlsx_text(&f)
        } else {
            String::from_utf8_lossy(&fs::read(&f).unwrap()).into_owned()
        };
        out.push((name, text));
    }
    out
}

fn assert_clean(texts: &[(String, String)], what: &str) {
    for (name, text) in texts {
        for secret in [ID, OLD_ID, MOBILE, ADDRESS, MAIL, NAMES[0], NAMES[1]] {
            assert!(!text.contains(secret), "{what}: {name} holds {secret}");
        }
    }
}

#[test]
fn no_output_and_no_cache_entry_holds_personal_data_in_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    write_exports(&input);
    let out = tmp.path().join("out");
    for key in [None, Some("k")] {
        let mut cmd = courtstat();
        if let Some(k) = key {
            cmd.env("COURTSTAT_HASH_KEY", k);
        }
        let o = cmd
            .args(["run", "--as-of", "2023-08-22", "--cache-dir"])
            .arg(tmp.path().join("cache"))
            .arg("--input")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let q = table(&out, "quarantine");
        // every reason planted is there, twice (both files), and its record kept what is data
        let reasons: std::collections::BTreeSet<&str> = q.iter().map(|r| r["reason"].as_str()).collect();
        assert_eq!(reasons.len(), 10, "{reasons:?}");
        assert_eq!(q.len(), 22);
        assert!(q.iter().all(|r| r["raw"].starts_with("（2023）冀") || r["reason"] == "bad_case_no"));
        assert!(q.iter().any(|r| r["raw"].contains("[redacted]")));
        let m = manifest(&out);
        assert!(m["fields_redacted"].as_u64().unwrap() >= 22 * 4, "{}", m["fields_redacted"]);
        let mut texts = all_text(&out);
        assert!(texts.iter().any(|t| t.0.ends_with("courtstat.xlsx")), "the workbook is searched, unzipped");
        texts.extend(all_text(&tmp.path().join("cache")));
        texts.push(("stderr".into(), String::from_utf8_lossy(&o.stderr).into_owned()));
        assert_clean(&texts, if key.is_some() { "with a key" } else { "without a key" });
    }
    let o = courtstat().args(["validate", "--input"]).arg(&input).output().unwrap();
    let lines = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(lines.contains("bad_shape"), "{lines}");
    assert_clean(&[("validate".into(), lines)], "validate");
}

#[test]
fn raw_columns_keeps_the_unknown_columns_it_names_but_still_strips_numbers_in_them() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    write_exports(&input);
    let p = tmp.path().join("p.toml");
    fs::write(&p, format!("input = [{:?}]\nout = \"out\"\nas_of = 2023-08-22\nraw_columns = [\"备注\", \"住所地\"]\n", input.display().to_string()))
        .unwrap();
    let o = courtstat().arg("run").arg(&p).args(["--allow-partial", "--no-cache", "--quiet"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let q = table(&tmp.path().join("out"), "quarantine");
    let not_shapeless: Vec<&Row> = q.iter().filter(|r| r["reason"] != "bad_shape").collect();
    // the address column is kept as asked, the note's mail address is not
    assert!(not_shapeless.iter().all(|r| r["raw"].contains(ADDRESS) && r["raw"].contains("邮箱[redacted]")), "{not_shapeless:?}");
    assert!(q.iter().all(|r| !r["raw"].contains(ID) && !r["raw"].contains(MAIL)));
    let bad = fs::write(&p, "input = [\"in\"]\nout = \"out\"\nraw_columns = [\"被执行人\"]\n");
    bad.unwrap();
    let o = courtstat().arg("run").arg(&p).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("raw_columns"));
}
