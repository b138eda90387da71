use super::*;
use crate::dedup::tests::case;
use crate::domain::{ClosureMethod, Fen, QuarantineReason};
use crate::normalize::{QuarantinedRow, Warning};
use proptest::prelude::*;

fn parsed(cases: Vec<crate::domain::Case>) -> Parsed {
    Parsed {
        encoding: Encoding::Gb18030,
        delimiter: b'\t',
        header_cells: vec!["案号".into(), "立案日期".into(), "".into()],
        codes_without_header: ["冀08".to_string()].into_iter().collect(),
        rows: Some(FileRows {
            cases,
            quarantined: vec![QuarantinedRow { file: 0, line: 9, reason: QuarantineReason::BadDays, raw: "a,\"b\",[redacted]".into() }],
            data_records: 12,
            warnings: vec![(Warning::OtherClosureMethod, 3), (Warning::HeaderOnly, 1)],
            court_codes: ["冀0821".to_string(), "冀".to_string()].into_iter().collect(),
            too_large: Some(crate::ingest::Rejection::TooLarge { line: 4, what: crate::ingest::Limits::WHAT[1], limit: 7 }),
            causes: vec!["借款合同纠纷".into(), "".into()],
        }),
    }
}

fn same(a: &Parsed, b: &Parsed) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

#[test]
fn a_parsed_file_comes_back_field_for_field() {
    let mut c = case(77, 0, 5);
    c.closing = chrono::NaiveDate::from_ymd_opt(2023, 5, 1);
    c.method = Some(ClosureMethod::Withdrawn);
    c.cause = crate::domain::CauseId::at(1);
    c.claim = crate::domain::MaybeFen::new(Some(Fen(-3)));
    c.recovered = crate::domain::MaybeFen::new(Some(Fen(i64::MAX)));
    c.suspended_days = 4;
    c.extended_days = u32::MAX;
    c.enterprise = true;
    c.parties = Some(Box::new(crate::domain::PartyHashes { applicant: Some([0xab; 16]), respondent: None }));
    c.updated_at = crate::domain::UpdatedAt::new(chrono::NaiveDate::from_ymd_opt(2023, 8, 1).and_then(|d| d.and_hms_opt(23, 59, 59)));
    c.deadline = None;
    c.key.special_code = Some('知');
    let p = parsed(vec![c.clone(), case(1, 0, 6)]);
    let back = codec::decode(&codec::encode(&p)).expect("decodes");
    assert!(same(&p, &back), "{p:?}\n{back:?}");
    // a cause number beyond the file's list is damage, not a case
    let mut bad = parsed(vec![c]);
    bad.rows.as_mut().unwrap().causes.truncate(1);
    assert!(codec::decode(&codec::encode(&bad)).is_none());
}

#[test]
fn the_quarantined_rows_alone_are_those_of_the_whole_entry() {
    let p = parsed(vec![case(1, 0, 2), case(2, 0, 3)]);
    let bytes = codec::encode(&p);
    let q = codec::decode_quarantined(&bytes).expect("decodes");
    assert_eq!(format!("{q:?}"), format!("{:?}", p.rows.as_ref().unwrap().quarantined));
    assert!(codec::decode_quarantined(&bytes[..bytes.len() - 1]).is_none(), "the whole entry's checksum still counts");
    let mut headerless = parsed(vec![]);
    headerless.rows = None;
    assert_eq!(codec::decode_quarantined(&codec::encode(&headerless)).map(|q| q.len()), Some(0));
}

#[test]
fn a_file_whose_header_did_not_map_round_trips_without_rows() {
    let mut p = parsed(vec![]);
    p.rows = None;
    assert!(same(&p, &codec::decode(&codec::encode(&p)).unwrap()));
}

#[test]
fn every_truncation_and_every_flipped_byte_is_refused() {
    let bytes = codec::encode(&parsed(vec![case(1, 0, 2), case(2, 0, 3)]));
    for n in 0..bytes.len() {
        assert!(codec::decode(&bytes[..n]).is_none(), "truncated at {n}");
    }
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        assert!(codec::decode(&b).is_none(), "byte {i} flipped");
    }
}

#[test]
fn the_index_keeps_only_well_formed_lines() {
    let sha = "a".repeat(64);
    let text = format!("{sha}\t10\t1\t2\t3\t4\t5\t6\t/x/y z.csv\nbroken line\n{sha}\tx\t1\t2\t3\t4\t5\t6\t/bad\n");
    let known = parse_index(&text);
    assert_eq!(known.len(), 1);
    let (stamp, s) = &known[Path::new("/x/y z.csv")];
    assert_eq!((stamp.size, stamp.mtime, stamp.ino, s.as_str()), (10, (1, 2), 6, sha.as_str()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_case_round_trips(seq in any::<u64>(), line in any::<u32>(), upd in any::<i64>(), year in any::<u16>(), days in any::<u32>(),
                            claim in any::<Option<i64>>(), hash in any::<Option<[u8; 16]>>(), raw in "\\PC{0,30}") {
        let mut c = case(seq, 0, line);
        c.key.year = year;
        c.updated_at = crate::domain::UpdatedAt::from_bits(upd);
        c.suspended_days = days;
        c.claim = crate::domain::MaybeFen::new(claim.filter(|v| *v != i64::MIN).map(Fen));
        c.parties = hash.map(|h| Box::new(crate::domain::PartyHashes { applicant: None, respondent: Some(h) }));
        let mut p = parsed(vec![c]);
        if let Some(r) = p.rows.as_mut() { r.quarantined[0].raw = raw; }
        let back = codec::decode(&codec::encode(&p));
        prop_assert!(back.as_ref().is_some_and(|b| same(&p, b)));
    }
}
