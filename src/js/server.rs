//! `startServer`: asyncio's `start_server` in the page, for JavaScript — a server on a name of
//! the page's own, reached by `openConnection` from the same page.

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::cancel::cancellable;
use super::errors::to_js_error;
use super::{args, Connection, StreamReader, StreamWriter};

/// `await startServer(onConnection, host, port, {limit})` → `Server`: `onConnection` is
/// called with each connection (`{reader, writer, onEvent}`), as asyncio calls
/// `client_connected_cb(reader, writer)`.
///
/// # Errors
/// `OSError` (errno 98) when a server already listens there; `ValueError` for port 0 or
/// `limit <= 0`; `TypeError` for an unknown option.
#[wasm_bindgen(js_name = startServer)]
pub async fn start_server(
    #[wasm_bindgen(unchecked_param_type = "(connection: Connection) => void")] on_connection: Function,
    host: String,
    #[wasm_bindgen(unchecked_param_type = "number | string")] port: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "{ limit?: number }")] options: Option<Object>,
) -> Result<Server, JsValue> {
    let port = args::port_arg(&port)?;
    let opts = args::server_options_arg(options.as_ref())?;
    let server = crate::start_server(&host, port, opts, move |reader, writer| {
        let connection = Connection { reader: StreamReader(reader), writer: StreamWriter(writer) };
        // An exception in the callback is the callback's (asyncio logs it and goes on).
        if let Err(e) = on_connection.call1(&JsValue::NULL, &connection.into()) {
            web_sys::console::error_2(&"startServer: onConnection threw".into(), &e);
        }
    })
    .map_err(|e| to_js_error(&e))?;
    Ok(Server(server))
}

/// An in-page server (asyncio's `Server`).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Server(crate::Server);

#[wasm_bindgen]
impl Server {
    /// `close()`: stops listening; open connections go on.
    pub fn close(&self) {
        self.0.close();
    }

    /// `close_clients()`: closes every connection it accepted.
    #[wasm_bindgen(js_name = closeClients)]
    pub fn close_clients(&self) {
        self.0.close_clients();
    }

    /// `is_serving()`.
    #[wasm_bindgen(js_name = isServing)]
    pub fn is_serving(&self) -> bool {
        self.0.is_serving()
    }

    /// `sockets`, as the `[host, port]` pairs it listens on.
    #[wasm_bindgen(getter, unchecked_return_type = "[string, number][]")]
    pub fn sockets(&self) -> JsValue {
        let all = js_sys::Array::new();
        for (host, port) in self.0.addresses() {
            all.push(&js_sys::Array::of2(&host.into(), &f64::from(port).into()));
        }
        all.into()
    }

    /// `wait_closed({signal})`: until it is closed and its connections are.
    #[wasm_bindgen(js_name = waitClosed, unchecked_return_type = "Promise<void>")]
    pub fn wait_closed(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let server = self.0.clone();
        cancellable(&options, async move {
            server.wait_closed().await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// CPython's `repr`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        self.0.repr()
    }
}
