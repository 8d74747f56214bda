//! [`Separators`]: `readuntil`'s separator, or (3.13) tuple of separators, and the search rule.

use bytes::Bytes;
use memchr::memmem;

use super::error::ValueError;

/// What `readuntil` stops at: one separator, or a tuple of them.
///
/// A tuple is sorted by length, shortest first, keeping the given order among equals (Python's
/// stable `sorted(key=len)`); the match that **ends** first wins, and on a tie the shorter one.
///
/// ```
/// use streamlab::sansio::Separators;
/// let seps = Separators::tuple([&b"DEF"[..], b"BCDE"]);
/// assert_eq!(seps.find(b"ABCDEFG", 0), Some((1, 5))); // "BCDE" ends first
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Separators(Kind);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// The common case (`readline`, `readuntil(b'\n')`): nothing to allocate or drop per call.
    Byte(u8),
    One(Bytes),
    /// Sorted by length, and as given (for `repr`).
    Tuple(Vec<Bytes>, Vec<Bytes>),
}

impl Separators {
    /// A single separator, as `readuntil(b'...')`.
    pub fn one(sep: impl Into<Bytes>) -> Self {
        let sep = sep.into();
        match *sep {
            [byte] => Separators(Kind::Byte(byte)),
            _ => Separators(Kind::One(sep)),
        }
    }

    /// A one-byte separator, as `readuntil(b'\n')`.
    pub const fn byte(byte: u8) -> Self {
        Separators(Kind::Byte(byte))
    }

    /// A tuple of separators, as `readuntil((b'\r\n', b'\n'))`.
    pub fn tuple<I, S>(seps: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Bytes>,
    {
        let given: Vec<Bytes> = seps.into_iter().map(Into::into).collect();
        let mut seps = given.clone();
        seps.sort_by_key(|s| s.len()); // stable, as Python's sorted()
        Separators(Kind::Tuple(seps, given))
    }

    /// The argument as Python source: `b'\n'`, or a tuple `(b'\r\n', b'\n')` as given.
    ///
    /// ```
    /// use streamlab::sansio::Separators;
    /// assert_eq!(Separators::tuple([&b"\r\n"[..], b"\n"]).repr(), r"(b'\r\n', b'\n')");
    /// assert_eq!(Separators::tuple([&b"x"[..]]).repr(), "(b'x',)");
    /// ```
    pub fn repr(&self) -> String {
        use super::pyrepr::py_bytes_repr;
        match &self.0 {
            Kind::Byte(b) => py_bytes_repr(&[*b]),
            Kind::One(sep) => py_bytes_repr(sep),
            Kind::Tuple(_, given) if given.len() == 1 => format!("({},)", py_bytes_repr(&given[0])),
            Kind::Tuple(_, given) => {
                let items: Vec<String> = given.iter().map(|s| py_bytes_repr(s)).collect();
                format!("({})", items.join(", "))
            }
        }
    }

    /// CPython's checks, in its order: an empty tuple, then an empty separator.
    pub(crate) fn validate(&self) -> Result<(), ValueError> {
        match &self.0 {
            Kind::Byte(_) => Ok(()),
            Kind::Tuple(v, _) if v.is_empty() => Err(ValueError::NoSeparator),
            _ if self.min_len() == 0 => Err(ValueError::EmptySeparator),
            _ => Ok(()),
        }
    }

    /// Length of the shortest separator.
    #[inline]
    pub(crate) fn min_len(&self) -> usize {
        match &self.0 {
            Kind::Byte(_) => 1,
            Kind::One(s) => s.len(),
            Kind::Tuple(v, _) => v.first().map_or(0, Bytes::len),
        }
    }

    /// Length of the longest separator.
    #[inline]
    pub(crate) fn max_len(&self) -> usize {
        match &self.0 {
            Kind::Byte(_) => 1,
            Kind::One(s) => s.len(),
            Kind::Tuple(v, _) => v.last().map_or(0, Bytes::len),
        }
    }

    /// The first match at or after `offset`, as `(start, end)`: the one ending first, the
    /// shorter separator on a tie — what CPython's loop of `find` calls selects.
    ///
    /// Tuples are searched in growing windows, so the cost follows the distance to the match,
    /// not the buffer's length, while the result stays CPython's.
    #[inline]
    pub fn find(&self, hay: &[u8], offset: usize) -> Option<(usize, usize)> {
        if offset >= hay.len() {
            return None;
        }
        match &self.0 {
            Kind::Byte(byte) => find_byte(*byte, &hay[offset..]).map(|i| (offset + i, offset + i + 1)),
            Kind::One(sep) => find_one(sep, &hay[offset..]).map(|i| (offset + i, offset + i + sep.len())),
            Kind::Tuple(seps, _) => {
                let mut window = 256usize;
                loop {
                    let end = offset.saturating_add(window).min(hay.len());
                    if let Some(found) = earliest_end(seps, &hay[offset..end]) {
                        return Some((offset + found.0, offset + found.1));
                    }
                    if end == hay.len() {
                        return None;
                    }
                    window = window.saturating_mul(2);
                }
            }
        }
    }
}

/// The match with the smallest end within `hay`; every match ending inside `hay` is seen, so
/// no match beyond it can end earlier.
fn earliest_end(seps: &[Bytes], hay: &[u8]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for sep in seps {
        // Only a match ending strictly before the best one can replace it.
        let limit = best.map_or(hay.len(), |(_, end)| end.saturating_sub(1));
        if let Some(i) = find_one(sep, &hay[..limit]) {
            best = Some((i, i + sep.len()));
        }
    }
    best
}

#[inline]
fn find_one(sep: &[u8], hay: &[u8]) -> Option<usize> {
    match sep {
        [byte] => find_byte(*byte, hay),
        _ => memmem::find(hay, sep),
    }
}

/// Bytes searched word-wise before handing over to the vectorised search.
const NEAR: usize = 64;

/// `memchr`, tuned for lines: a separator is usually near, where the portable word-at-a-time
/// search beats the vectorised one's set-up cost (14 vs 22 ns a 64-byte line, measured);
/// a long stretch goes to the vectorised one.
#[inline]
fn find_byte(byte: u8, hay: &[u8]) -> Option<usize> {
    let (near, far) = hay.split_at(hay.len().min(NEAR));
    memchr::arch::all::memchr::One::new(byte)
        .find(near)
        .or_else(|| memchr::memchr(byte, far).map(|i| i + NEAR))
}

impl From<&[u8]> for Separators {
    fn from(sep: &[u8]) -> Self {
        Separators::one(Bytes::copy_from_slice(sep))
    }
}

impl<const N: usize> From<&[u8; N]> for Separators {
    fn from(sep: &[u8; N]) -> Self {
        Separators::one(Bytes::copy_from_slice(sep))
    }
}

impl From<Bytes> for Separators {
    fn from(sep: Bytes) -> Self {
        Separators::one(sep)
    }
}

impl From<Vec<u8>> for Separators {
    fn from(sep: Vec<u8>) -> Self {
        Separators::one(sep)
    }
}
