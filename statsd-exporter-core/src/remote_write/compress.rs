//! Snappy block compression, which remote write requires (`Content-Encoding: snappy`: the
//! raw block format, not the framed stream format).

/// Compresses `raw` into `out` (cleared first) as one Snappy block.
pub(crate) fn compress(encoder: &mut snap::raw::Encoder, raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.resize(snap::raw::max_compress_len(raw.len()), 0);
    // Only fails for inputs over 2^32 - 1 bytes; a batch is far below that (its size is
    // bounded by the batch size), and an empty body would be sent rather than a panic.
    let len = encoder.compress(raw, out).unwrap_or(0);
    out.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut encoder = snap::raw::Encoder::new();
        for raw in [
            Vec::new(),
            b"a".to_vec(),
            b"__name__ up job x ".repeat(1000),
            (0..70_000u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ] {
            let mut out = Vec::new();
            compress(&mut encoder, &raw, &mut out);
            let back = snap::raw::Decoder::new().decompress_vec(&out).unwrap();
            assert_eq!(back, raw);
        }
        // Repetitive label text compresses well: that is why the protocol asks for it.
        let raw = b"__name__ up job x ".repeat(1000);
        let mut out = Vec::new();
        compress(&mut encoder, &raw, &mut out);
        assert!(out.len() * 10 < raw.len(), "{} of {}", out.len(), raw.len());
    }
}
