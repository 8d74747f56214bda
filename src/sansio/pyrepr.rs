//! Python's `repr()` of `bytes` and `str`, for messages, consoles and traces.

use std::fmt::Write;

/// `repr(b)` for a `bytes` object, exactly as CPython prints it.
///
/// ```
/// use streamlab::sansio::py_bytes_repr;
/// assert_eq!(py_bytes_repr(b"line1\n"), r"b'line1\n'");
/// assert_eq!(py_bytes_repr(b"it's \x00\xff"), r#"b"it's \x00\xff""#);
/// ```
pub fn py_bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') { b'"' } else { b'\'' };
    let mut s = String::with_capacity(b.len() + 3);
    s.push('b');
    s.push(quote as char);
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            c if c == quote => {
                s.push('\\');
                s.push(c as char);
            }
            0x20..=0x7e => s.push(c as char),
            c => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push(quote as char);
    s
}

/// `repr(s)` for a `str`: single quotes unless the text holds `'` and no `"`.
///
/// ```
/// use streamlab::sansio::py_str_repr;
/// assert_eq!(py_str_repr("boom"), "'boom'");
/// assert_eq!(py_str_repr("it's"), "\"it's\"");
/// ```
pub fn py_str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut s = String::with_capacity(text.len() + 2);
    s.push(quote);
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c if c == quote => {
                s.push('\\');
                s.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(s, "\\x{:02x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push(quote);
    s
}
