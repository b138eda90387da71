//! The byte order of canonical case numbers, without formatting them all:
//! the case table and the duplicates table are both sorted by `case_no`
//! (§9), millions of rows at national scale.

use crate::domain::{CaseNumber, Code, TypeCode};

/// Indices of `items` in byte order of their canonical case numbers (ties,
/// which the callers never have, keep input order only on the fallback).
///
/// A number is a head `（YEAR）COURT[SPECIAL]TYPE`, then digits, then `号`;
/// the head ends in a Han type character. So two numbers with different
/// heads compare as their heads do, and two with the same head as their
/// digit strings do, with `号` (0xE5…) above every digit. Heads are few
/// (years × courts × types): they are ranked once by their text, the items
/// bucketed by rank, and each bucket sorted by a digit-string key.
///
/// The reasoning is checked where it could fail without a property test
/// noticing, at the seams: each bucket's last number against the next
/// bucket's first, formatted (a few thousand pairs; formatting every number
/// took longer than the sort). Should a seam be out of order, it falls back
/// on sorting the formatted numbers.
pub fn by_case_number<T: Sync>(items: &[T], number: impl Fn(&T) -> CaseNumber + Sync) -> Vec<u32> {
    let (mut order, bucket_ends) = head_then_digits_order(items, &number);
    if !seams_in_byte_order(items, &number, &order, &bucket_ends) {
        order.sort_by_cached_key(|&i| number(&items[i as usize]).to_string());
    }
    order
}

/// Sorts `items` in place by the byte order of their canonical case numbers.
/// A court's numbers of one year are one run of that order
/// (`court_block_key`), so the items are first moved into their runs, a
/// counting sort done in place (each item moved once, written at one of a
/// few hundred run heads: far kinder to the caches than following a
/// permutation's cycles across gigabytes), then each run is sorted on its
/// own, the runs in parallel, small enough to stay in the caches.
pub fn sort_in_place<T: Send + Sync>(items: &mut [T], number: impl Fn(&T) -> CaseNumber + Sync) {
    use rayon::prelude::*;
    // each run's rank: (year, court) pairs ordered by (year, block key)
    let mut runs: foldhash::HashMap<(u16, Code<8>), u32> = Default::default();
    let mut last: Option<((u16, Code<8>), u32)> = None;
    let mut run_of = |x: &T| -> u32 {
        let n = number(x);
        let k = (n.year, n.court_code);
        match last {
            Some((l, r)) if l == k => r,
            _ => {
                let next = runs.len() as u32;
                let r = *runs.entry(k).or_insert(next);
                last = Some((k, r));
                r
            }
        }
    };
    let ids: Vec<u32> = items.iter().map(&mut run_of).collect();
    let mut ranked: Vec<((u16, Vec<u8>), u32)> = runs.iter().map(|(&(y, c), &id)| ((y, court_block_key(c.as_str())), id)).collect();
    ranked.sort_unstable();
    let mut rank = vec![0u32; ranked.len()];
    for (r, (_, id)) in ranked.iter().enumerate() {
        rank[*id as usize] = r as u32;
    }
    let mut of: Vec<u32> = ids.into_iter().map(|id| rank[id as usize]).collect();
    // counting sort in place (American flag): each run's next free place
    let mut start = vec![0usize; ranked.len() + 1];
    for &r in &of {
        start[r as usize + 1] += 1;
    }
    for r in 1..start.len() {
        start[r] += start[r - 1];
    }
    let mut next = start.clone();
    for r in 0..ranked.len() {
        while next[r] < start[r + 1] {
            let i = next[r];
            let t = of[i] as usize;
            if t == r {
                next[r] += 1;
            } else {
                let j = next[t];
                items.swap(i, j);
                of.swap(i, j);
                next[t] += 1;
            }
        }
    }
    drop(of);
    // each run on its own
    let mut parts: Vec<&mut [T]> = Vec::with_capacity(ranked.len());
    let mut rest = items;
    for r in 0..ranked.len() {
        let (part, tail) = rest.split_at_mut(start[r + 1] - start[r]);
        parts.push(part);
        rest = tail;
    }
    parts.into_par_iter().for_each(|part| {
        let order = by_case_number(part, &number);
        permute(part, order);
    });
}

/// Puts `v[order[k]]` at `k`, in place.
pub fn permute<T>(v: &mut [T], mut order: Vec<u32>) {
    for k in 0..v.len() {
        // follow the cycle through k, marking each visited slot done
        let mut at = k;
        while order[at] as usize != k && order[at] != u32::MAX {
            let from = order[at] as usize;
            v.swap(at, from);
            order[at] = u32::MAX;
            at = from;
        }
        order[at] = u32::MAX;
    }
}

/// Where one court's numbers of one year stand among all numbers: ordered
/// by (year, this key), a court's numbers of a year are one run of the
/// case-number order. After the court code a number goes on with a Han
/// character (the specialised-trial or type code), which sorts after every
/// digit; a longer code that extends this one goes on with a digit. So the
/// code, then a byte above every digit and every lead byte of UTF-8, orders
/// the runs as their numbers are ordered (`court_runs_follow_their_block_keys`).
pub fn court_block_key(code: &str) -> Vec<u8> {
    let mut key = code.as_bytes().to_vec();
    key.push(0xFF);
    key
}

