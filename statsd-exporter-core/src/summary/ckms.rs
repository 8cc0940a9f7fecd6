//! The targeted-quantile stream of Cormode, Korn, Muthukrishnan and Srivastava ("CKMS"), as
//! implemented by beorn7/perks `quantile.NewTargeted`, the stream behind client_golang
//! summaries.
//!
//! Differences are in cost, not in results: perks inserts into its sample list one element at
//! a time (shifting the tail on every insert) and compresses by deleting from the middle; here
//! a sorted batch is merged and compressed in one pass from the top that computes the same
//! widths and deltas (tested against a transcription of perks' two passes). Values are kept
//! as integer keys in `f64::total_cmp` order, so sorting and merging compare integers.

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

/// A summary's targets in ascending quantile order, with the slopes of the invariant
/// arranged so that a pass at fixed `n` evaluates it with two multiplications: for a rank
/// `r` at or above the first `k` target ranks, the invariant is
/// `min(above_min[k] · r, below_min[k] · (n - r))`.
#[derive(Debug)]
pub(crate) struct Targets {
    list: Box<[Target]>,
    /// `above_min[k]`: the smallest `above` slope of targets `..k` (unused for `k = 0`).
    above_min: Box<[f64]>,
    /// `below_min[k]`: the smallest `below` slope of targets `k..` (unused for `k = len`).
    below_min: Box<[f64]>,
}

