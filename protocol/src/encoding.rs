//! The canonical binary encoding (spec §2). It is what gets hashed and signed; JSON is only a view.
//!
//! Integers are little-endian (`u8`, `u32`, `u64`), byte strings and UTF-8 strings are a `u32` length
//! then the bytes, sequences are a `u32` count then the items, points and scalars are their 32-byte
//! canonical encodings. There is exactly one encoding of each value, and decoding demands it.
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, Result};

/// Writing an object in the canonical encoding.
pub trait Encode {
    /// Appends the canonical encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// The canonical encoding of `self`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Reading an object from its canonical encoding.
///
/// ```
/// use protocol::encoding::{Decode, Encode};
/// use protocol::tally::Results;
/// let r = Results { totals: vec![vec![3, 1], vec![7]] };
/// let bytes = r.to_bytes();
/// assert_eq!(Results::from_bytes(&bytes).unwrap(), r);
/// // One more byte and it is no longer the canonical encoding.
/// let mut longer = bytes.clone();
/// longer.push(0);
/// assert!(Results::from_bytes(&longer).is_err());
/// ```
pub trait Decode: Sized {
    /// Reads one object, leaving the reader after it.
    fn decode(reader: &mut Reader<'_>) -> Result<Self>;

    /// Decodes `bytes` as exactly one object; trailing bytes are an error.
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(bytes);
        let value = Self::decode(&mut reader)?;
        reader.finish(core::any::type_name::<Self>())?;
        Ok(value)
    }
}

/// A cursor over canonical bytes.
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Fails unless every byte has been read.
    pub fn finish(&self, what: &'static str) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                what,
                extra: self.rest.len(),
            })
        }
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(Error::WrongLength {
                what,
                expected: n,
                found: self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// Reads a `u8`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    /// Reads a little-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// Reads a little-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// Reads a boolean encoded as one byte, 0 or 1.
    pub fn bool(&mut self, what: &'static str) -> Result<bool> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::Malformed {
                what,
                reason: "a boolean byte must be 0 or 1",
            }),
        }
    }

    /// Reads a length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, max: usize, what: &'static str) -> Result<&'a [u8]> {
        let len = self.u32(what)? as usize;
        if len > max {
            return Err(Error::Malformed {
                what,
                reason: "longer than the specification allows",
            });
        }
        self.take(len, what)
    }

    /// Reads a length-prefixed UTF-8 string of at most `max` bytes.
    pub fn string(&mut self, max: usize, what: &'static str) -> Result<String> {
        let raw = self.bytes(max, what)?;
        core::str::from_utf8(raw)
            .map(String::from)
            .map_err(|_| Error::Malformed {
                what,
                reason: "not valid UTF-8",
            })
    }

    /// Reads a sequence count of at most `max` items; each item takes at least `min_item_len` bytes,
    /// which bounds what a hostile count can make us allocate.
    pub fn count(&mut self, max: usize, min_item_len: usize, what: &'static str) -> Result<usize> {
        let n = self.u32(what)? as usize;
        if n > max {
            return Err(Error::Malformed {
                what,
                reason: "more items than the specification allows",
            });
        }
        if n.saturating_mul(min_item_len.max(1)) > self.rest.len() {
            return Err(Error::WrongLength {
                what,
                expected: n.saturating_mul(min_item_len.max(1)),
                found: self.rest.len(),
            });
        }
        Ok(n)
    }

    /// Reads a counted sequence with `item` decoding each element.
    pub fn vec<T>(
        &mut self,
        max: usize,
        min_item_len: usize,
        what: &'static str,
        mut item: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Vec<T>> {
        let n = self.count(max, min_item_len, what)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(item(self)?);
        }
        Ok(out)
    }
}

/// Appends a little-endian `u32`.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a little-endian `u64`.
pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a length-prefixed byte string.
pub fn put_bytes(out: &mut Vec<u8>, v: &[u8]) {
    put_len(out, v.len());
    out.extend_from_slice(v);
}

/// Appends a length or count as `u32`. Lengths are bounded far below 2^32 by the decoder's limits.
pub fn put_len(out: &mut Vec<u8>, n: usize) {
    put_u32(
        out,
        u32::try_from(n).expect("lengths are bounded by the specification's limits"),
    );
}

/// Appends a counted sequence.
pub fn put_vec<T: Encode>(out: &mut Vec<u8>, items: &[T]) {
    put_len(out, items.len());
    for item in items {
        item.encode(out);
    }
}

impl Encode for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, *self);
    }
}

impl Encode for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, *self);
    }
}

impl Encode for String {
    fn encode(&self, out: &mut Vec<u8>) {
        put_bytes(out, self.as_bytes());
    }
}

impl Encode for [u8; 32] {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_count_is_refused_before_allocating() {
        let bytes = [0xff, 0xff, 0xff, 0x00];
        let err = Reader::new(&bytes)
            .count(usize::MAX, 32, "list")
            .unwrap_err();
        assert!(matches!(err, Error::WrongLength { .. }));
    }

    #[test]
    fn bool_must_be_zero_or_one() {
        assert!(Reader::new(&[2]).bool("flag").is_err());
        assert!(Reader::new(&[1]).bool("flag").unwrap());
    }

    #[test]
    fn strings_must_be_utf8_and_bounded() {
        let mut out = Vec::new();
        put_bytes(&mut out, &[0xff, 0xfe]);
        assert!(Reader::new(&out).string(10, "s").is_err());
        let mut out = Vec::new();
        put_bytes(&mut out, b"hello");
        assert!(Reader::new(&out).string(4, "s").is_err());
        assert_eq!(Reader::new(&out).string(5, "s").unwrap(), "hello");
    }
}
