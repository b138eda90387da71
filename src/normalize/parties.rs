//! Party names (申请执行人, 被执行人) never leave the job in clear: a keyed
//! hash (HMAC-SHA-256) stands in for them in `cases.parquet` and in the raw
//! lines of `quarantine.csv`. Without a key they are left out entirely.

use crate::text::value;

/// What stands in a quarantined raw line for a party name when no key is set.
pub const REDACTED: &str = "[redacted]";

#[derive(Clone)]
pub struct PartyHasher {
    /// the HMAC key, prepared once (ring keeps its padded inner and outer
    /// states)
    mac: Option<ring::hmac::Key>,
}

impl PartyHasher {
    pub fn new(key: Option<Vec<u8>>) -> Self {
        PartyHasher { mac: key.filter(|k| !k.is_empty()).map(|k| ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &k)) }
    }

    pub fn has_key(&self) -> bool {
        self.mac.is_some()
    }

    /// The hash of a name as normalised (so `张三` and `张三 ` agree): the first
    /// 16 bytes of HMAC-SHA-256, in hex. `None` for an empty name or no key.
    pub fn hash(&self, name: &str) -> Option<String> {
        self.mac.as_ref()?;
        self.hash_normalized(&value(name)?)
    }

    /// `hash` for a name already through `text::value`.
    pub fn hash_normalized(&self, name: &str) -> Option<String> {
        self.hash_bytes(name).map(|h| crate::ingest::hex(&h))
    }

    /// The 16 bytes `hash_normalized` prints in hex.
    pub fn hash_bytes(&self, name: &str) -> Option<[u8; 16]> {
        let tag = ring::hmac::sign(self.mac.as_ref()?, name.as_bytes());
        let mut h = [0u8; 16];
        h.copy_from_slice(&tag.as_ref()[..16]);
        Some(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::header::map_header;
    use crate::ingest::records::Splitter;
    use crate::ingest::HeaderMap;

    fn header() -> HeaderMap {
        let cells: Vec<String> = "案号,立案日期,结案日期,结案方式,案由,申请执行人,被执行人".split(',').map(String::from).collect();
        map_header(&cells).unwrap()
    }

    #[test]
    fn hash_is_keyed_stable_and_ignores_surrounding_space() {
        let h = PartyHasher::new(Some(b"k1".to_vec()));
        let a = h.hash("张三").unwrap();
        assert_eq!(a.len(), 32);
        assert_eq!(h.hash(" 张三 "), Some(a.clone()));
        assert_ne!(PartyHasher::new(Some(b"k2".to_vec())).hash("张三"), Some(a));
        assert_eq!(h.hash("--"), None);
        assert_eq!(PartyHasher::new(None).hash("张三"), None);
    }

    #[test]
    fn the_hash_is_the_first_half_of_hmac_sha256_as_the_hmac_crate_computes_it() {
        use hmac::{Hmac, Mac};
        for (key, name) in [
            (b"k1".as_slice(), "张三"),
            (b"a much longer key than the block of sixty-four bytes that HMAC pads to".as_slice(), "承德华盛商贸有限公司"),
        ] {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            mac.update(name.as_bytes());
            let want = crate::ingest::hex(&mac.finalize().into_bytes()[..16]);
            assert_eq!(PartyHasher::new(Some(key.to_vec())).hash(name), Some(want));
        }
    }

    #[test]
    fn raw_lines_lose_party_names_but_keep_everything_else() {
        let text = "x,2023-01-01,,,借款,\"张三\",李四公司\n";
        let mut sp = Splitter::new(text, b',');
        let rec = sp.next_record().unwrap();
        let keyed = PartyHasher::new(Some(b"k".to_vec()));
        let kinds = crate::normalize::redact::FieldKinds::of(&header(), &[]);
        let raw = crate::normalize::redact::redact(&rec, &kinds, &keyed, false).text;
        assert!(!raw.contains("张三") && !raw.contains("李四"), "{raw}");
        assert!(raw.starts_with("x,2023-01-01,,,借款,"));
        let plain = crate::normalize::redact::redact(&rec, &kinds, &PartyHasher::new(None), false).text;
        assert_eq!(plain, "x,2023-01-01,,,借款,[redacted],[redacted]");
    }
}
