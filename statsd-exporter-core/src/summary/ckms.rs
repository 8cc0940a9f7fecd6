//! The targeted-quantile stream of Cormode, Korn, Muthukrishnan and Srivastava ("CKMS"), as
//! implemented by beorn7/perks `quantile.NewTargeted`, the stream behind client_golang
//! summaries.
//!
//! Differences are in cost, not in results: perks inserts into its sample list one element at
//! a time (shifting the tail on every insert) and compresses by deleting from the middle; here
//! both are single linear passes that compute the same widths and deltas.

/// How many observations a stream buffers before merging them into its sample list (perks'
/// fixed buffer of 500).
const STREAM_BUFFER: usize = 500;

/// A quantile and its allowed rank error, validated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    pub(crate) quantile: f64,
    pub(crate) error: f64,
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
        let f = if t.quantile * n <= r {
            (2.0 * t.error * r) / t.quantile
        } else {
            (2.0 * t.error * (n - r)) / (1.0 - t.quantile)
        };
        if f < m {
            m = f;
        }
    }
    m
}

/// One quantile stream: a buffer of raw observations and the compressed sample list.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    /// Raw (value, weight) observations not merged yet.
    buffer: Vec<(f64, f64)>,
    /// The compressed summary, sorted by value.
    samples: Vec<Sample>,
    /// Total weight merged into `samples`.
    n: f64,
}

impl Stream {
    /// Adds `weight` observations of `value`.
    pub(crate) fn insert(
        &mut self,
        targets: &[Target],
        value: f64,
        weight: f64,
        scratch: &mut Vec<Sample>,
    ) {
        self.buffer.push((value, weight));
        if self.buffer.len() >= STREAM_BUFFER {
            self.flush(targets, scratch);
        }
    }

    /// Total weight observed since the last reset.
    pub(crate) fn count(&self) -> f64 {
        self.n + self.buffer.iter().map(|(_, w)| w).sum::<f64>()
    }

    pub(crate) fn reset(&mut self) {
        self.buffer.clear();
        self.samples.clear();
        self.n = 0.0;
    }

    /// The value at quantile `q`, as perks answers it.
    pub(crate) fn query(&mut self, targets: &[Target], q: f64, scratch: &mut Vec<Sample>) -> f64 {
        if self.samples.is_empty() {
            // Never merged: answer exactly from the buffer (perks' fast path).
            if self.buffer.is_empty() {
                return 0.0;
            }
            sort_by_value(&mut self.buffer);
            let total: f64 = self.buffer.iter().map(|(_, w)| w).sum();
            let wanted = (total * q).ceil().max(1.0);
            let mut seen = 0.0;
            for &(value, weight) in &self.buffer {
                seen += weight;
                if seen >= wanted {
                    return value;
                }
            }
            return self.buffer[self.buffer.len() - 1].0;
        }
        self.flush(targets, scratch);
        let mut t = (q * self.n).ceil();
        t += (invariant(targets, self.n, t) / 2.0).ceil();
        let mut previous = self.samples[0];
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

    fn flush(&mut self, targets: &[Target], scratch: &mut Vec<Sample>) {
        if self.buffer.is_empty() {
            return;
        }
        sort_by_value(&mut self.buffer);
        self.merge(targets, scratch);
        self.buffer.clear();
        self.compress(targets);
    }

    /// perks `stream.merge`, as one pass over the old list and the sorted buffer.
    fn merge(&mut self, targets: &[Target], scratch: &mut Vec<Sample>) {
        scratch.clear();
        scratch.reserve(self.samples.len() + self.buffer.len());
        let mut r = 0.0;
        let mut i = 0;
        for &(value, width) in &self.buffer {
            while i < self.samples.len()
                && self.samples[i].value.partial_cmp(&value) != Some(std::cmp::Ordering::Greater)
            {
                r += self.samples[i].width;
                scratch.push(self.samples[i]);
                i += 1;
            }
            let delta = if i < self.samples.len() {
                (invariant(targets, self.n, r).floor() - 1.0).max(0.0)
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
        // Copy back rather than swap: each vector then only grows to its working size
        // once, and merging stops allocating.
        self.samples.clear();
        self.samples.extend_from_slice(scratch);
    }

    /// perks `stream.compress`: walk from the top, folding a sample into its right neighbour
    /// while the invariant allows. In place: survivors are written from the end backwards
    /// (never over an unread sample), then moved to the front.
    fn compress(&mut self, targets: &[Target]) {
        let len = self.samples.len();
        if len < 2 {
            return;
        }
        let mut x = self.samples[len - 1];
        let mut write = len - 1;
        // The rank just below `x`: the total width of everything before it.
        let mut r = self.n - x.width;
        for i in (0..len - 1).rev() {
            let c = self.samples[i];
            r -= c.width;
            if c.width + x.width + x.delta <= invariant(targets, self.n, r) {
                x.width += c.width;
            } else {
                self.samples[write] = x;
                write -= 1;
                x = c;
            }
        }
        self.samples[write] = x;
        self.samples.drain(..write);
    }

    /// Heap bytes held by this stream.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buffer.capacity() * std::mem::size_of::<(f64, f64)>()
            + self.samples.capacity() * std::mem::size_of::<Sample>()
    }
}

fn sort_by_value(buffer: &mut [(f64, f64)]) {
    // The summary feeds sorted batches, which the unstable sort detects in linear time; a
    // stable sort would allocate a buffer on every flush.
    buffer.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<Target> {
        vec![
            Target {
                quantile: 0.5,
                error: 0.05,
            },
            Target {
                quantile: 0.9,
                error: 0.01,
            },
            Target {
                quantile: 0.99,
                error: 0.001,
            },
        ]
    }

    #[test]
    fn small_streams_are_exact() {
        let t = targets();
        let mut scratch = Vec::new();
        let mut s = Stream::default();
        for v in [5.0, 1.0, 3.0, 2.0, 4.0] {
            s.insert(&t, v, 1.0, &mut scratch);
        }
        assert_eq!(s.query(&t, 0.5, &mut scratch), 3.0);
        assert_eq!(s.query(&t, 0.99, &mut scratch), 5.0);
        assert_eq!(s.count(), 5.0);
    }

    #[test]
    fn empty_stream_answers_zero() {
        let t = targets();
        let mut s = Stream::default();
        assert_eq!(s.query(&t, 0.5, &mut Vec::new()), 0.0);
    }

    #[test]
    fn weights_count_as_repeated_observations() {
        let t = targets();
        let mut scratch = Vec::new();
        let mut s = Stream::default();
        s.insert(&t, 1.0, 9.0, &mut scratch);
        s.insert(&t, 100.0, 1.0, &mut scratch);
        assert_eq!(s.count(), 10.0);
        assert_eq!(s.query(&t, 0.5, &mut scratch), 1.0);
        assert_eq!(s.query(&t, 0.99, &mut scratch), 100.0);
    }
}
