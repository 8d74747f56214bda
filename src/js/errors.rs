//! Python exceptions as JavaScript `Error`s, and CPython's `TypeError`s for bad arguments.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::sansio::StreamError;

/// A JS `Error` named after the Python exception, with its attributes: `partial`
/// (`Uint8Array`) and `expected` for `IncompleteReadError`, `consumed` for
/// `LimitOverrunError`, `errno` for the `OSError` family, and `pythonRepr`.
pub fn to_js_error(e: &StreamError) -> JsValue {
    let err = named_error(e.python_name(), &e.to_string());
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&err, &k.into(), &v);
    };
    match e {
        StreamError::IncompleteRead { partial, expected } => {
            set("partial", Uint8Array::from(&partial[..]).into());
            set("expected", expected.map_or(JsValue::NULL, |n| (n as f64).into()));
        }
        // readline()'s ValueError has no `consumed` (CPython's does not: the line is gone).
        StreamError::LimitOverrun { consumed, .. } => set("consumed", (*consumed as f64).into()),
        StreamError::Raised(exc) => {
            if let Some(errno) = exc.errno() {
                set("errno", f64::from(errno).into());
                set("strerror", exc.message().into());
            }
        }
        _ => {}
    }
    set("pythonRepr", e.repr().into());
    set("pythonLine", e.traceback_line().into());
    err
}

/// An `Error` with this `name` and message, and its Python `repr` as `pythonRepr`.
pub fn named_error(name: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name(name);
    let repr = match message {
        "" => format!("{name}()"),
        m => format!("{name}({})", crate::sansio::py_str_repr(m)),
    };
    let _ = Reflect::set(&err, &"pythonRepr".into(), &repr.into());
    let line = match message {
        "" => name.to_owned(),
        m => format!("{name}: {m}"),
    };
    let _ = Reflect::set(&err, &"pythonLine".into(), &line.into());
    err.into()
}

pub fn type_error(message: &str) -> JsValue {
    named_error("TypeError", message)
}

/// A `Uint8Array` (or `ArrayBuffer`) argument; anything else is CPython's `TypeError`, naming
/// the Python type the value would be.
pub fn bytes_arg(v: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    bytes_like(v).ok_or_else(|| {
        type_error(&format!("{what} argument must be a bytes-like object, not '{}'", py_type(v)))
    })
}

/// The bytes of a `Uint8Array` or `ArrayBuffer`.
pub fn bytes_like(v: &JsValue) -> Option<Vec<u8>> {
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        return Some(a.to_vec());
    }
    v.dyn_ref::<js_sys::ArrayBuffer>().map(|b| Uint8Array::new(b).to_vec())
}

/// The Python type a JS value stands for, as CPython's messages name it.
pub fn py_type(v: &JsValue) -> &'static str {
    if v.is_string() {
        "str"
    } else if v.is_null() || v.is_undefined() {
        "NoneType"
    } else if let Some(n) = v.as_f64() {
        if n.fract() == 0.0 {
            "int"
        } else {
            "float"
        }
    } else if js_sys::Array::is_array(v) {
        "list"
    } else if v.as_bool().is_some() {
        "bool"
    } else {
        "object"
    }
}
