//! Decimal digits written by hand, two at a time: every row of the large
//! outputs holds several numbers (case numbers' years and sequences,
//! counts, amounts, dates), and `fmt`'s machinery or a char per digit
//! showed in the profiles at a million rows.

/// "00" to "99", two bytes each.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The last two decimal digits of `v`.
pub fn pair(v: u32) -> [u8; 2] {
    let k = 2 * (v % 100) as usize;
    [PAIRS[k], PAIRS[k + 1]]
}

/// `n` in decimal, zero-padded to at least `min_width` digits (at most
/// 20), as `format!("{n:0min_width$}")` writes it.
pub fn push(out: &mut Vec<u8>, mut n: u64, min_width: usize) {
    let mut buf = [b'0'; 20];
    let mut at = buf.len();
    while n >= 100 {
        at -= 2;
        buf[at..at + 2].copy_from_slice(&pair((n % 100) as u32));
        n /= 100;
    }
    if n >= 10 {
        at -= 2;
        buf[at..at + 2].copy_from_slice(&pair(n as u32));
    } else {
        at -= 1;
        buf[at] = b'0' + n as u8;
    }
    out.extend_from_slice(&buf[at.min(buf.len() - min_width.min(buf.len()))..]);
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn digits_are_what_format_writes(n in proptest::num::u64::ANY, small in 0u64..100_000, width in 0usize..8) {
            for v in [n, small] {
                let mut out = Vec::new();
                super::push(&mut out, v, width);
                proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), format!("{v:0width$}"));
            }
        }
    }
}
