//! A hostile world on the real binary: a disk that fills while the tables
//! are written, an output path that is a file, an output folder or parent
//! that cannot be changed, exports that grow, cannot be read or vanished, a
//! cache folder that cannot be used. Each failure exits non-zero naming the
//! path, leaves the previous published set as it was and no staging folder
//! behind; a cache that cannot be used costs speed only.

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

/// A run on `input` into `out` that keeps its cache in `cache`.
fn run_with_cache(cache: &Path, input: &Path, out: &Path) -> std::process::Output {
    courtstat().args(["run", "--as-of", "2023-08-22", "--cache-dir"]).arg(cache).arg("--input").arg(input).arg("--out").arg(out).output().unwrap()
}

#[test]
fn a_cache_folder_that_cannot_be_used_costs_speed_only() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 2000, 63);
    // the cache path is a regular file: no folder can be made there
    let cache = tmp.path().join("cache");
    fs::write(&cache, "x").unwrap();
    let out = tmp.path().join("out");
    let o = run_with_cache(&cache, &input, &out);
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

#[test]
fn an_input_that_grows_while_it_is_read_is_rejected_naming_it_and_nothing_is_published() {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 3000, 62);
    // one export that a court system is still writing: 20 MB, and growing
    // all through the run
    let growing = input.join("承德市").join("正在导出.csv");
    let header = "案号,立案日期,结案日期,结案方式,案由\n";
    let line = "（2023）冀0821执1号,2023-01-05,2023-03-01,执行完毕,民间借贷纠纷\n";
    fs::write(&growing, format!("{header}{}", line.repeat(20 << 20 >> 6))).unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, growing) = (stop.clone(), growing.clone());
        std::thread::spawn(move || {
            let mut f = fs::OpenOptions::new().append(true).open(&growing).unwrap();
            while !stop.load(Ordering::Relaxed) {
                f.write_all(line.as_bytes()).unwrap();
                f.flush().unwrap();
            }
        })
    };
    let out = tmp.path().join("out");
    let o =
        courtstat().args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("正在导出.csv") && stderr.contains("changed while it was read"), "{stderr}");
    assert!(!out.exists(), "nothing published");
    assert!(debris(tmp.path()).is_empty(), "{:?}", debris(tmp.path()));
}

/// Makes a folder immutable (`chattr +i`: not even root may add to it) for
/// as long as it lives; a file system without the flag fails the test
/// rather than skipping it.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn new(dir: &Path) -> Immutable {
        let o = std::process::Command::new("chattr").arg("+i").arg(dir).output().expect("chattr (e2fsprogs) runs");
        assert!(o.status.success(), "chattr +i {}: {}", dir.display(), String::from_utf8_lossy(&o.stderr));
        Immutable(dir.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_output_parent_fails_the_run_naming_it_and_keeps_the_last_published_set() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 2000, 63);
    let parent = tmp.path().join("published");
    fs::create_dir(&parent).unwrap();
    let out = parent.join("out");
    let run = || {
        courtstat().args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap()
    };
    let ok = run();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let before = snapshot(&out);
    let o = {
        let _frozen = Immutable::new(&parent);
        run()
    };
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(&parent.display().to_string()) || stderr.contains(&out.display().to_string()), "names the folder: {stderr}");
    assert_eq!(snapshot(&out), before, "the last published set is intact");
    assert!(debris(&parent).is_empty(), "{:?}", debris(&parent));
}

/// The binary run as `nobody` when the tests run as root (root reads any
/// file), as the caller otherwise; from a copy every user may run.
fn unprivileged(tmp: &Path) -> std::process::Command {
    use std::os::unix::fs::PermissionsExt;
    let copy = tmp.join("courtstat");
    fs::copy(bin(), &copy).unwrap();
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(tmp, fs::Permissions::from_mode(0o777)).unwrap();
    let mut cmd = std::process::Command::new(copy);
    cmd.env_remove("COURTSTAT_HASH_KEY").env("LANG", "C.UTF-8").env_remove("LC_ALL");
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    cmd
}