/// The order, and where each head's bucket ends in it.
fn head_then_digits_order<T: Sync>(items: &[T], number: &(impl Fn(&T) -> CaseNumber + Sync)) -> (Vec<u32>, Vec<usize>) {
    use rayon::prelude::*;
    type Head = (u16, Code<8>, Option<char>, TypeCode);
    let head = |n: &CaseNumber| -> Head { (n.year, n.court_code, n.special_code, n.type_code) };
    let mut heads: foldhash::HashMap<Head, u32> = Default::default();
    // neighbours mostly share a head (one court's file, one year): asked of
    // the map only when it changes
    let mut last: Option<(Head, u32)> = None;
    let head_of: Vec<u32> = items
        .iter()
        .map(|x| {
            let h = head(&number(x));
            match last {
                Some((l, id)) if l == h => id,
                _ => {
                    let n = heads.len() as u32;
                    let id = *heads.entry(h).or_insert(n);
                    last = Some((h, id));
                    id
                }
            }
        })
        .collect();
    let mut ranked: Vec<(String, u32)> = heads
        .iter()
        .map(|(h, id)| {
            let n = CaseNumber { year: h.0, court_code: h.1, special_code: h.2, type_code: h.3, seq: 0 };
            let mut text = String::new();
            n.push_to(&mut text);
            // the head is the text before the digits "0号"
            text.truncate(text.len() - "0号".len());
            (text, *id)
        })
        .collect();
    ranked.sort_unstable();
    let mut rank = vec![0u32; ranked.len()];
    for (r, (_, id)) in ranked.iter().enumerate() {
        rank[*id as usize] = r as u32;
    }
    // counting sort by head rank, stable in input order
    let mut start = vec![0usize; ranked.len() + 1];
    for &h in &head_of {
        start[rank[h as usize] as usize + 1] += 1;
    }
    for r in 1..start.len() {
        start[r] += start[r - 1];
    }
    let mut next = start.clone();
    let mut order = vec![0u32; items.len()];
    for (i, &h) in head_of.iter().enumerate() {
        let r = rank[h as usize] as usize;
        order[next[r]] = i as u32;
        next[r] += 1;
    }
    drop(head_of);
    let mut buckets: Vec<&mut [u32]> = Vec::with_capacity(ranked.len());
    let mut rest = order.as_mut_slice();
    for r in 0..ranked.len() {
        let (bucket, tail) = rest.split_at_mut(start[r + 1] - start[r]);
        buckets.push(bucket);
        rest = tail;
    }
    buckets.into_par_iter().for_each(|bucket| {
        let mut keyed: Vec<(u128, u32)> = bucket.iter().map(|&i| (digits_key(number(&items[i as usize]).seq), i)).collect();
        keyed.sort_unstable();
        for (slot, (_, i)) in bucket.iter_mut().zip(keyed) {
            *slot = i;
        }
    });
    let ends = start[1..].to_vec();
    (order, ends)
}

/// The decimal digits of `seq`, then an end mark above every digit, as
/// 4-bit symbols from the top of the key (zeros after the mark): ordered as
/// the digit strings followed by `号` are. Shifts, not the multiplications
/// of a base-11 number: it is computed for every case.
fn digits_key(seq: u64) -> u128 {
    let len = seq.checked_ilog10().unwrap_or(0) + 1;
    let mut key: u128 = 0;
    let mut n = seq;
    // the digits from the least significant, each into its place
    for pos in (0..len).rev() {
        key |= u128::from(n % 10) << (4 * (31 - pos));
        n /= 10;
    }
    key | 0xA << (4 * (31 - len))
}

/// Each bucket's last number against the next non-empty bucket's first.
fn seams_in_byte_order<T>(items: &[T], number: &impl Fn(&T) -> CaseNumber, order: &[u32], bucket_ends: &[usize]) -> bool {
    let text = |k: usize| number(&items[order[k] as usize]).to_string();
    bucket_ends.windows(2).all(|w| w[0] == w[1] || w[0] == 0 || text(w[0] - 1) < text(w[0]))
}

