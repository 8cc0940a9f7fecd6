//! One snapshot of the store as remote-write requests: every sample becomes a one-sample
//! `TimeSeries` with the external labels added, in batches of at most `batch_size` series,
//! each encoded and compressed as it fills (one batch of raw bytes in memory at a time).

use smallvec::SmallVec;

use crate::PrometheusSink;
use crate::expose::SampleRef;
use crate::remote_write::compress::compress;
use crate::remote_write::proto::put_series;

/// A compressed `WriteRequest`, ready to POST.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) body: Vec<u8>,
    pub(crate) samples: u64,
}

/// Reusable encoding state.
pub(crate) struct Batcher {
    batch_size: usize,
    /// Sorted by name, unique, valid names.
    external: Vec<(String, String)>,
    raw: Vec<u8>,
    samples: u64,
    name: String,
    encoder: snap::raw::Encoder,
}

impl Batcher {
    pub(crate) fn new(batch_size: usize, external: Vec<(String, String)>) -> Batcher {
        Batcher {
            batch_size: batch_size.max(1),
            external,
            raw: Vec::new(),
            samples: 0,
            name: String::new(),
            encoder: snap::raw::Encoder::new(),
        }
    }

    /// Encodes every sample of `sink` stamped `timestamp_ms`, calling `emit` with each
    /// full batch and the last partial one.
    pub(crate) fn snapshot(
        &mut self,
        sink: &PrometheusSink,
        timestamp_ms: i64,
        mut emit: impl FnMut(Batch),
    ) {
        sink.visit_samples(|sample| {
            self.add(sample, timestamp_ms);
            if self.samples as usize >= self.batch_size {
                emit(self.take());
            }
        });
        if self.samples > 0 {
            emit(self.take());
        }
    }

    fn add(&mut self, sample: &SampleRef<'_>, timestamp_ms: i64) {
        self.name.clear();
        self.name.push_str(sample.name());
        self.name.push_str(sample.suffix());
        let mut labels: SmallVec<[(&str, &str); 16]> = SmallVec::new();
        labels.push(("__name__", self.name.as_str()));
        labels.extend(sample.labels());
        labels.extend(sample.extra_label());
        // The series' own label wins over an external label of the same name, as in
        // Prometheus' remote write.
        let own = labels.len();
        for (name, value) in &self.external {
            if !labels[..own].iter().any(|(n, _)| n == name) {
                labels.push((name, value));
            }
        }
        labels.sort_unstable_by(|a, b| a.0.cmp(b.0));
        put_series(
            &mut self.raw,
            labels.iter().copied(),
            sample.value(),
            timestamp_ms,
        );
        self.samples += 1;
    }

    fn take(&mut self) -> Batch {
        let mut body = Vec::new();
        compress(&mut self.encoder, &self.raw, &mut body);
        // The compressor needed room for the worst case; a queued batch keeps only its
        // compressed bytes, which is what bounds the queue's memory.
        body.shrink_to_fit();
        self.raw.clear();
        let samples = std::mem::take(&mut self.samples);
        Batch { body, samples }
    }
}
