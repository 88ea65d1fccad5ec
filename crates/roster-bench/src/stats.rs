//! Latency percentiles.

use std::time::Duration;

/// Percentiles of a set of samples.
pub struct Summary {
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// 99.9th percentile.
    pub p999: Duration,
}

/// Summarises samples (sorted in place).
pub fn summarise(samples: &mut [Duration]) -> Summary {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Summary {
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}
