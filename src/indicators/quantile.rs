//! Order statistics for the closure-time columns: Hyndman–Fan type 7, the
//! definition numpy and R use by default, so analysts can check our figures.

/// `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])` with `h = (n − 1)p` over sorted `x`.
pub fn type7(sorted: &[i64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor();
    let i = lo as usize;
    let base = sorted[i] as f64;
    match sorted.get(i + 1) {
        Some(&next) => Some(base + (h - lo) * (next as f64 - base)),
        None => Some(base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_default_percentiles() {
        // numpy.percentile([1, 2, 3, 4], [50, 90]) == [2.5, 3.7]
        let x = [1, 2, 3, 4];
        assert_eq!(type7(&x, 0.5), Some(2.5));
        assert!((type7(&x, 0.9).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(type7(&[7], 0.9), Some(7.0));
        assert_eq!(type7(&[], 0.5), None);
        // numpy.percentile([10, 20, 40], 90) == 36.0
        assert!((type7(&[10, 20, 40], 0.9).unwrap() - 36.0).abs() < 1e-12);
    }
}
