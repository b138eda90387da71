//! What every end-to-end test shares: the real binary, the committed
//! fixture, generated exports, and ways to read what a run published.

use assert_cmd::Command;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The binary, without a party-hash key from the caller's environment, and
/// in English whatever the caller's locale (a test of Chinese asks for it).
pub fn courtstat() -> Command {
    let mut c = Command::cargo_bin("courtstat").unwrap();
    c.env_remove("COURTSTAT_HASH_KEY").env_remove("LC_ALL").env_remove("LC_MESSAGES").env("LANG", "C.UTF-8");
    c
}

pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("courtstat")
}

/// The hand-worked fixture (tests/fixtures/small, derived in its README).
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small")
}

/// Every file under `dir`, recursively, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(files(&p));
        } else {
            v.push(p);
        }
    }
    v.sort();
    v
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &p);
        } else {
            fs::copy(e.path(), p).unwrap();
        }
    }
}

/// A messy generated export of two cities (`gen --seed`), its files dated
/// an hour back (as last night's files are), so that their stamps are trusted.
pub fn export(tmp: &Path, rows: u64, seed: u64) -> PathBuf {
    let input = tmp.join("input");
    let o = courtstat()
        .args(["gen", "--rows", &rows.to_string(), "--seed", &seed.to_string(), "--messy", "--cities", "承德市,唐山市", "--out"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in files(&input) {
        backdate(&f);
    }
    input
}

pub fn backdate(f: &Path) {
    let file = fs::File::options().write(true).open(f).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600)).unwrap();
}

pub type Row = HashMap<String, String>;

/// A published CSV table as rows of named cells (it must start with a BOM).
pub fn table(out: &Path, name: &str) -> Vec<Row> {
    let bytes = fs::read(out.join(format!("{name}.csv"))).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{name}.csv starts with a UTF-8 BOM");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().clone();
    r.records().map(|rec| headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()).collect()
}

pub fn row<'a>(rows: &'a [Row], key: &str, value: &str) -> &'a Row {
    rows.iter().find(|r| r[key] == value).unwrap_or_else(|| panic!("no row with {key} = {value}"))
}

pub fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap()
}

/// Every published file but run.json (which holds timings) is the same,
/// and so are the manifest's counts.
pub fn assert_same_outputs(a: &Path, b: &Path, what: &str) {
    let names = |d: &Path| files(d).iter().map(|p| p.file_name().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}");
    for name in names(a) {
        if name != "run.json" {
            assert!(fs::read(a.join(&name)).unwrap() == fs::read(b.join(&name)).unwrap(), "{what}: {name:?} differs");
        }
    }
    let (ma, mb) = (manifest(a), manifest(b));
    for key in [
        "files",
        "rows_read",
        "rows_quarantined",
        "quarantine_by_reason",
        "warnings",
        "cases_valid",
        "cases_kept",
        "duplicates_dropped",
        "duplicate_keys",
        "duplicate_conflicts",
        "courts_ranked",
        "rows_per_output",
        "complete",
    ] {
        assert_eq!(ma[key], mb[key], "{what}: run.json {key}");
    }
}

/// Every part of an .xlsx (a zip of XML), unzipped, by name in the zip's
/// order: what the workbook tests read its styles and sheets from, and
/// what the privacy test searches (the deflated bytes would hide a name).
pub fn xlsx_parts(path: &Path) -> Vec<(String, String)> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|k| {
            let mut part = zip.by_index(k).unwrap();
            let mut text = String::new();
            part.read_to_string(&mut text).unwrap();
            (part.name().unwrap().to_string(), text)
        })
        .collect()
}
