//! JavaScript arguments as CPython takes them: sizes, separators, ports, options — with
//! CPython's `TypeError`s, raised when CPython raises them (some only once data arrives).

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

use super::errors::{bytes_like, named_error, py_type, to_js_error, type_error};
use crate::sansio::Separators;
use crate::{OpenOptions, Relay};

/// An argument CPython only trips over later: the call waits like a valid one, then raises
/// this `TypeError` (`read(1.5)` waits for data, then fails to slice the buffer).
#[derive(Debug)]
pub struct Deferred(pub String);

/// `read(n)`'s `n`: `undefined` is -1; a whole number (or a bool, Python's int) is itself.
///
/// # Errors
/// `Err(Ok(deferred))` for other numbers (CPython's slicing `TypeError` once data arrives);
/// `Err(Err(type_error))` at once for non-numbers, as CPython's `n < 0` comparison fails.
pub fn read_size(n: &JsValue) -> Result<isize, Result<Deferred, JsValue>> {
    if n.is_undefined() {
        return Ok(-1);
    }
    if let Some(b) = n.as_bool() {
        return Ok(isize::from(b));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.is_finite() => {
            Ok(f.clamp(isize::MIN as f64, isize::MAX as f64) as isize)
        }
        Some(_) => {
            Err(Ok(Deferred("slice indices must be integers or None or have an __index__ method".into())))
        }
        None => Err(Err(type_error(&format!(
            "'<' not supported between instances of '{}' and 'int'",
            py_type(n)
        )))),
    }
}

/// `readexactly(n)`'s `n`.
///
/// # Errors
/// CPython's `TypeError` for a non-number, at once.
///
/// # Python parity
/// CPython waits for `ceil(n)` bytes before failing on a fractional `n`; here it fails at once.
pub fn exact_size(n: &JsValue) -> Result<isize, JsValue> {
    match read_size(n) {
        Ok(_) if n.is_undefined() => {
            Err(type_error("StreamReader.readexactly() missing 1 required positional argument: 'n'"))
        }
        Ok(n) => Ok(n),
        Err(Ok(Deferred(message))) => Err(type_error(&message)),
        Err(Err(e)) => Err(e),
    }
}

/// `readuntil(separator)`: `undefined` is `b'\n'`, a `Uint8Array` one separator, an array a
/// tuple.
///
/// # Errors
/// `Err(Ok((deferred, len)))` for a `str` (or an array holding one) — CPython takes its length
/// and fails to search the buffer once `len` bytes are there; `Err(Err(type_error))` at once
/// for what has no `len()` at all, and `ValueError` for an empty separator.
pub fn separators(sep: &JsValue) -> Result<Separators, Result<(Deferred, usize), JsValue>> {
    if sep.is_undefined() {
        return Ok(Separators::byte(b'\n'));
    }
    let items: Vec<JsValue> = match Array::is_array(sep) {
        true => Array::from(sep).iter().collect(),
        false => vec![sep.clone()],
    };
    let mut seps = Vec::with_capacity(items.len());
    let mut deferred: Option<(String, usize)> = None;
    for item in &items {
        if let Some(bytes) = bytes_like(item) {
            seps.push(bytes);
        } else if let Some(text) = item.as_string().or_else(|| Array::is_array(item).then(String::new)) {
            let len = match Array::is_array(item) {
                true => Array::from(item).length() as usize,
                false => text.chars().count(),
            };
            let message = format!("argument should be integer or bytes-like object, not '{}'", py_type(item));
            let longest = deferred.as_ref().map_or(0, |d| d.1).max(len);
            deferred = Some((deferred.map_or(message, |d| d.0), longest));
            seps.push(vec![0; len]); // stands for its length in CPython's checks
        } else {
            return Err(Err(type_error(&format!("object of type '{}' has no len()", py_type(item)))));
        }
    }
    let seps = match Array::is_array(sep) {
        true => Separators::tuple(seps),
        false => Separators::one(seps.pop().unwrap_or_default()),
    };
    // CPython's ValueErrors (empty tuple, empty separator) come first.
    if let Err(e) = crate::sansio::ReadUntil::new(seps.clone()) {
        return Err(Err(to_js_error(&e)));
    }
    match deferred {
        Some((message, len)) => Err(Ok((Deferred(message), len.max(1)))),
        None => Ok(seps),
    }
}

