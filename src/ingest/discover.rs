//! Finds the export files under the input folders, in the order deduplication
//! depends on (§2): folder by folder, then byte-wise by relative path.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// the path relative to its input folder with `/`, prefixed by the
    /// folder's own name when there are several input folders
    pub name: String,
    pub size: u64,
    /// the worksheet, for a workbook's sheet (`name` ends in `#` and it);
    /// `None` for a text file, and for a workbook whose sheets could not be
    /// listed (it is rejected when read)
    pub sheet: Option<String>,
}

impl InputFile {
    pub fn is_workbook(&self) -> bool {
        super::workbook::is_workbook(self.path.as_os_str().as_encoded_bytes())
    }
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<InputFile>,
    /// other files under the input folders, named like `files`
    pub ignored: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{}", self.message(Lang::En))]
    MissingFolder(PathBuf),
    #[error("{}", self.message(Lang::En))]
    Io { path: PathBuf, source: std::io::Error },
}

use crate::messages::{Lang, Msg};

impl DiscoverError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            DiscoverError::MissingFolder(p) => Msg::ErrMissingFolder.say(lang, &[&p.display()]),
            DiscoverError::Io { path, source } => Msg::ErrFolder.say(lang, &[&path.display(), source]),
        }
    }
}

fn is_export(name: &OsStr) -> bool {
    let n = name.as_encoded_bytes();
    super::workbook::is_workbook(n)
        || n.len() > 4 && {
            let ext = &n[n.len() - 4..];
            ext.eq_ignore_ascii_case(b".csv") || ext.eq_ignore_ascii_case(b".tsv")
        }
}

/// A workbook's sheets, each an input of its own (§2: `承德县.xlsx#Sheet1`);
/// a workbook whose sheets cannot be listed is one input, rejected when read.
fn sheets_of(path: PathBuf, name: String, size: u64) -> Vec<InputFile> {
    let names = std::fs::File::open(&path).ok().and_then(|f| super::workbook::sheet_names(std::io::BufReader::new(f)).ok()).filter(|n| !n.is_empty());
    match names {
        Some(sheets) => {
            sheets.into_iter().map(|sheet| InputFile { path: path.clone(), name: format!("{name}#{sheet}"), size, sheet: Some(sheet) }).collect()
        }
        None => vec![InputFile { path, name, size, sheet: None }],
    }
}

pub fn discover(inputs: &[PathBuf]) -> Result<Discovery, DiscoverError> {
    let mut out = Discovery::default();
    let several = inputs.len() > 1;
    for root in inputs {
        if !root.is_dir() {
            return Err(DiscoverError::MissingFolder(root.clone()));
        }
        let prefix = if several {
            let own = root.canonicalize().ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
            format!("{}/", own.unwrap_or_else(|| root.display().to_string()))
        } else {
            String::new()
        };
        let mut found: Vec<(Vec<u8>, PathBuf, u64)> = Vec::new();
        let mut ignored: Vec<Vec<u8>> = Vec::new();
        let mut visited = HashSet::new();
        walk(root, &mut Vec::new(), &mut visited, &mut found, &mut ignored)?;
        found.sort();
        ignored.sort();
        for (rel, path, size) in found {
            let name = format!("{prefix}{}", String::from_utf8_lossy(&rel));
            if super::workbook::is_workbook(&rel) {
                out.files.extend(sheets_of(path, name, size));
            } else {
                out.files.push(InputFile { path, name, size, sheet: None });
            }
        }
        out.ignored.extend(ignored.into_iter().map(|rel| format!("{prefix}{}", String::from_utf8_lossy(&rel))));
    }
    Ok(out)
}

/// Depth-first walk; symbolic links to folders are followed once each (by
/// their canonical path), so a link loop cannot make the walk endless.
fn walk(
    dir: &Path,
    rel: &mut Vec<u8>,
    visited: &mut HashSet<PathBuf>,
    found: &mut Vec<(Vec<u8>, PathBuf, u64)>,
    ignored: &mut Vec<Vec<u8>>,
) -> Result<(), DiscoverError> {
    let io = |e| DiscoverError::Io { path: dir.to_path_buf(), source: e };
    let canonical = dir.canonicalize().map_err(io)?;
    if !visited.insert(canonical) {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let name = entry.file_name();
        let len = rel.len();
        if !rel.is_empty() {
            rel.push(b'/');
        }
        rel.extend_from_slice(name.as_encoded_bytes());
        // metadata follows links. An export's name that cannot be looked at
        // (a dangling link, a file gone since the folder was listed) is an
        // input all the same: reading it fails, and it is rejected naming
        // it, rather than its court silently missing.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, rel, visited, found, ignored)?,
            Ok(m) if m.is_file() && is_export(&name) => found.push((rel.clone(), path, m.len())),
            Err(_) if is_export(&name) => found.push((rel.clone(), path, 0)),
            _ => ignored.push(rel.clone()),
        }
        rel.truncate(len);
    }
    Ok(())
}
