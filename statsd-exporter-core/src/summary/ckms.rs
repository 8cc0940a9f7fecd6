//! The targeted-quantile stream of Cormode, Korn, Muthukrishnan and Srivastava ("CKMS"), as
//! implemented by beorn7/perks `quantile.NewTargeted`, the stream behind client_golang
//! summaries.
//!
//! Differences are in cost, not in results: perks inserts into its sample list one element at
//! a time (shifting the tail on every insert) and compresses by deleting from the middle; here
//! both are single linear passes that compute the same widths and deltas.

/// A quantile and its allowed rank error, validated, with the invariant's two slopes
/// precomputed (the invariant runs for every tuple of every merge and compression).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    quantile: f64,
    /// `2ε/φ`: the slope above the target rank.
    above: f64,
    /// `2ε/(1-φ)`: the slope below it.
    below: f64,
}

impl Target {
    pub(crate) fn new(quantile: f64, error: f64) -> Self {
        Target {
            quantile,
            above: 2.0 * error / quantile,
            below: 2.0 * error / (1.0 - quantile),
        }
    }

    pub(crate) fn quantile(&self) -> f64 {
        self.quantile
    }
}

/// One entry of the compressed list: a value, how many observations it stands for, and
/// the uncertainty of its rank.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    value: f64,
    width: f64,
    delta: f64,
}

/// The CKMS invariant `f(r, n)`: the most uncertainty allowed around rank `r` of `n`.
#[inline]
fn invariant(targets: &[Target], n: f64, r: f64) -> f64 {
    let mut m = f64::MAX;
    for t in targets {
        // perks: `2εr/φ` at or above the target rank, `2ε(n-r)/(1-φ)` below it.
        let f = if t.quantile * n <= r {
            t.above * r
        } else {
            t.below * (n - r)
        };
        if f < m {
            m = f;
        }
    }
    m
}

/// [`invariant`] with each target's `φn` precomputed in `ranks`.
#[inline]
fn invariant_at(targets: &[Target], ranks: &[f64], n: f64, r: f64) -> f64 {
    let mut m = f64::MAX;
    for (t, &rank) in targets.iter().zip(ranks) {
        let f = if rank <= r {
            t.above * r
        } else {
            t.below * (n - r)
        };
        if f < m {
            m = f;
        }
    }
    m
}

/// `x.floor()` for the invariant's values (never negative): baseline x86-64 has no
/// rounding instruction, so `f64::floor` is a libm call that cost more than the rest of the
/// merge step. Below 2^52 truncation is the floor; at or above it every float is whole.
/// Negative input (impossible here) truncates towards zero, which the caller's `max(0)`
/// makes harmless.
#[inline]
fn floor(x: f64) -> f64 {
    if x < 4_503_599_627_370_496.0 {
        (x as u64) as f64
    } else {
        x
    }
}

/// One quantile stream: the compressed sample list.
///
/// perks buffers 500 raw observations per stream before merging them; here the summary's
/// hot buffer is sorted once and merged into every stream directly, so a stream holds only
/// its compressed list (a few hundred tuples at most with the default objectives).
#[derive(Debug, Default)]
pub(crate) struct Stream {
    /// The compressed summary, sorted by value.
    samples: Vec<Sample>,
    /// Total weight merged into `samples`.
    n: f64,
}

impl Stream {
    /// Merges a batch of (value, weight) observations sorted by value. `scratch` is a
    /// buffer shared by all streams of a shard.
    pub(crate) fn insert_sorted(
        &mut self,
        targets: &[Target],
        batch: &[(f64, f64)],
        scratch: &mut Vec<Sample>,
    ) {
        if batch.is_empty() {
            return;
        }
        self.merge(targets, batch, scratch);
        self.compress_from(targets, scratch);
    }

    /// Total weight observed since the last reset.
    pub(crate) fn count(&self) -> f64 {
        self.n
    }

    pub(crate) fn reset(&mut self) {
        self.samples.clear();
        self.n = 0.0;
    }

