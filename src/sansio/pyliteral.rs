//! Python bytes literals typed by a person — `b'GET / HTTP/1.0\r\n\r\n'`, `b"\x00\xff"`,
//! `rb'\d'`, or a tuple `(b'\r\n', b'\n')` — parsed as CPython 3.13's tokenizer does, with
//! its `SyntaxError` messages. The page's argument fields use it.

use std::fmt;

/// What a field held: one bytes literal, or a tuple of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BytesArg {
    /// `b'…'`.
    One(Vec<u8>),
    /// `(b'…', b'…')` (a trailing comma allowed; `(b'x',)` is a one-element tuple), or a list
    /// `[b'…', b'…']` (for `writelines`).
    Tuple(Vec<Vec<u8>>),
}

/// Why a field does not hold bytes: CPython's `SyntaxError` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiteralError(pub String);

impl fmt::Display for LiteralError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses one bytes literal or a tuple of them (adjacent literals concatenate, as in Python).
///
/// ```
/// use streamlab::sansio::{parse_bytes_arg, BytesArg};
/// assert_eq!(parse_bytes_arg(r"b'GET /\r\n'"), Ok(BytesArg::One(b"GET /\r\n".to_vec())));
/// assert_eq!(parse_bytes_arg(r"b'\x41' b'\102C'"), Ok(BytesArg::One(b"ABC".to_vec())));
/// assert_eq!(parse_bytes_arg(r"(b'\r\n', b'\n')"), Ok(BytesArg::Tuple(vec![b"\r\n".to_vec(), b"\n".to_vec()])));
/// assert_eq!(parse_bytes_arg("b'é'").unwrap_err().0, "bytes can only contain ASCII literal characters");
/// ```
///
/// # Errors
/// CPython's `SyntaxError` message for what is not a bytes literal.
pub fn parse_bytes_arg(src: &str) -> Result<BytesArg, LiteralError> {
    let mut p = Parser { s: src.trim().as_bytes(), src: src.trim(), i: 0 };
    if let Some(open @ (b'(' | b'[')) = p.peek() {
        let (close, list) = if open == b'[' { (b']', true) } else { (b')', false) };
        p.i += 1;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            p.skip_space();
            if p.peek() == Some(close) {
                p.i += 1;
                break;
            }
            items.push(p.concatenated()?);
            p.skip_space();
            match p.peek() {
                Some(b',') => {
                    p.i += 1;
                    trailing_comma = true;
                }
                Some(c) if c == close => {
                    p.i += 1;
                    trailing_comma = false;
                    break;
                }
                None => return Err(LiteralError(format!("'{}' was never closed", open as char))),
                _ => return Err(LiteralError("invalid syntax. Perhaps you forgot a comma?".into())),
            }
        }
        p.skip_space();
        if p.i < p.s.len() {
            return Err(LiteralError("invalid syntax".into()));
        }
        // `(b'x')` is just b'x' in parentheses; `(b'x',)` and `()` are tuples.
        return Ok(match (items.len(), trailing_comma || list) {
            (1, false) => BytesArg::One(items.remove(0)),
            _ => BytesArg::Tuple(items),
        });
    }
    let one = p.concatenated()?;
    p.skip_space();
    if p.i < p.s.len() {
        return Err(LiteralError("invalid syntax".into()));
    }
    Ok(BytesArg::One(one))
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|c| c == b' ' || c == b'\t') {
            self.i += 1;
        }
    }

    /// Adjacent literals, joined (`b'a' b'b'`).
    fn concatenated(&mut self) -> Result<Vec<u8>, LiteralError> {
        let mut out = self.literal()?;
        loop {
            let save = self.i;
            self.skip_space();
            if matches!(self.peek(), Some(b'b' | b'B' | b'r' | b'R')) {
                out.extend(self.literal()?);
            } else {
                self.i = save;
                return Ok(out);
            }
        }
    }

    fn literal(&mut self) -> Result<Vec<u8>, LiteralError> {
        let start = self.i;
        let (mut bytes, mut raw) = (false, false);
        while let Some(c) = self.peek() {
            match c {
                b'b' | b'B' if !bytes => bytes = true,
                b'r' | b'R' if !raw => raw = true,
                b'\'' | b'"' => break,
                _ => return Err(self.not_bytes(start)),
            }
            self.i += 1;
        }
        let Some(quote) = self.peek() else { return Err(self.not_bytes(start)) };
        if !bytes {
            return Err(self.not_bytes(start));
        }
        let triple = self.s[self.i..].starts_with(&[quote; 3]);
        self.i += if triple { 3 } else { 1 };
        let body_start = self.i;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(LiteralError(match triple {
                    true => "unterminated triple-quoted string literal (detected at line 1)".into(),
                    false => "unterminated string literal (detected at line 1)".into(),
                }));
            };
            if c == quote && (!triple || self.s[self.i..].starts_with(&[quote; 3])) {
                self.i += if triple { 3 } else { 1 };
                return Ok(out);
            }
            if c == b'\n' && !triple {
                return Err(LiteralError("unterminated string literal (detected at line 1)".into()));
            }
            if c >= 0x80 {
                return Err(LiteralError("bytes can only contain ASCII literal characters".into()));
            }
            if c == b'\\' && raw {
                // A raw literal keeps the backslash; it still escapes the quote.
                out.push(c);
                self.i += 1;
                if let Some(next) = self.peek().filter(|&n| n < 0x80) {
                    out.push(next);
                    self.i += 1;
                }
                continue;
            }
            if c == b'\\' {
                self.i += 1;
                self.escape(&mut out, self.i - 1 - body_start)?;
                continue;
            }
            out.push(c);
            self.i += 1;
        }
    }

    /// One escape after its backslash; `at` is the backslash's position in the body.
    fn escape(&mut self, out: &mut Vec<u8>, at: usize) -> Result<(), LiteralError> {
        let Some(c) = self.peek() else {
            return Err(LiteralError("unterminated string literal (detected at line 1)".into()));
        };
        self.i += 1;
        let simple = match c {
            b'\n' => return Ok(()), // line continuation
            b'\\' => b'\\',
            b'\'' => b'\'',
            b'"' => b'"',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                // CPython 3.12+ warns for values over 0o377 and keeps the low byte.
                out.push((v & 0xff) as u8);
                return Ok(());
            }
            b'x' => {
                let hex = self.s.get(self.i..self.i + 2).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                let Some(hex) = hex else {
                    return Err(LiteralError(format!("(value error) invalid \\x escape at position {at}")));
                };
                let v = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("00"), 16).unwrap_or(0);
                self.i += 2;
                out.push(v);
                return Ok(());
            }
            other if other >= 0x80 => {
                return Err(LiteralError("bytes can only contain ASCII literal characters".into()))
            }
            other => {
                // An unknown escape stays as it is (CPython warns: invalid escape sequence).
                out.push(b'\\');
                out.push(other);
                return Ok(());
            }
        };
        out.push(simple);
        Ok(())
    }

    fn not_bytes(&self, start: usize) -> LiteralError {
        let rest = &self.src[start.min(self.src.len())..];
        match rest.chars().next() {
            Some('\'' | '"') => LiteralError("a str, not bytes: add the b prefix (b'…')".into()),
            _ => LiteralError("invalid syntax: expected a bytes literal such as b'…'".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Vec<u8> {
        match parse_bytes_arg(s) {
            Ok(BytesArg::One(b)) => b,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn every_escape_as_cpython() {
        assert_eq!(one(r#"b'\\\'\"\a\b\f\n\r\t\v'"#), b"\\'\"\x07\x08\x0c\n\r\t\x0b");
        assert_eq!(one(r"b'\0\01\012\0123\777'"), b"\x00\x01\x0a\x0a3\xff");
        assert_eq!(one(r"b'\x00\xFF\xab'"), b"\x00\xff\xab");
        assert_eq!(one(r"b'\q\N\u0041'"), b"\\q\\N\\u0041", "unknown escapes stay");
        assert_eq!(one("b'a\\\nb'"), b"ab", "line continuation");
        assert_eq!(one(r#"B"it's""#), b"it's");
        assert_eq!(one("b'''a'b\nc'''"), b"a'b\nc");
        assert_eq!(one(r"rb'\n\''"), b"\\n\\'");
        assert_eq!(one(r"Br'\x'"), b"\\x");
        assert_eq!(one("b''"), b"");
    }

    #[test]
    fn tuples_and_concatenation() {
        assert_eq!(parse_bytes_arg("(b'x',)"), Ok(BytesArg::Tuple(vec![b"x".to_vec()])));
        assert_eq!(parse_bytes_arg("()"), Ok(BytesArg::Tuple(vec![])));
        assert_eq!(parse_bytes_arg("( b'x' )"), Ok(BytesArg::One(b"x".to_vec())));
        assert_eq!(
            parse_bytes_arg("(b'a' b'b', b'c')"),
            Ok(BytesArg::Tuple(vec![b"ab".to_vec(), b"c".to_vec()]))
        );
    }

    #[test]
    fn cpythons_syntax_errors() {
        let err = |s: &str| parse_bytes_arg(s).unwrap_err().0;
        assert_eq!(err(r"b'\x4'"), r"(value error) invalid \x escape at position 0");
        assert_eq!(err(r"b'ab\xZZ'"), r"(value error) invalid \x escape at position 2");
        assert_eq!(err("b'abc"), "unterminated string literal (detected at line 1)");
        assert_eq!(err("b'''abc"), "unterminated triple-quoted string literal (detected at line 1)");
        assert_eq!(err("b'ü'"), "bytes can only contain ASCII literal characters");
        assert_eq!(err("'abc'"), "a str, not bytes: add the b prefix (b'…')");
        assert_eq!(err("abc"), "invalid syntax: expected a bytes literal such as b'…'");
        assert_eq!(err("b'a' x"), "invalid syntax");
        assert_eq!(err("(b'a' b'c'"), "'(' was never closed");
    }
}
