//! Percentiles of a sample, nearest-rank, as benchmark reports usually give them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub mean: f64,
    pub max: f64,
}

/// `None` for an empty sample.
pub fn summarize(sample: &[f64]) -> Option<Summary> {
    if sample.is_empty() {
        return None;
    }
    let mut sorted = sample.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank =
        |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    Some(Summary {
        n: sorted.len(),
        p50: round(rank(0.50)),
        p90: round(rank(0.90)),
        p99: round(rank(0.99)),
        mean: round(sorted.iter().sum::<f64>() / sorted.len() as f64),
        max: round(sorted[sorted.len() - 1]),
    })
}

/// Three decimals: microseconds of milliseconds, enough for any figure here.
pub fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sample: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = summarize(&sample).unwrap();
        assert_eq!(
            (s.n, s.p50, s.p90, s.p99, s.max),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(summarize(&[7.0]).unwrap().p99, 7.0);
        assert!(summarize(&[]).is_none());
    }
}