    /// [`query`](Self::query) for each of `quantiles`, pushed to `out` in that order, in one
    /// walk over the list while their thresholds ascend (always, unless two quantiles are
    /// closer than their error allows): each answer's walk resumes where the previous one
    /// stopped. That is exact: a tuple the walk passed for a threshold is passed for any
    /// larger one, and the rank sum is accumulated in the same order. A smaller threshold
    /// starts again from the front.
    pub(crate) fn query_all(&self, targets: &[Target], quantiles: &[f64], out: &mut Vec<f64>) {
        let Some(&first) = self.samples.first() else {
            out.extend(quantiles.iter().map(|_| 0.0));
            return;
        };
        let (mut at, mut r, mut previous) = (1, 0.0, first);
        let mut last = f64::NEG_INFINITY;
        for &q in quantiles {
            let rank = (q * self.n).ceil();
            let t = rank + invariant(targets, self.n, rank) / 2.0;
            if t < last {
                (at, r, previous) = (1, 0.0, first);
            }
            last = t;
            while let Some(&current) = self.samples.get(at) {
                let passed = r + previous.width;
                if passed + current.width + current.delta > t {
                    break;
                }
                (r, previous) = (passed, current);
                at += 1;
            }
            out.push(previous.value);
        }
    }

    /// The value at quantile `q` (0 for an empty stream).
    ///
    /// perks rounds the slack `f(t)/2` up, which makes small streams answer one rank too
    /// high (it hides this with an exact path for streams it has not merged yet); the CKMS
    /// paper's real-valued slack keeps the error bound and answers small streams exactly.
    #[cfg(test)]
    pub(crate) fn query(&self, targets: &[Target], q: f64) -> f64 {
        let Some(first) = self.samples.first() else {
            return 0.0;
        };
        let rank = (q * self.n).ceil();
        let t = rank + invariant(targets, self.n, rank) / 2.0;
        let mut previous = *first;
        let mut r = 0.0;
        for &current in &self.samples[1..] {
            r += previous.width;
            if r + current.width + current.delta > t {
                return previous.value;
            }
            previous = current;
        }
        previous.value
    }

    /// perks `stream.merge`, as one pass over the old list and the sorted batch, into
    /// `scratch`.
    fn merge(&mut self, targets: &[Target], batch: &[(f64, f64)], scratch: &mut Vec<Sample>) {
        scratch.clear();
        scratch.reserve(self.samples.len() + batch.len());
        let mut r = 0.0;
        let mut i = 0;
        for &(value, width) in batch {
            while i < self.samples.len()
                && self.samples[i].value.partial_cmp(&value) != Some(std::cmp::Ordering::Greater)
            {
                r += self.samples[i].width;
                scratch.push(self.samples[i]);
                i += 1;
            }
            let delta = if i < self.samples.len() {
                (floor(invariant(targets, self.n, r)) - 1.0).max(0.0)
            } else {
                0.0
            };
            scratch.push(Sample {
                value,
                width,
                delta,
            });
            self.n += width;
            r += width;
        }
        scratch.extend_from_slice(&self.samples[i..]);
    }

    /// perks `stream.compress` over the merged list in `scratch`: walk from the top, folding
    /// a sample into its right neighbour while the invariant allows. Survivors go to
    /// `samples` (top first, then reversed), so `samples` only ever holds the compressed
    /// list and stays small.
    fn compress_from(&mut self, targets: &[Target], merged: &[Sample]) {
        self.samples.clear();
        let Some((&last, rest)) = merged.split_last() else {
            return;
        };
        let mut x = last;
        // `n` is fixed during the pass: each target's rank `φn` is computed once (the same
        // product `invariant` forms, so every decision is bit-for-bit the same).
        let n = self.n;
        let mut ranks = [0.0f64; 8];
        let fixed = targets.len() <= ranks.len();
        if fixed {
            for (rank, t) in ranks.iter_mut().zip(targets) {
                *rank = t.quantile * n;
            }
        }
        // The rank just below `x`: the total width of everything before it.
        let mut r = n - x.width;
        for &c in rest.iter().rev() {
            r -= c.width;
            let allowed = if fixed {
                invariant_at(targets, &ranks, n, r)
            } else {
                invariant(targets, n, r)
            };
            if c.width + x.width + x.delta <= allowed {
                x.width += c.width;
            } else {
                self.samples.push(x);
                x = c;
            }
        }
        self.samples.push(x);
        self.samples.reverse();
    }

