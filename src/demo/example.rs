//! [`Example`]: `example.demo:80` — a small HTTP/1.0 and HTTP/1.1 server.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::{Action, Peer};

/// The page at `/`.
pub const PAGE: &str = "<!doctype html>\n<html><head><title>example.demo</title></head>\n\
<body><h1>example.demo</h1><p>Served by streamlab's demo server.</p></body></html>\n";

const NOT_FOUND: &str = "<!doctype html>\n<html><body><h1>404 Not Found</h1></body></html>\n";

/// The largest request head accepted.
const MAX_HEAD: usize = 8 * 1024;

/// Answers `GET`/`HEAD /` with [`PAGE`] and other paths with 404, with `Content-Length`.
/// HTTP/1.1 keeps the connection open unless the request says `Connection: close`; HTTP/1.0
/// closes unless it says `Connection: keep-alive`. Malformed requests get 400 and a close.
#[derive(Debug, Default)]
pub struct Example {
    input: BytesMut,
    /// Request body bytes still to skip.
    skip: usize,
    eof: bool,
    /// A `Connection: close` response went out: close next.
    closing: bool,
    /// `Close` was returned.
    done: bool,
}

struct Response {
    status: &'static str,
    body: &'static str,
    head_only: bool,
    version: &'static str,
    keep_alive: bool,
    extra: &'static str,
}

impl Response {
    fn bytes(&self) -> Bytes {
        let connection = if self.keep_alive { "keep-alive" } else { "close" };
        let mut out = format!(
            "{} {}\r\nServer: streamlab-demo\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: {connection}\r\n{}\r\n",
            self.version,
            self.status,
            self.body.len(),
            self.extra
        );
        if !self.head_only {
            out.push_str(self.body);
        }
        Bytes::from(out)
    }
}

impl Example {
    /// The next complete request's response, if a whole request head is buffered.
    fn next_response(&mut self) -> Option<Response> {
        let skip = self.skip.min(self.input.len());
        let _ = self.input.split_to(skip);
        self.skip -= skip;
        if self.skip > 0 {
            return None;
        }
        let Some(end) = find(&self.input, b"\r\n\r\n") else {
            return (self.input.len() > MAX_HEAD).then(|| bad_request("431 Request Header Fields Too Large"));
        };
        let head = self.input.split_to(end + 4);
        Some(self.respond(&head[..end]))
    }

    fn respond(&mut self, head: &[u8]) -> Response {
        let Ok(head) = std::str::from_utf8(head) else { return bad_request("400 Bad Request") };
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return bad_request("400 Bad Request");
        };
        let version = match version {
            "HTTP/1.1" => "HTTP/1.1",
            "HTTP/1.0" => "HTTP/1.0",
            _ => return bad_request("505 HTTP Version Not Supported"),
        };
        let mut keep_alive = version == "HTTP/1.1";
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { return bad_request("400 Bad Request") };
            let value = value.trim();
            if name.eq_ignore_ascii_case("connection") {
                if value.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if value.eq_ignore_ascii_case("keep-alive") {
                    keep_alive = true;
                }
            } else if name.eq_ignore_ascii_case("content-length") {
                match value.parse::<usize>() {
                    Ok(n) => self.skip = n,
                    Err(_) => return bad_request("400 Bad Request"),
                }
            }
        }
        let (status, body, extra) = match (method, target) {
            ("GET" | "HEAD", "/" | "/index.html") => ("200 OK", PAGE, ""),
            ("GET" | "HEAD", _) => ("404 Not Found", NOT_FOUND, ""),
            _ => ("405 Method Not Allowed", "", "Allow: GET, HEAD\r\n"),
        };
        Response { status, body, head_only: method == "HEAD", version, keep_alive, extra }
    }
}

fn bad_request(status: &'static str) -> Response {
    Response { status, body: "", head_only: false, version: "HTTP/1.1", keep_alive: false, extra: "" }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Peer for Example {
    fn on_data(&mut self, data: &[u8], _now: Duration) {
        if !self.closing {
            self.input.extend_from_slice(data);
        }
    }

    fn on_eof(&mut self, _now: Duration) {
        self.eof = true;
    }

    fn poll(&mut self, _now: Duration) -> Action {
        if self.done {
            return Action::Wait(None);
        }
        if self.closing {
            self.done = true;
            return Action::Close;
        }
        match self.next_response() {
            Some(response) => {
                if !response.keep_alive {
                    self.closing = true;
                    self.input.clear();
                }
                Action::Send(response.bytes())
            }
            None if self.eof => {
                self.done = true;
                Action::Close
            }
            None => Action::Wait(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::drain;

    fn exchange(request: &[u8]) -> (String, Action) {
        let mut p = Example::default();
        p.on_data(request, Duration::ZERO);
        let (out, end) = drain(&mut p, Duration::ZERO);
        (String::from_utf8(out).unwrap(), end)
    }

    #[test]
    fn http_1_0_gets_the_page_and_a_close() {
        let (out, end) = exchange(b"GET / HTTP/1.0\r\n\r\n");
        assert!(out.starts_with("HTTP/1.0 200 OK\r\n"), "{out}");
        assert!(out.contains(&format!("Content-Length: {}\r\n", PAGE.len())));
        assert!(out.contains("Connection: close\r\n"));
        assert!(out.ends_with(PAGE));
        assert_eq!(end, Action::Close);
    }

    #[test]
    fn http_1_1_keeps_alive_and_pipelines() {
        let mut p = Example::default();
        p.on_data(
            b"GET /missing HTTP/1.1\r\nHost: example.demo\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
            Duration::ZERO,
        );
        let (out, end) = drain(&mut p, Duration::ZERO);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(end, Action::Wait(None));
        assert!(out.starts_with("HTTP/1.1 404 Not Found\r\n"), "{out}");
        let second = &out[out.find("HTTP/1.1 200 OK").expect("second response")..];
        assert!(second.ends_with("Connection: keep-alive\r\n\r\n"), "HEAD has no body: {second}");
        p.on_data(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", Duration::ZERO);
        let (out, end) = drain(&mut p, Duration::ZERO);
        assert!(String::from_utf8(out).unwrap().contains("Connection: close"));
        assert_eq!(end, Action::Close);
    }

    #[test]
    fn a_request_body_is_skipped_and_other_methods_are_refused() {
        let (out, _) = exchange(
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        );
        assert!(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{out}");
        assert!(out.contains("Allow: GET, HEAD\r\n"));
        assert!(out.contains("HTTP/1.1 200 OK"), "{out}");
    }

    #[test]
    fn garbage_gets_400_and_a_close() {
        for bad in [&b"HELLO\r\n\r\n"[..], b"GET / HTTP/2\r\n\r\n", b"GET / HTTP/1.1\r\nno colon\r\n\r\n"] {
            let (out, end) = exchange(bad);
            assert!(out.starts_with("HTTP/1.1 4") || out.starts_with("HTTP/1.1 505"), "{out}");
            assert_eq!(end, Action::Close);
        }
        let (out, _) = exchange(&vec![b'a'; 9000]);
        assert!(out.starts_with("HTTP/1.1 431"), "{out}");
    }

    #[test]
    fn client_eof_closes_after_answering() {
        let mut p = Example::default();
        p.on_data(b"GET / HTTP/1.1\r\n\r\n", Duration::ZERO);
        p.on_eof(Duration::ZERO);
        let (out, end) = drain(&mut p, Duration::ZERO);
        assert!(String::from_utf8(out).unwrap().starts_with("HTTP/1.1 200 OK"));
        assert_eq!(end, Action::Close);
    }
}
