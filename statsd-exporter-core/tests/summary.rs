//! Summary accuracy against exact quantiles, and summary windows.

use std::time::Duration;

use statsd_exporter_core::{
    Event, Observer, PrometheusOptions, PrometheusSink, Quantile, Sink, SummaryOptions, Value,
};

use crate::support::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn observe_all(sink: &PrometheusSink, options: &SummaryOptions, values: &[f64]) {
    let mut recorder = sink.recorder();
    for &v in values {
        recorder
            .record(&Event {
                name: "lat",
                labels: &[],
                value: Value::Observe {
                    value: v,
                    count: 1,
                    observer: Observer::Summary(options),
                },
                help: HELP,
                ttl: None,
            })
            .unwrap();
    }
}

fn quantile_of(sink: &PrometheusSink, q: &str) -> f64 {
    sample(sink, &format!("lat{{quantile=\"{q}\"}}"))
        .unwrap_or_else(|| panic!("no quantile {q}"))
        .parse()
        .unwrap()
}

/// Checks every objective: the reported value's rank range in the sorted data must overlap
/// `[(q - e) n, (q + e) n]`.
fn assert_within_rank_error(values: &[f64], options: &SummaryOptions, label: &str) {
    let sink = PrometheusSink::default();
    observe_all(&sink, options, values);
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    for objective in &options.quantiles {
        let got = quantile_of(&sink, &objective.quantile.to_string());
        let lowest = sorted.partition_point(|v| *v < got) as f64;
        let highest = sorted.partition_point(|v| *v <= got) as f64;
        assert!(highest > lowest, "{label}: {got} is not an observed value");
        let allowed_low = ((objective.quantile - objective.error) * n).floor();
        let allowed_high = ((objective.quantile + objective.error) * n).ceil();
        assert!(
            highest >= allowed_low && lowest <= allowed_high,
            "{label}: q={} got {got} with rank [{lowest}, {highest}], allowed [{allowed_low}, {allowed_high}]",
            objective.quantile
        );
    }
    assert_eq!(
        sample(&sink, "lat_count").unwrap(),
        values.len().to_string()
    );
}

#[test]
fn default_objectives_hold_on_seeded_data() {
    let options = SummaryOptions::default();
    for seed in [1u64, 7, 42, 1234, 99_999] {
        let mut rng = Rng(seed);
        let uniform: Vec<f64> = (0..20_000).map(|_| rng.next() * 1000.0).collect();
        assert_within_rank_error(&uniform, &options, &format!("uniform seed {seed}"));
        let skewed: Vec<f64> = (0..20_000)
            .map(|_| -(1.0 - rng.next()).ln() * 50.0)
            .collect();
        assert_within_rank_error(&skewed, &options, &format!("exponential seed {seed}"));
    }
}

#[test]
fn objectives_hold_on_ordered_and_repeated_data() {
    let options = SummaryOptions::default();
    let ascending: Vec<f64> = (0..30_000).map(f64::from).collect();
    assert_within_rank_error(&ascending, &options, "ascending");
    let descending: Vec<f64> = (0..30_000).rev().map(f64::from).collect();
    assert_within_rank_error(&descending, &options, "descending");
    let steps: Vec<f64> = (0..30_000).map(|i| f64::from(i % 7)).collect();
    assert_within_rank_error(&steps, &options, "repeated");
}

#[test]
fn custom_objectives_and_small_buffers_hold() {
    let options = SummaryOptions {
        quantiles: vec![
            Quantile {
                quantile: 0.1,
                error: 0.02,
            },
            Quantile {
                quantile: 0.75,
                error: 0.01,
            },
            Quantile {
                quantile: 0.999,
                error: 0.0005,
            },
        ],
        buf_cap: 7,
        ..SummaryOptions::default()
    };
    let mut rng = Rng(3);
    let values: Vec<f64> = (0..50_000).map(|_| rng.next().powi(3)).collect();
    assert_within_rank_error(&values, &options, "cubed uniform, buf_cap 7");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn objectives_hold_for_any_data(values in proptest::collection::vec(-1e6f64..1e6, 1..4000)) {
        assert_within_rank_error(&values, &SummaryOptions::default(), "proptest");
    }
}

#[test]
fn small_sets_are_exact() {
    let sink = PrometheusSink::default();
    observe_all(&sink, &SummaryOptions::default(), &[3.0, 1.0, 2.0]);
    assert_eq!(quantile_of(&sink, "0.5"), 2.0);
    assert_eq!(quantile_of(&sink, "0.99"), 3.0);
    assert_eq!(sample(&sink, "lat_sum").as_deref(), Some("6"));
}

#[test]
fn window_slides_but_sum_and_count_do_not() {
    let clock = statsd_exporter_core::ManualClock::new();
    let sink = PrometheusSink::with_clock(
        PrometheusOptions::default(),
        std::sync::Arc::new(clock.clone()),
    );
    let options = SummaryOptions {
        max_age: Duration::from_secs(60),
        age_buckets: 3,
        ..SummaryOptions::default()
    };
    observe_all(&sink, &options, &[100.0; 10]);
    clock.advance(Duration::from_secs(30));
    observe_all(&sink, &options, &[1.0; 10]);
    // Both batches are in the window.
    assert_eq!(quantile_of(&sink, "0.99"), 100.0);
    // 61 s after the first batch it has aged out, the second has not.
    clock.advance(Duration::from_secs(31));
    assert_eq!(quantile_of(&sink, "0.99"), 1.0);
    clock.advance(Duration::from_secs(60));
    assert!(quantile_of(&sink, "0.5").is_nan());
    assert_eq!(sample(&sink, "lat_count").as_deref(), Some("20"));
    assert_eq!(sample(&sink, "lat_sum").as_deref(), Some("1010"));
}

#[test]
fn weighted_observations_are_n_observations() {
    let sink = PrometheusSink::default();
    let options = SummaryOptions::default();
    let mut recorder = sink.recorder();
    for (value, count) in [(1.0, 9), (50.0, 1)] {
        recorder
            .record(&Event {
                name: "lat",
                labels: &[],
                value: Value::Observe {
                    value,
                    count,
                    observer: Observer::Summary(&options),
                },
                help: HELP,
                ttl: None,
            })
            .unwrap();
    }
    assert_eq!(quantile_of(&sink, "0.5"), 1.0);
    assert_eq!(quantile_of(&sink, "0.99"), 50.0);
    assert_eq!(sample(&sink, "lat_count").as_deref(), Some("10"));
}