/// A port as CPython takes it: a number, or a string of digits (`'80'`).
///
/// # Python parity
/// CPython also looks service names up (`'http'` is 80); here any other string is the
/// `gaierror` CPython gives for an unknown service.
pub fn port_arg(port: &JsValue) -> Result<u16, JsValue> {
    let n = match (port.as_f64(), port.as_string()) {
        (Some(n), _) => n,
        (None, Some(s)) => match s.trim().parse::<i64>() {
            Ok(n) => n as f64,
            Err(_) => {
                let e =
                    crate::PyException::with_errno("gaierror", -8, "Servname not supported for ai_socktype");
                return Err(to_js_error(&crate::StreamError::Raised(e)));
            }
        },
        (None, None) => return Err(type_error("port must be a number or a string of digits")),
    };
    if n.fract() != 0.0 || !(0.0..=65535.0).contains(&n) {
        return Err(named_error("OverflowError", "connect(): port must be 0-65535."));
    }
    Ok(n as u16)
}

/// A relay URL: absolute `ws://` or `wss://` (never resolved against the page).
fn relay_arg(url: &str) -> Result<String, JsValue> {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower.strip_prefix("ws://").or_else(|| lower.strip_prefix("wss://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) => {
            Ok(url.trim().to_owned())
        }
        _ => Err(named_error(
            "ValueError",
            &format!("relay must be a ws:// or wss:// URL, not {}", crate::sansio::py_str_repr(url)),
        )),
    }
}

/// `openConnection`'s options object.
///
/// # Errors
/// `TypeError` for an unknown key (a typo like `limt`) or a value of the wrong type;
/// `ValueError` for `limit <= 0` or a relay that is not a `ws://`/`wss://` URL.
pub fn options_arg(options: Option<&Object>) -> Result<OpenOptions, JsValue> {
    const KEYS: &[&str] = &["limit", "ssl", "serverHostname", "relay", "websockify", "token"];
    let mut opts = OpenOptions::default();
    let Some(o) = options else { return Ok(opts) };
    known_keys(o, KEYS, "open_connection")?;
    let get = |k: &str| Reflect::get(o, &k.into()).unwrap_or(JsValue::UNDEFINED);
    if let Some(limit) = limit_arg(&get("limit"))? {
        opts.limit = limit;
    }
    opts.ssl = get("ssl").is_truthy();
    opts.server_hostname = get("serverHostname").as_string();
    let token = get("token");
    if !token.is_undefined() && !token.is_null() {
        opts.token = Some(token.as_string().ok_or_else(|| type_error("token must be a string"))?);
    }
    let relay = get("relay");
    if !relay.is_undefined() && !relay.is_null() {
        let url =
            relay.as_string().ok_or_else(|| type_error("relay must be a string (a ws:// or wss:// URL)"))?;
        let url = relay_arg(&url)?;
        opts.relay = Some(match get("websockify").is_truthy() {
            true => Relay::websockify(url),
            false => Relay::streamlab(url),
        });
    }
    Ok(opts)
}

/// `startServer`'s options object: `{limit}`.
///
/// # Errors
/// As [`options_arg`]'s, naming `start_server()`.
pub fn server_options_arg(options: Option<&Object>) -> Result<crate::ServerOptions, JsValue> {
    let mut opts = crate::ServerOptions::default();
    let Some(o) = options else { return Ok(opts) };
    known_keys(o, &["limit"], "start_server")?;
    if let Some(limit) = limit_arg(&Reflect::get(o, &"limit".into()).unwrap_or(JsValue::UNDEFINED))? {
        opts.limit = limit;
    }
    Ok(opts)
}

/// CPython's `TypeError` for a keyword `function()` does not take.
fn known_keys(o: &Object, keys: &[&str], function: &str) -> Result<(), JsValue> {
    for key in Object::keys(o).iter().filter_map(|k| k.as_string()) {
        if !keys.contains(&key.as_str()) {
            return Err(type_error(&format!(
                "{function}() got an unexpected keyword argument {}",
                crate::sansio::py_str_repr(&key)
            )));
        }
    }
    Ok(())
}

/// A `limit` option: a positive number, or absent.
fn limit_arg(limit: &JsValue) -> Result<Option<usize>, JsValue> {
    if limit.is_undefined() {
        return Ok(None);
    }
    let n = limit.as_f64().ok_or_else(|| type_error("limit must be a number"))?;
    if n <= 0.0 {
        return Err(to_js_error(&crate::sansio::ValueError::LimitNotPositive.into()));
    }
    Ok(Some(n as usize))
}
