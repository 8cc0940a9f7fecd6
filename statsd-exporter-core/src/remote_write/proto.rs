//! The remote-write 1.0 protobuf messages (`prometheus/prompb`), encoded by hand: the
//! four messages this sink sends are small enough that a code generator would only add a
//! build step and a dependency.
//!
//! ```text
//! message WriteRequest { repeated TimeSeries timeseries = 1; }   // metadata = 3 not sent
//! message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//! message Label        { string name = 1; string value = 2; }
//! message Sample       { double value = 1; int64 timestamp = 2; }  // ms since the Unix epoch
//! ```

/// Field 1 of WriteRequest (`timeseries`), of TimeSeries (`labels`) and of Label (`name`):
/// length-delimited.
const FIELD1_LEN: u8 = 1 << 3 | 2;
/// Field 2 of TimeSeries (`samples`) and of Label (`value`): length-delimited.
const FIELD2_LEN: u8 = 2 << 3 | 2;
/// Field 1 of Sample (`value`): 64-bit fixed (a little-endian double).
const FIELD1_I64: u8 = 1 << 3 | 1;
/// Field 2 of Sample (`timestamp`): varint.
const FIELD2_VARINT: u8 = 2 << 3;

/// Bytes of `v` as a base-128 varint.
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes of a length-delimited field holding `len` bytes (tag, length, content).
fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

fn put_string(out: &mut Vec<u8>, tag: u8, text: &str) {
    out.push(tag);
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Appends one `timeseries` entry of a WriteRequest: `labels` (already sorted by name, as
/// receivers require) and one sample. A WriteRequest is just these entries back to back.
pub(crate) fn put_series<'a>(
    out: &mut Vec<u8>,
    labels: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    value: f64,
    timestamp_ms: i64,
) {
    let label_len = |(name, value): (&str, &str)| field_len(name.len()) + field_len(value.len());
    // Negative timestamps (before 1970) are ten-byte varints of their two's complement.
    let timestamp = timestamp_ms as u64;
    let sample_len = 1 + 8 + 1 + varint_len(timestamp);
    let series_len = labels
        .clone()
        .map(|l| field_len(label_len(l)))
        .sum::<usize>()
        + field_len(sample_len);
    out.reserve(field_len(series_len));
    out.push(FIELD1_LEN);
    put_varint(out, series_len as u64);
    for label in labels {
        out.push(FIELD1_LEN);
        put_varint(out, label_len(label) as u64);
        put_string(out, FIELD1_LEN, label.0);
        put_string(out, FIELD2_LEN, label.1);
    }
    out.push(FIELD2_LEN);
    put_varint(out, sample_len as u64);
    out.push(FIELD1_I64);
    out.extend_from_slice(&value.to_le_bytes());
    out.push(FIELD2_VARINT);
    put_varint(out, timestamp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        for (v, bytes) in [
            (0u64, &[0x00][..]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (1_700_000_000_000, &[0x80, 0xd0, 0x95, 0xff, 0xbc, 0x31]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, bytes, "{v}");
            assert_eq!(varint_len(v), bytes.len(), "{v}");
        }
    }

    /// Golden bytes, decoded by hand field by field.
    #[test]
    fn one_series_golden_bytes() {
        let mut out = Vec::new();
        put_series(
            &mut out,
            [("__name__", "up"), ("job", "x")].into_iter(),
            1.5,
            1000,
        );
        #[rustfmt::skip]
        let want: &[u8] = &[
            0x0a, 40,                         // WriteRequest.timeseries (field 1, LEN), 40 bytes
              0x0a, 14,                       //   TimeSeries.labels (field 1, LEN), 14 bytes
                0x0a, 8, b'_', b'_', b'n', b'a', b'm', b'e', b'_', b'_', // Label.name
                0x12, 2, b'u', b'p',          //     Label.value
              0x0a, 8,                        //   TimeSeries.labels, 8 bytes
                0x0a, 3, b'j', b'o', b'b',    //     Label.name
                0x12, 1, b'x',                //     Label.value
              0x12, 12,                       //   TimeSeries.samples (field 2, LEN), 12 bytes
                0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, // Sample.value (field 1, I64): 1.5 LE
                0x10, 0xe8, 0x07,             //     Sample.timestamp (field 2, VARINT): 1000
        ];
        assert_eq!(out, want);
    }

    #[test]
    fn long_values_get_multibyte_lengths() {
        let long = "v".repeat(200);
        let mut out = Vec::new();
        put_series(&mut out, [("k", long.as_str())].into_iter(), 0.0, 0);
        // label: 0x0a 1 'k' (3) + 0x12 0xc8 0x01 + 200 (203) = 206 bytes, framed 0x0a 0xce 0x01
        // sample: 0x09 + 8 + 0x10 0x00 = 11, framed 0x12 11; series = 209 + 13 = 222.
        assert_eq!(&out[..3], &[0x0a, 0xde, 0x01]);
        assert_eq!(&out[3..6], &[0x0a, 0xce, 0x01]);
        assert_eq!(out.len(), 3 + 222);
        assert_eq!(&out[out.len() - 2..], &[0x10, 0x00]);
    }
}