#[test]
fn an_input_the_run_may_not_read_is_rejected_naming_it_and_allow_partial_goes_on_without_it() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 2000, 65);
    let locked = files(&input).into_iter().next().unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let name = locked.strip_prefix(&input).unwrap().display().to_string();
    let out = tmp.path().join("out");
    let run = |extra: &[&str]| {
        unprivileged(tmp.path())
            .args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("{name}: cannot be read: Permission denied")), "{stderr}");
    assert!(!out.exists(), "nothing published");
    assert!(debris(tmp.path()).is_empty(), "{:?}", debris(tmp.path()));
    let o = run(&["--allow-partial"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = manifest(&out);
    assert_eq!(m["rejected_files"], serde_json::json!([name]));
    assert_eq!(m["complete"], false);
}

#[test]
fn an_input_that_vanished_is_rejected_naming_it_and_not_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 2000, 67);
    let out = tmp.path().join("out");
    let run = |extra: &[&str]| {
        courtstat()
            .args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&[]).status.success());
    let before = snapshot(&out);
    // a name still listed whose file is gone: a link left to nothing, as an
    // export moved away between the folder's listing and its reading is
    for gone in ["承德市/gone_执行案件_20230825.csv", "承德市/gone_执行案件_20230825.xlsx"] {
        std::os::unix::fs::symlink(tmp.path().join("moved-away"), input.join(gone)).unwrap();
    }
    let o = run(&[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("承德市/gone_执行案件_20230825.csv: cannot be read: No such file or directory"), "{stderr}");
    assert!(stderr.contains("承德市/gone_执行案件_20230825.xlsx: cannot be read: No such file or directory"), "{stderr}");
    assert_eq!(snapshot(&out), before, "the last published set is intact");
    assert!(debris(tmp.path()).is_empty(), "{:?}", debris(tmp.path()));
    let o = run(&["--allow-partial"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = manifest(&out);
    assert_eq!(m["rejected_files"].as_array().unwrap().len(), 2);
    assert!(m["ignored_files"].as_array().unwrap().iter().all(|f| !f.as_str().unwrap().contains("gone")));
}

#[test]
fn an_output_folder_that_cannot_be_set_aside_fails_the_run_and_leaves_it_and_no_link_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 2000, 69);
    // an output folder from before courtstat owned it, immutable
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("old.csv"), "from before").unwrap();
    let o = {
        let _frozen = Immutable::new(&out);
        courtstat().args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&out).output().unwrap()
    };
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("writing {}: Operation not permitted", out.display())), "{stderr}");
    assert_eq!(fs::read_to_string(out.join("old.csv")).unwrap(), "from before", "the folder stays as it was");
    assert!(fs::symlink_metadata(&out).unwrap().is_dir());
    let left: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".courtstat-"))
        .collect();
    assert!(left.is_empty(), "no staging folder and no link left: {left:?}");
}

/// A small tmpfs mounted on a folder for as long as it lives (root may
/// mount one; elsewhere the test fails rather than skipping).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn new(dir: &Path, size: &str) -> SmallDisk {
        fs::create_dir_all(dir).unwrap();
        let o =
            std::process::Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir).output().expect("mount runs");
        assert!(o.status.success(), "mount a {size} tmpfs on {}: {}", dir.display(), String::from_utf8_lossy(&o.stderr));
        SmallDisk(dir.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_cache_folder_that_fills_up_costs_speed_only_and_says_so_once() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), 2000, 63);
    let cache = tmp.path().join("cache");
    let _disk = SmallDisk::new(&cache, "64k");
    let (out, cold) = (tmp.path().join("out"), tmp.path().join("cold"));
    let c =
        courtstat().args(["run", "--no-cache", "--quiet", "--as-of", "2023-08-22", "--input"]).arg(&input).arg("--out").arg(&cold).output().unwrap();
    assert!(c.status.success());
    for round in 0..2 {
        let o = run_with_cache(&cache, &input, &out);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert_eq!(err.matches("could not be written").count(), 1, "round {round}: said once: {err}");
        let m = manifest(&out);
        assert!(m["cache"]["entry_errors"].as_u64().unwrap() > 0, "{}", m["cache"]);
        assert_eq!(m["cache"]["refreshed"], false, "a cache without its state refreshes nothing");
        assert_same_outputs(&out, &cold, "with a full cache");
    }
}
