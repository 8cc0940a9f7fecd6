//! Caller-owned storage for lookups: capture ranges and reusable search state.

/// A byte range into the looked-up name; `UNSET` for a regex group that did not take part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    pub(crate) const UNSET: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };

    #[inline]
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The span as one word (for the cache's atomic storage).
    #[inline]
    pub(crate) fn to_bits(self) -> u64 {
        u64::from(self.start) | (u64::from(self.end) << 32)
    }

    /// The inverse of [`Span::to_bits`].
    #[inline]
    pub(crate) fn from_bits(bits: u64) -> Span {
        Span {
            start: bits as u32,
            end: (bits >> 32) as u32,
        }
    }

    #[inline]
    pub(crate) fn get(self, name: &str) -> Option<&str> {
        if self.start == u32::MAX {
            return None;
        }
        name.get(self.start as usize..self.end as usize)
    }
}

/// Inline capacity: Mastodon names have up to ~12 components; rules rarely capture more.
pub(crate) const INLINE: usize = 16;
pub(crate) type SpanVec = Vec<Span>;

/// Reusable storage for [`Mapper::map`](crate::Mapper::map), one per thread.
///
/// It holds the capture ranges of the last lookup (byte ranges into the looked-up name)
/// and the search state of the regex set, so that a lookup allocates
/// nothing once the buffer has warmed up (names with more than 16 components, or rules
/// with more than 16 captures, grow it once).
///
/// ```
/// use statsd_mapper::{Captures, MapperConfig, Mapper, MetricKind};
///
/// let config = MapperConfig::from_yaml_str("mappings:\n- match: a.*\n  name: a_$1\n", None)?;
/// let mapper = Mapper::new(config, 0);
/// let mut captures = Captures::new();
/// let mapping = mapper.map("a.b", MetricKind::Counter, &mut captures);
/// assert_eq!(mapping.capture(1), Some("b"));
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
pub struct Captures {
    /// Captures of the result: index 0 is the whole match.
    pub(crate) result: SpanVec,
    /// Regex-side scratch, tied to one compiled config.
    pub(crate) regex: crate::regex::RegexScratch,
    /// Where the glob search puts the end of each component of the name.
    pub(crate) ends: [u32; crate::trie::MAX_COMPONENTS],
}

impl Captures {
    /// An empty buffer (room for 16 captures: its only allocation in most uses).
    pub fn new() -> Captures {
        Captures {
            result: Vec::with_capacity(INLINE),
            regex: crate::regex::RegexScratch::default(),
            ends: [0; crate::trie::MAX_COMPONENTS],
        }
    }
}

impl Default for Captures {
    fn default() -> Captures {
        Captures::new()
    }
}

impl core::fmt::Debug for Captures {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Captures")
            .field("result", &self.result)
            .finish_non_exhaustive()
    }
}