impl Targets {
    /// `list` must be sorted by quantile (ascending).
    pub(crate) fn new(list: Vec<Target>) -> Self {
        let len = list.len();
        let mut above_min = vec![f64::MAX; len + 1];
        let mut below_min = vec![f64::MAX; len + 1];
        for k in 0..len {
            above_min[k + 1] = above_min[k].min(list[k].above);
        }
        for k in (0..len).rev() {
            below_min[k] = below_min[k + 1].min(list[k].below);
        }
        Targets {
            list: list.into_boxed_slice(),
            above_min: above_min.into_boxed_slice(),
            below_min: below_min.into_boxed_slice(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Target> {
        self.list.iter()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// One entry of the compressed list: a value (as its [`order_key`]), how many observations
/// it stands for, and the uncertainty of its rank.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Sample {
    key: u64,
    width: f64,
    delta: f64,
}

/// `f64::total_cmp`'s order as an unsigned integer, so that sorting and merging compare
/// integers: negative values (sign set) are inverted, the others get the sign bit set.
#[inline]
pub(crate) fn order_key(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The inverse of [`order_key`].
#[inline]
pub(crate) fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// The CKMS invariant `f(r, n)`: the most uncertainty allowed around rank `r` of `n`.
#[inline]
fn invariant(targets: &Targets, n: f64, r: f64) -> f64 {
    let mut m = f64::MAX;
    for t in targets.iter() {
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

/// [`invariant`] at a fixed `n` for ranks that only decrease: the number `k` of target
/// ranks at or below `r` only goes down, and the minimum over the targets is the minimum
/// of two products (multiplying by a non-negative rank preserves the order of the slopes,
/// rounding included, so every value is bit-for-bit [`invariant`]'s).
struct Descending<'t> {
    targets: &'t Targets,
    /// Each target's rank `φn`, the product [`invariant`] compares with.
    ranks: [f64; MAX_FIXED_TARGETS],
    /// Targets whose rank is at or below the last `r`.
    k: usize,
    /// `ranks[k - 1]` (−∞ when `k = 0`): below it, `k` goes down.
    threshold: f64,
    /// The slopes of segment `k`: `above_min[k]` and `below_min[k]`.
    above: f64,
    below: f64,
    n: f64,
}

/// Up to this many objectives [`Descending`] keeps their ranks on the stack; summaries
/// with more (rare) evaluate [`invariant`] directly.
const MAX_FIXED_TARGETS: usize = 8;

impl<'t> Descending<'t> {
    fn new(targets: &'t Targets, n: f64) -> Option<Self> {
        let len = targets.list.len();
        // Objectives 0 and 1 have an infinite slope, whose products (NaN at rank 0)
        // `invariant` skips one target at a time: leave them to it.
        let finite = targets
            .iter()
            .all(|t| t.above.is_finite() && t.below.is_finite());
        if len == 0 || len > MAX_FIXED_TARGETS || !finite {
            return None;
        }
        let mut ranks = [0.0; MAX_FIXED_TARGETS];
        for (rank, t) in ranks.iter_mut().zip(targets.iter()) {
            *rank = t.quantile * n;
        }
        let mut d = Descending {
            targets,
            ranks,
            k: len + 1,
            threshold: 0.0,
            above: 0.0,
            below: 0.0,
            n,
        };
        d.lower(n);
        Some(d)
    }

    /// Moves `k` down to the segment of `r`.
    #[cold]
    fn lower(&mut self, r: f64) {
        self.k -= 1;
        while self.k > 0 && self.ranks[self.k - 1] > r {
            self.k -= 1;
        }
        let k = self.k;
        self.threshold = if k == 0 {
            f64::NEG_INFINITY
        } else {
            self.ranks[k - 1]
        };
        // A side without targets gets an infinite slope: its product is +∞, or NaN at
        // rank 0 (above) or n (below), and `at` picks the other side for both. Rank n
        // never comes after the top element, whose width is at least 1 (summaries do not
        // buffer observations of weight 0).
        self.above = if k == 0 {
            f64::INFINITY
        } else {
            self.targets.above_min[k]
        };
        self.below = if k == self.targets.list.len() {
            f64::INFINITY
        } else {
            self.targets.below_min[k]
        };
    }

    #[inline]
    fn at(&mut self, r: f64) -> f64 {
        if r < self.threshold {
            self.lower(r);
        }
        let above = self.above * r;
        let below = self.below * (self.n - r);
        if above < below { above } else { below }
    }
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

/// A batch of observations sorted by key, walked from the top by the merge: (key, weight)
/// pairs, or bare keys of weight 1.
trait Batch: Copy {
    /// The last (key, weight) and the batch without it.
    fn split_last(self) -> Option<((u64, f64), Self)>;
}

impl Batch for &[(u64, f64)] {
    #[inline(always)]
    fn split_last(self) -> Option<((u64, f64), Self)> {
        <[(u64, f64)]>::split_last(self).map(|(&last, head)| (last, head))
    }
}

/// Sorted keys of observations of weight 1.
#[derive(Clone, Copy)]
struct UnitKeys<'k>(&'k [u64]);

impl Batch for UnitKeys<'_> {
    #[inline(always)]
    fn split_last(self) -> Option<((u64, f64), Self)> {
        self.0
            .split_last()
            .map(|(&key, head)| ((key, 1.0), UnitKeys(head)))
    }
}

/// One quantile stream: the compressed sample list.
///
/// perks buffers 500 raw observations per stream before merging them; here the summary's
/// hot buffer is sorted once and merged into every stream directly, so a stream holds only
/// its compressed list (a few hundred tuples at most with the default objectives).
#[derive(Debug, Default)]
pub(crate) struct Stream {
    /// The compressed summary, sorted by key.
    samples: Vec<Sample>,
    /// Total weight merged into `samples`.
    n: f64,
}

impl Stream {
    /// Merges a batch of (key, weight) observations sorted by key, whose weights add up to
    /// `batch_weight`, and compresses the result: perks' `merge` followed by its
    /// `compress`, fused into one pass from the top (see [`Self::merge_compress`]).
    /// `scratch` is a buffer shared by all streams of a shard.
    pub(crate) fn insert_sorted(
        &mut self,
        targets: &Targets,
        batch: &[(u64, f64)],
        batch_weight: f64,
        scratch: &mut Vec<Sample>,
    ) {
        if batch.is_empty() {
            return;
        }
        self.merge_compress(targets, batch, batch_weight, scratch);
    }

    /// [`insert_sorted`](Self::insert_sorted) for a batch of observations of weight 1,
    /// given as their sorted keys: exactly `insert_sorted` of `(key, 1.0)` pairs (the
    /// summary keeps unit observations as bare keys, which sort faster).
    pub(crate) fn insert_sorted_keys(
        &mut self,
        targets: &Targets,
        keys: &[u64],
        scratch: &mut Vec<Sample>,
    ) {
        if keys.is_empty() {
            return;
        }
        // Exact: a sum of ones below 2^53 is the count.
        self.merge_compress(targets, UnitKeys(keys), keys.len() as f64, scratch);
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
    pub(crate) fn query_all(&self, targets: &Targets, quantiles: &[f64], out: &mut Vec<f64>) {
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
            out.push(from_order_key(previous.key));
        }
    }

    /// The value at quantile `q` (0 for an empty stream).
    ///
    /// perks rounds the slack `f(t)/2` up, which makes small streams answer one rank too
    /// high (it hides this with an exact path for streams it has not merged yet); the CKMS
    /// paper's real-valued slack keeps the error bound and answers small streams exactly.
    #[cfg(test)]
    pub(crate) fn query(&self, targets: &Targets, q: f64) -> f64 {
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
                return from_order_key(previous.key);
            }
            previous = current;
        }
        from_order_key(previous.key)
    }

    /// perks `stream.merge` then `stream.compress`, in one pass from the top of the merged
    /// order (old tuples before batch entries of the same key, as perks merges).
    ///
    /// perks' compress walks the merged list from the top, folding an element into the
    /// survivor above it while `width + survivor's width + survivor's delta ≤ f(r, n)`,
    /// with `r` the total width below the element and `n` the new total. Walking the old
    /// list and the batch from their tops gives the same sequence with the same `r` (the
    /// weight not yet walked), so the merged list never needs to be written out. A batch
    /// entry's delta (perks: `f(r, n')` with `r` the weight before it and `n'` the total
    /// before it was inserted, 0 above every old tuple) only matters if the entry
    /// survives, so it is computed only then: most entries are folded at once.
    ///
    /// Survivors are written top first into `scratch`, then copied back in ascending
    /// order. Results are identical to perks' two passes (see the reference test).
    fn merge_compress<B: Batch>(
        &mut self,
        targets: &Targets,
        batch: B,
        batch_weight: f64,
        scratch: &mut Vec<Sample>,
    ) {
        let n = self.n + batch_weight;
        match Descending::new(targets, n) {
            Some(mut fixed) => {
                self.merge_compress_with(targets, batch, n, scratch, |r| fixed.at(r))
            }
            None => {
                self.merge_compress_with(targets, batch, n, scratch, |r| invariant(targets, n, r))
            }
        }
    }

    /// [`Self::merge_compress`] with `allowed(r)` = `invariant(targets, n, r)` for ranks
    /// that only decrease.
    #[inline(always)]
    fn merge_compress_with<B: Batch>(
        &mut self,
        targets: &Targets,
        batch: B,
        n: f64,
        scratch: &mut Vec<Sample>,
        mut allowed: impl FnMut(f64) -> f64,
    ) {
        self.n = n;
        let old = &self.samples;
        scratch.clear();
        let mut i = old.len();
        // The batch entries not yet taken.
        let mut rest = batch;
        // The weight not yet walked: the rank below the element just taken.
        let mut below = n;
        // Weight of the batch entries taken so far (those above the current one).
        let mut batch_above = 0.0;
        // The top element survives as it is (its delta is 0 if it is a batch entry).
        let mut x = match (old.last(), batch.split_last()) {
            (Some(&o), Some(((key, _), _))) if o.key > key => {
                i -= 1;
                o
            }
            (Some(&o), None) => {
                i -= 1;
                o
            }
            (_, Some(((key, width), head))) => {
                rest = head;
                batch_above = width;
                Sample {
                    key,
                    width,
                    delta: 0.0,
                }
            }
            (None, None) => return,
        };
        below -= x.width;
        loop {
            // Batch entries down to the next old tuple (old tuples come first on ties).
            let stop = if i > 0 { old[i - 1].key } else { 0 };
            while let Some(((key, width), head)) = rest.split_last() {
                if key < stop {
                    break;
                }
                rest = head;
                below -= width;
                batch_above += width;
                if width + x.width + x.delta <= allowed(below) {
                    x.width += width;
                    continue;
                }
                let delta = if i < old.len() {
                    (floor(invariant(targets, n - batch_above, below)) - 1.0).max(0.0)
                } else {
                    0.0
                };
                scratch.push(x);
                x = Sample { key, width, delta };
            }
            if i == 0 {
                break;
            }
            i -= 1;
            let c = old[i];
            below -= c.width;
            if c.width + x.width + x.delta <= allowed(below) {
                x.width += c.width;
            } else {
                scratch.push(x);
                x = c;
            }
        }
        scratch.push(x);
        self.samples.clear();
        self.samples.extend(scratch.iter().rev());
    }

    /// Heap bytes held by this stream.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.samples.capacity() * std::mem::size_of::<Sample>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Targets {
        Targets::new(vec![
            Target::new(0.5, 0.05),
            Target::new(0.9, 0.01),
            Target::new(0.99, 0.001),
        ])
    }

    /// (key, weight) pairs sorted by key, and their total weight.
    fn sorted(values: &[(f64, f64)]) -> (Vec<(u64, f64)>, f64) {
        let mut v: Vec<(u64, f64)> = values.iter().map(|&(x, w)| (order_key(x), w)).collect();
        v.sort_by_key(|e| e.0);
        let weight = v.iter().map(|e| e.1).sum();
        (v, weight)
    }

    fn insert(s: &mut Stream, t: &Targets, values: &[(f64, f64)], scratch: &mut Vec<Sample>) {
        let (batch, weight) = sorted(values);
        s.insert_sorted(t, &batch, weight, scratch);
    }

    /// perks' two passes as they were written before the fused pass: merge the batch into
    /// the list (one element at a time, with its delta), then compress from the top.
    fn reference_insert(s: &mut Stream, targets: &Targets, batch: &[(u64, f64)]) {
        let mut merged = Vec::new();
        let mut r = 0.0;
        let mut i = 0;
        for &(key, width) in batch {
            while i < s.samples.len() && s.samples[i].key <= key {
                r += s.samples[i].width;
                merged.push(s.samples[i]);
                i += 1;
            }
            let delta = if i < s.samples.len() {
                (invariant(targets, s.n, r).floor() - 1.0).max(0.0)
            } else {
                0.0
            };
            merged.push(Sample { key, width, delta });
            s.n += width;
            r += width;
        }
        merged.extend_from_slice(&s.samples[i..]);
        s.samples.clear();
        let Some((&last, rest)) = merged.split_last() else {
            return;
        };
        let mut x = last;
        let mut r = s.n - x.width;
        for &c in rest.iter().rev() {
            r -= c.width;
            if c.width + x.width + x.delta <= invariant(targets, s.n, r) {
                x.width += c.width;
            } else {
                s.samples.push(x);
                x = c;
            }
        }
        s.samples.push(x);
        s.samples.reverse();
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn fused_pass_equals_perks_merge_then_compress() {
        let many: Vec<Target> = (1..=10)
            .map(|i| Target::new(f64::from(i) / 11.0, 0.01))
            .collect();
        let target_sets = [
            targets(),
            Targets::new(vec![Target::new(0.5, 0.05)]),
            Targets::new(vec![Target::new(0.0, 0.01), Target::new(1.0, 0.01)]),
            // More objectives than the fixed-rank fast path keeps.
            Targets::new(many),
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for (set, t) in target_sets.iter().enumerate() {
            let (mut fast, mut slow) = (Stream::default(), Stream::default());
            let mut scratch = Vec::new();
            for round in 0..80 {
                let len = 1 + rng.next() % 700;
                // Few distinct values (ties with old tuples), drifting ranges, weights.
                let values: Vec<(f64, f64)> = (0..len)
                    .map(|_| {
                        let spread = if round % 3 == 0 { 7 } else { 100_000 };
                        let v = (rng.next() % spread) as f64 * 0.5 + f64::from(round % 5) * 1e3;
                        let v = if rng.next().is_multiple_of(9) { -v } else { v };
                        (v, 1.0 + (rng.next() % 4 / 3 * (rng.next() % 50)) as f64)
                    })
                    .collect();
                let (batch, weight) = sorted(&values);
                fast.insert_sorted(t, &batch, weight, &mut scratch);
                reference_insert(&mut slow, t, &batch);
                assert_eq!(fast.n, slow.n, "set {set} round {round}");
                assert_eq!(fast.samples, slow.samples, "set {set} round {round}");
            }
        }
    }

    #[test]
    fn unit_keys_merge_like_pairs_of_weight_one() {
        let t = targets();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut keys_stream, mut pairs_stream) = (Stream::default(), Stream::default());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for round in 0..60 {
            let len = 1 + rng.next() % 600;
            let spread = if round % 4 == 0 { 5 } else { 50_000 };
            let mut keys: Vec<u64> = (0..len)
                .map(|_| order_key((rng.next() % spread) as f64 * 0.25 - 100.0))
                .collect();
            keys.sort_unstable();
            let pairs: Vec<(u64, f64)> = keys.iter().map(|&k| (k, 1.0)).collect();
            keys_stream.insert_sorted_keys(&t, &keys, &mut a);
            pairs_stream.insert_sorted(&t, &pairs, len as f64, &mut b);
            assert_eq!(keys_stream.n, pairs_stream.n, "round {round}");
            assert_eq!(keys_stream.samples, pairs_stream.samples, "round {round}");
        }
        keys_stream.insert_sorted_keys(&t, &[], &mut a);
        assert_eq!(keys_stream.samples, pairs_stream.samples);
    }

    #[test]
    fn order_key_sorts_like_total_cmp_and_round_trips() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1e300,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for &a in &values {
            assert_eq!(from_order_key(order_key(a)).to_bits(), a.to_bits());
            for &b in &values {
                assert_eq!(order_key(a).cmp(&order_key(b)), a.total_cmp(&b), "{a} {b}");
            }
        }
    }

    #[test]
    fn small_streams_are_exact() {
        let t = targets();
        let mut scratch = Vec::new();
        let mut s = Stream::default();
        let values = [(5.0, 1.0), (1.0, 1.0), (3.0, 1.0), (2.0, 1.0), (4.0, 1.0)];
        insert(&mut s, &t, &values, &mut scratch);
        assert_eq!(s.query(&t, 0.5), 3.0);
        assert_eq!(s.query(&t, 0.99), 5.0);
        assert_eq!(s.count(), 5.0);
    }

    #[test]
    fn one_walk_answers_like_one_walk_per_quantile() {
        let t = targets();
        let mut scratch = Vec::new();
        let mut s = Stream::default();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
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
                    let r = rng.next();
                    ((r % 10_000) as f64 * 0.01, 1.0 + (r % 3) as f64)
                })
                .collect();
            insert(&mut s, &t, &batch, &mut scratch);
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
        insert(&mut s, &t, &[(1.0, 9.0)], &mut scratch);
        insert(&mut s, &t, &[(100.0, 1.0)], &mut scratch);
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
            insert(&mut s, &t, &batch, &mut scratch);
        }
        assert_eq!(s.count(), 100_000.0);
        assert!(s.samples.len() < 2_000, "{} tuples", s.samples.len());
    }
}
