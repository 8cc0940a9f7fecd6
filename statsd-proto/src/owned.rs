//! Items that outlive the receive buffer, on `bytes::Bytes`.

use bytes::Bytes;

use crate::error::Error;
use crate::options::Parser;
use crate::packet::Item;

/// A parsed line that owns its bytes: a reference-counted [`Bytes`] slice of the
/// packet (no copy when the packet is itself a `Bytes`) plus the parser options.
///
/// [`OwnedItem::get`] re-parses the line on each call (tens of nanoseconds for a
/// typical line) instead of storing offsets, so the owned form stays exactly as
/// correct as the borrowed one. Keep the `Item` from `get` for repeated access.
///
/// ```
/// use bytes::Bytes;
/// use statsd_proto::{OwnedItem, Parser};
///
/// let packet = Bytes::from_static(b"a:1|c\nb:2|g\n");
/// let parser = Parser::new();
/// let kept: Vec<OwnedItem> = parser
///     .packet(&packet)
///     .filter_map(Result::ok)
///     .map(|item| OwnedItem::from_item(&packet, &item, parser))
///     .collect();
/// drop(packet);
/// let item = kept[1].get().unwrap();
/// assert_eq!(item.line(), b"b:2|g");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OwnedItem {
    line: Bytes,
    parser: Parser,
}

impl OwnedItem {
    /// Parses `line` (one line, no `\n`) and keeps it.
    ///
    /// # Errors
    /// When the line does not parse; see [`Parser::parse_line`].
    pub fn parse(line: Bytes, parser: Parser) -> Result<OwnedItem, Error> {
        parser.parse_line(&line)?;
        Ok(OwnedItem { line, parser })
    }

    /// Keeps an item parsed from `packet` by `parser`. When the item's line lies
    /// inside `packet` this shares the packet's storage; otherwise it copies the line.
    pub fn from_item(packet: &Bytes, item: &Item<'_>, parser: Parser) -> OwnedItem {
        let line = item.line();
        let start = packet.as_ptr() as usize;
        let at = line.as_ptr() as usize;
        // `get` re-parses with `parse_line`, which removes one trailing `\r`: a line whose
        // content ends in `\r` keeps the `\r` of its line end (which follows it in the
        // packet) or gets one.
        let keep_cr = line.last() == Some(&b'\r');
        let inside = at >= start && at + line.len() <= start + packet.len();
        let end = if inside { at - start + line.len() } else { 0 };
        let line = if inside && (!keep_cr || packet.get(end) == Some(&b'\r')) {
            packet.slice(at - start..end + usize::from(keep_cr))
        } else if keep_cr {
            let mut copy = line.to_vec();
            copy.push(b'\r');
            Bytes::from(copy)
        } else {
            Bytes::copy_from_slice(line)
        };
        OwnedItem { line, parser }
    }

    /// The line's bytes (with one more `\r` than [`Item::line`] when the content ends
    /// in `\r`, since parsing removes one).
    pub fn line(&self) -> &Bytes {
        &self.line
    }

    /// The parsed item, borrowing from `self`. Sample error offsets count from the
    /// start of the line.
    ///
    /// # Errors
    /// Only if the line was not parsed with these options before: never for values
    /// made by [`OwnedItem::parse`], nor by [`OwnedItem::from_item`] with the parser
    /// that produced the item.
    pub fn get(&self) -> Result<Item<'_>, Error> {
        self.parser.parse_line(&self.line)
    }
}
