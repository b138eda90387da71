//! A hostile world on the real binary: a disk that fills while the tables
//! are written, an output path that is a file, a cache folder that cannot
//! be used. Each failure exits non-zero naming the path, leaves the
//! previous published set as it was and no staging folder behind; a cache
//! that cannot be used costs speed only.

use super::common::*;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;

/// The published folder's files and their bytes.
fn snapshot(out: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    files(out).into_iter().map(|f| (f.clone(), fs::read(&f).unwrap())).collect()
}

/// Hidden staging folders (`.NAME.courtstat-…`) left beside the output.
fn debris(parent: &Path) -> Vec<String> {
    let live: Vec<String> = fs::read_dir(parent)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".courtstat-") && !n.ends_with(".cache"))
        .collect();
    // the folder the output link points at is the published set, not debris
    let target = fs::read_link(parent.join("out")).ok().map(|t| t.to_string_lossy().into_owned());
    live.into_iter().filter(|n| Some(n) != target.as_ref() && !n.contains("lock")).collect()
}

#[test]
fn a_disk_that_fills_while_writing_fails_the_run_and_keeps_the_last_published_set() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 61);
    let out = tmp.path().join("out");
    let ok =
        courtstat().args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let before = snapshot(&out);
    // a file-size limit stands in for a full disk: past 200 kB a write fails
    // with EFBIG (SIGXFSZ ignored, as a full disk's ENOSPC would fail it)
    let mut cmd = std::process::Command::new(bin());
    cmd.args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-23", "--input"]).arg(&input).arg("--out").arg(&out);
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit { rlim_cur: 200_000, rlim_max: 200_000 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let full = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&full.stderr);
    assert_eq!(full.status.code(), Some(1), "{err}");
    let named = format!("writing {}/", out.display());
    assert!(err.contains(&named) && (err.contains(".csv:") || err.contains(".parquet:")) && err.contains("too large"), "names the file: {err}");
    assert!(snapshot(&out) == before, "the last published set is untouched");
    assert_eq!(debris(tmp.path()), Vec::<String>::new(), "no staging folder left");
    // and the next run, with room again, publishes
    let again =
        courtstat().args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-23", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(table(&out, "indicators_province")[0]["as_of"], "2023-08-23");
}

#[test]
fn an_output_path_that_is_a_regular_file_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 500, 62);
    let out = tmp.path().join("out");
    fs::write(&out, "not a folder").unwrap();
    let o =
        courtstat().args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(1 | 2)), "{err}");
    assert!(err.contains(&out.display().to_string()), "{err}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "not a folder", "the file is left alone");
    assert_eq!(debris(tmp.path()), Vec::<String>::new());
}

#[test]
fn a_cache_folder_that_cannot_be_used_costs_speed_only() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 2000, 63);
    // the cache path is a regular file: no folder can be made there
    let cache = tmp.path().join("cache");
    fs::write(&cache, "x").unwrap();
    let out = tmp.path().join("out");
    let o = courtstat()
        .args(["run", "--as-of", "2023-08-22", "--cache-dir"])
        .arg(&cache)
        .arg("--input")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(err.matches("cannot be used").count(), 1, "said once: {err}");
    assert_eq!(manifest(&out)["cache"]["fallback"], "cache_unavailable");
    let cold = tmp.path().join("cold");
    let c =
        courtstat().args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&cold).output().unwrap();
    assert!(c.status.success());
    assert_same_outputs(&out, &cold, "without a usable cache");
}