#[cfg(test)]
fn in_byte_order<T>(items: &[T], number: &impl Fn(&T) -> CaseNumber, order: &[u32]) -> bool {
    let (mut prev, mut cur) = (String::new(), String::new());
    for (k, &i) in order.iter().enumerate() {
        cur.clear();
        number(&items[i as usize]).push_to(&mut cur);
        if k > 0 && cur < prev {
            return false;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(n: &CaseNumber) -> CaseNumber {
        *n
    }

    #[test]
    fn order_is_byte_order_of_the_canonical_numbers() {
        let mk = |court: &str, ty: &str, seq: u64, year: u16| CaseNumber {
            year,
            court_code: Code::new(court).unwrap(),
            special_code: None,
            type_code: TypeCode::new(ty).unwrap(),
            seq,
        };
        let numbers = vec![
            mk("冀0821", "执", 1, 2023),
            mk("冀08", "执", 1, 2023),
            mk("冀0821", "执", 10, 2023),
            mk("冀0821", "执恢", 2, 2023),
            mk("冀0821", "执", 1, 2022),
            mk("冀0821", "执", 123456789012345, 2023),
            mk("冀0821", "执", 123456789012346, 2023),
        ];
        let got: Vec<String> = by_case_number(&numbers, of).into_iter().map(|i| numbers[i as usize].to_string()).collect();
        let mut want: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn a_seam_out_of_order_is_caught_and_the_fallback_sorts() {
        let mk = |court: &str, seq: u64| CaseNumber {
            year: 2023,
            court_code: Code::new(court).unwrap(),
            special_code: None,
            type_code: TypeCode::new("执").unwrap(),
            seq,
        };
        let numbers = vec![mk("冀0821", 5), mk("冀0822", 1), mk("冀0821", 7)];
        let (order, ends) = head_then_digits_order(&numbers, &of);
        assert_eq!(order, vec![0, 2, 1]);
        assert!(seams_in_byte_order(&numbers, &of, &order, &ends));
        // the buckets swapped: 冀0822 before 冀0821
        assert!(!seams_in_byte_order(&numbers, &of, &[1, 0, 2], &[1, 3]));
    }

    proptest::proptest! {
        #[test]
        fn head_then_digits_agrees_with_sorting_the_formatted_numbers(
            numbers in proptest::collection::vec((2020u16..2024, 0usize..5, proptest::option::of(proptest::sample::select(vec!['知', '破'])),
                                                   0usize..4, proptest::prop_oneof![0u64..200, proptest::num::u64::ANY]), 0..60)
        ) {
            let courts = ["冀", "冀0", "冀08", "冀0821", "冀01"];
            let types = ["执", "执恢", "执保", "执异执"];
            let numbers: Vec<CaseNumber> = numbers.iter().map(|&(year, court, special, ty, seq)| CaseNumber {
                year, court_code: Code::new(courts[court]).unwrap(), special_code: special, type_code: TypeCode::new(types[ty]).unwrap(), seq,
            }).collect();
            // the fast path itself, not saved by the fallback
            let (order, ends) = head_then_digits_order(&numbers, &of);
            proptest::prop_assert!(seams_in_byte_order(&numbers, &of, &order, &ends));
            proptest::prop_assert!(in_byte_order(&numbers, &of, &order));
            let mut seen: Vec<u32> = order.clone();
            seen.sort_unstable();
            proptest::prop_assert_eq!(seen, (0..numbers.len() as u32).collect::<Vec<_>>());
        }

        #[test]
        fn sorting_in_place_is_sorting_the_formatted_numbers(
            numbers in proptest::collection::vec((2019u16..2024, 0usize..7, proptest::option::of(proptest::sample::select(vec!['知', '破', '\u{3400}'])),
                                                   0usize..4, proptest::prop_oneof![0u64..300, 0u64..1_000_000_000]), 0..120)
        ) {
            let courts = ["冀", "冀0", "冀08", "冀0821", "冀01", "京01", "冀0801"];
            let types = ["执", "执恢", "执保", "执异执"];
            let mut numbers: Vec<CaseNumber> = numbers.iter().map(|&(year, court, special, ty, seq)| CaseNumber {
                year, court_code: Code::new(courts[court]).unwrap(), special_code: special, type_code: TypeCode::new(types[ty]).unwrap(), seq,
            }).collect();
            let mut want: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
            want.sort();
            sort_in_place(&mut numbers, of);
            proptest::prop_assert_eq!(numbers.iter().map(|n| n.to_string()).collect::<Vec<_>>(), want);
        }

        #[test]
        fn court_runs_follow_their_block_keys(
            numbers in proptest::collection::vec((2019u16..2024, 0usize..7, proptest::option::of(proptest::sample::select(vec!['知', '破', '\u{3400}'])),
                                                   0usize..4, 0u64..2_000), 0..80)
        ) {
            let courts = ["冀", "冀0", "冀08", "冀0821", "冀01", "京01", "冀0801"];
            let types = ["执", "执恢", "执保", "执异执"];
            let numbers: Vec<CaseNumber> = numbers.iter().map(|&(year, court, special, ty, seq)| CaseNumber {
                year, court_code: Code::new(courts[court]).unwrap(), special_code: special, type_code: TypeCode::new(types[ty]).unwrap(), seq,
            }).collect();
            let mut want: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
            want.sort();
            // runs by (year, block key), each in the numbers' own order
            let mut got = numbers.clone();
            got.sort_by_cached_key(|n| (n.year, court_block_key(n.court_code.as_str()), n.to_string()));
            proptest::prop_assert_eq!(got.iter().map(|n| n.to_string()).collect::<Vec<_>>(), want);
        }

        #[test]
        fn the_digits_key_orders_as_the_digit_strings_with_their_end_mark(a in proptest::num::u64::ANY, b in 0u64..100_000) {
            let text = |n: u64| format!("{n}号");
            proptest::prop_assert_eq!(digits_key(a).cmp(&digits_key(b)), text(a).cmp(&text(b)));
        }
    }
}
