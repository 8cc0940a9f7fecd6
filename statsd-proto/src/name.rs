//! Metric names, which SignalFX tags can split in two.

use core::hash::{Hash, Hasher};

/// A metric name with its embedded tags removed, borrowed from the line.
///
/// Usually one contiguous slice. A SignalFX name such as `na[k=v]me` is the text
/// before the brackets followed by the text after them (`name`), which is not
/// contiguous in the datagram: `Name` keeps both halves, so nothing is copied.
/// Equality and hashing treat a `Name` as the concatenation of its halves, and
/// `Name == [u8]` compares against a plain byte string.
///
/// ```
/// use statsd_proto::Parser;
///
/// let m = Parser::new().parse_metric(b"foo.[env=prod]bar:1|c").unwrap();
/// let name = m.name();
/// assert_eq!(name, &b"foo.bar"[..]);
/// assert_eq!(name.parts(), (&b"foo."[..], &b"bar"[..]));
/// assert_eq!(name.as_contiguous(), None);
/// let mut buf = Vec::new();
/// name.write_to(&mut buf);
/// assert_eq!(buf, b"foo.bar");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Name<'a> {
    head: &'a [u8],
    tail: &'a [u8],
}

impl<'a> Name<'a> {
    /// A name from its two halves (`tail` is empty for a contiguous name).
    pub const fn new(head: &'a [u8], tail: &'a [u8]) -> Name<'a> {
        Name { head, tail }
    }

    /// The two halves; the second is empty unless SignalFX tags sat inside the name.
    pub fn parts(&self) -> (&'a [u8], &'a [u8]) {
        (self.head, self.tail)
    }

    /// The name as one slice, when it is contiguous (the common case).
    pub fn as_contiguous(&self) -> Option<&'a [u8]> {
        if self.tail.is_empty() {
            Some(self.head)
        } else if self.head.is_empty() {
            Some(self.tail)
        } else {
            None
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// True for an empty name (possible when a name is nothing but tags, e.g. `[a=b]:1|c`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the name to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.head);
        out.extend_from_slice(self.tail);
    }

    /// The name as a new `Vec` (allocates; prefer [`Name::write_to`] with a reused buffer).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        self.write_to(&mut v);
        v
    }

    /// The bytes of the name, in order.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        self.head.iter().chain(self.tail.iter()).copied()
    }
}

impl PartialEq<[u8]> for Name<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        other.len() == self.len()
            && &other[..self.head.len()] == self.head
            && &other[self.head.len()..] == self.tail
    }
}

impl PartialEq<&[u8]> for Name<'_> {
    fn eq(&self, other: &&[u8]) -> bool {
        *self == **other
    }
}

impl PartialEq for Name<'_> {
    fn eq(&self, other: &Name<'_>) -> bool {
        self.len() == other.len() && self.bytes().eq(other.bytes())
    }
}

impl Eq for Name<'_> {}

impl Hash for Name<'_> {
    /// Hashes the concatenated bytes in 64-byte chunks, so equal names hash equally
    /// whatever their split (as `Eq` requires, for every `Hasher`).
    fn hash<H: Hasher>(&self, state: &mut H) {
        const CHUNK: usize = 64;
        if let Some(whole) = self.as_contiguous() {
            for chunk in whole.chunks(CHUNK) {
                state.write(chunk);
            }
        } else {
            let mut buf = [0u8; CHUNK];
            let mut n = 0;
            for b in self.bytes() {
                buf[n] = b;
                n += 1;
                if n == CHUNK {
                    state.write(&buf);
                    n = 0;
                }
            }
            if n > 0 {
                state.write(&buf[..n]);
            }
        }
        state.write_u8(0xff);
    }
}
