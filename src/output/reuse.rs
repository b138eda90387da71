//! Encoded chunks of the large tables kept between runs. A nightly refresh
//! where one court's file changed alters a few chunks of the case table
//! out of a hundred; encoding and compressing the other chunks again was
//! most of a warm run. Each chunk is stored under the fingerprint of what
//! its rows show (`Chunked::fingerprint`) and the format it was written in,
//! so a reused chunk is byte for byte the chunk a cold run would write.

/// Where encoded chunks are kept (the incremental cache). The store checks
/// its entries' integrity: `get` returns what `put` was given, or nothing.
pub trait ChunkStore: Sync {
    fn get(&self, name: &str) -> Option<Vec<u8>>;
    fn put(&self, name: &str, bytes: &[u8]);
}

/// The name of the entry of a chunk of `table` in `format` under `fingerprint`.
pub fn entry_name(table: &str, format: &str, fingerprint: u128) -> String {
    format!("{table}.{format}.{fingerprint:032x}")
}

/// The store and the name of the entry of `table`'s chunk of `rows` in
/// `format` (which says how it was written), when there is a store and the
/// table can fingerprint its rows: the table, the format, the fingerprint.
pub fn entry<'s>(
    store: Option<&'s dyn ChunkStore>,
    table: &super::Chunked,
    format: &str,
    rows: std::ops::Range<usize>,
) -> Option<(&'s dyn ChunkStore, String)> {
    entries(store, table, [format], rows).map(|(store, [name])| (store, name))
}

/// `entry` in each of `formats` at once (a chunk written as CSV and as
/// Parquet from one build): the rows are fingerprinted once.
pub fn entries<'s, const N: usize>(
    store: Option<&'s dyn ChunkStore>,
    table: &super::Chunked,
    formats: [&str; N],
    rows: std::ops::Range<usize>,
) -> Option<(&'s dyn ChunkStore, [String; N])> {
    let (store, fingerprint) = store.zip(table.fingerprint.as_ref())?;
    let fingerprint = fingerprint(rows);
    Some((store, formats.map(|format| entry_name(table.name, format, fingerprint))))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::ChunkStore;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// A store in memory that counts what it was asked.
    #[derive(Default)]
    pub(crate) struct MemoryStore {
        pub(crate) entries: Mutex<HashMap<String, Vec<u8>>>,
        pub(crate) hits: std::sync::atomic::AtomicUsize,
        pub(crate) puts: std::sync::atomic::AtomicUsize,
    }

    impl ChunkStore for MemoryStore {
        fn get(&self, name: &str) -> Option<Vec<u8>> {
            let got = self.entries.lock().unwrap().get(name).cloned();
            if got.is_some() {
                self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            got
        }
        fn put(&self, name: &str, bytes: &[u8]) {
            self.puts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.entries.lock().unwrap().insert(name.to_string(), bytes.to_vec());
        }
    }

    impl MemoryStore {
        pub(crate) fn counts(&self) -> (usize, usize) {
            use std::sync::atomic::Ordering::Relaxed;
            (self.hits.swap(0, Relaxed), self.puts.swap(0, Relaxed))
        }
    }
}