    /// Heap bytes held by this stream.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.samples.capacity() * std::mem::size_of::<Sample>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<Target> {
        vec![
            Target::new(0.5, 0.05),
            Target::new(0.9, 0.01),
            Target::new(0.99, 0.001),
        ]
    }

    fn sorted(values: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    }

    #[test]
    fn small_streams_are_exact() {
        let t = targets();
        let mut scratch = Vec::new();
        let mut s = Stream::default();
        let batch = sorted(&[(5.0, 1.0), (1.0, 1.0), (3.0, 1.0), (2.0, 1.0), (4.0, 1.0)]);
        s.insert_sorted(&t, &batch, &mut scratch);
        assert_eq!(s.query(&t, 0.5), 3.0);
        assert_eq!(s.query(&t, 0.99), 5.0);
        assert_eq!(s.count(), 5.0);
    }

    #[test]
    fn one_walk_answers_like_one_walk_per_quantile() {
        let t = targets();
        let mut scratch = Vec::new();
        let mut s = Stream::default();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let quantile_lists: [&[f64]; 5] = [
            &[0.5, 0.9, 0.99],
            &[0.99, 0.5, 0.9],
            &[0.0, 0.5, 0.5000001, 0.9, 1.0],
            &[0.9, 0.1, 0.9, 0.0],
            &[],
        ];
        for round in 0..60 {
            let batch: Vec<(f64, f64)> = (0..97)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((state % 10_000) as f64 * 0.01, 1.0 + (state % 3) as f64)
                })
                .collect();
            s.insert_sorted(&t, &sorted(&batch), &mut scratch);
            for quantiles in quantile_lists {
                let mut all = Vec::new();
                s.query_all(&t, quantiles, &mut all);
                let one: Vec<f64> = quantiles.iter().map(|&q| s.query(&t, q)).collect();
                assert_eq!(all, one, "round {round}, {quantiles:?}");
            }
        }
        let mut empty = Vec::new();
        Stream::default().query_all(&t, &[0.5, 0.9], &mut empty);
        assert_eq!(empty, [0.0, 0.0]);
    }

    #[test]
    fn floor_matches_f64_floor() {
        for x in [
            0.0,
            0.25,
            1.0,
            1.999,
            2.5,
            1e15 + 0.5,
            4.6e15,
            1e300,
            f64::MAX,
        ] {
            assert_eq!(floor(x), x.floor(), "{x}");
        }
    }

    #[test]
    fn empty_stream_answers_zero() {
        assert_eq!(Stream::default().query(&targets(), 0.5), 0.0);
    }

    #[test]
    fn weights_count_as_repeated_observations() {
        let t = targets();
        let mut scratch = Vec::new();
        let mut s = Stream::default();
        s.insert_sorted(&t, &[(1.0, 9.0)], &mut scratch);
        s.insert_sorted(&t, &[(100.0, 1.0)], &mut scratch);
        assert_eq!(s.count(), 10.0);
        assert_eq!(s.query(&t, 0.5), 1.0);
        assert_eq!(s.query(&t, 0.99), 100.0);
    }

    #[test]
    fn compression_keeps_the_list_small() {
        let t = targets();
        let mut scratch = Vec::new();
        let mut s = Stream::default();
        for round in 0..200 {
            let batch: Vec<(f64, f64)> = (0..500)
                .map(|i| (f64::from(i * 200 + round), 1.0))
                .collect();
            s.insert_sorted(&t, &batch, &mut scratch);
        }
        assert_eq!(s.count(), 100_000.0);
        assert!(s.samples.len() < 2_000, "{} tuples", s.samples.len());
    }
}
