"""asyncio's buffered streams in a browser, exact to CPython 3.13: streamlab's reader and
writer (Rust, compiled to WebAssembly) behind asyncio's own API, for Pyodide.

Pyodide's ``asyncio.open_connection`` raises NotImplementedError: a page cannot open TCP.
This module's can — to the in-page demo servers (``*.demo``) with no relay, or through a
streamlab relay to real TCP servers::

    import asyncio, streamlab
    await streamlab.install()     # asyncio.open_connection & co. are now streamlab's
    reader, writer = await asyncio.open_connection('example.demo', 80)
    writer.write(b'GET / HTTP/1.0\\r\\n\\r\\n')
    print(await reader.readline())    # b'HTTP/1.0 200 OK\\r\\n'

It holds no stream logic of its own: every call is one call into the JavaScript API — the
module a host page registered as ``_streamlab_js`` (the playground does), or else the wasm
and its JS glue this package carries as data (the wheel) — and a read the buffer already decides returns
without awaiting anything, as CPython's does. ``readline`` also takes the whole lines after
its own, lent (streamlab's ``stream::lend``): the next ``readline()`` calls return them without
calling in, and the library reads them for real when it next does anything, before any view
or transport runs — so ``async for line in reader`` costs one call per batch of lines. Exceptions are Python's own, with CPython's
attributes and messages.

Differences from CPython (a browser's, documented in streamlab's docs/asyncio-streams.md §9):
tracebacks show this module's frames where CPython shows asyncio/streams.py; in-page hosts
have no socket (``peername`` is the demo's name and port).
"""

import sys

if sys.platform != "emscripten":
    raise ImportError(
        "streamlab gives a browser's Python (Pyodide: PyScript, JupyterLite, a page of your "
        "own) the asyncio streams a browser cannot open; it runs only there. A native "
        "CPython's asyncio.open_connection already opens real TCP: use it as it is."
    )

import asyncio
import contextvars
import errno
import inspect
import os
import socket

from pyodide.ffi import JsBuffer, JsException, create_proxy, jsnull, to_js

#: The JavaScript API (wasm-bindgen's module), once found or loaded by ``install()``.
_js = None

__all__ = ["open_connection", "start_server", "StreamReader", "StreamWriter", "Server", "install", "uninstall", "RELAY"]

#: The relay every ``open_connection`` uses unless given ``relay=``: ``None`` (the in-page
#: demo servers; in the playground, the relay its connection bar chose) or a ``ws://`` /
#: ``wss://`` URL of a streamlab relay.
RELAY = None

def _js_object(d):
    """A plain JavaScript object from a dict."""
    import js

    return to_js(d, dict_converter=js.Object.fromEntries)


#: The JavaScript API this code talks to: ``_streamlab_js`` unless set. A page with several
#: playgrounds sharing one Pyodide sets it per console and script, so each one's connections
#: show in its own views (tasks inherit it).
API = contextvars.ContextVar("streamlab_api", default=None)


def _api():
    return API.get() or _js or _registered()


def _registered():
    """The JavaScript API a host page registered as ``_streamlab_js`` (the playground does)."""
    global _js
    try:
        import _streamlab_js
    except ImportError:
        raise RuntimeError("streamlab is not installed yet: await streamlab.install() first") from None
    _js = _streamlab_js
    return _js


_EAGER = None


def _eager():
    global _EAGER
    if _EAGER is None:
        _EAGER = _js_object({"eager": True})
    return _EAGER


_OS_ERRORS = {
    "ConnectionResetError": ConnectionResetError,
    "ConnectionRefusedError": ConnectionRefusedError,
    "ConnectionAbortedError": ConnectionAbortedError,
    "BrokenPipeError": BrokenPipeError,
    "PermissionError": PermissionError,
    "TimeoutError": TimeoutError,
    "OSError": OSError,
    "gaierror": socket.gaierror,
}
_ERRORS = {
    "ValueError": ValueError,
    "TypeError": TypeError,
    "RuntimeError": RuntimeError,
    "AttributeError": AttributeError,
    "SyntaxError": SyntaxError,
}


def _python_error(err, reader=None):
    """The Python exception a JavaScript error from streamlab stands for."""
    js_error = getattr(err, "js_error", err)
    name = js_error.name
    message = js_error.message
    if reader is not None and reader._exception is not None:
        stored = reader._exception
        if type(stored).__name__ == name:
            return stored  # set_exception's own object, as CPython raises it
    if name == "IncompleteReadError":
        expected = _py(js_error.expected)
        return asyncio.IncompleteReadError(
            js_error.partial.to_bytes(), None if expected is None else int(expected)
        )
    if name == "LimitOverrunError":
        return asyncio.LimitOverrunError(message, int(js_error.consumed))
    if name == "CancelledError":
        return asyncio.CancelledError()
    if name in _OS_ERRORS:
        cls = _OS_ERRORS[name]
        errno = _py(getattr(js_error, "errno", None))
        if errno is not None:
            return cls(int(errno), js_error.strerror)
        return cls(message) if message else cls()
    cls = _ERRORS.get(name)
    if cls is None:
        return RuntimeError(f"{name}: {message}")
    return cls(message) if message else cls()


def _py(value):
    """JavaScript's null as None."""
    return None if value is jsnull else value


def _message_of(exc):
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.strerror
    return str(exc)


def _is_pending(call):
    """Whether an eager call must wait (a ``PendingCall``, not its result)."""
    return call is not None and not isinstance(call, JsBuffer)


async def _settle(call, reader=None):
    """The outcome of an eager call: its value at once, or, when it must wait, its promise's."""
    if not _is_pending(call):
        return call
    try:
        return await call.promise
    except asyncio.CancelledError:
        # task.cancel(): the call is dropped now; the bytes it had not taken stay buffered.
        call.cancel()
        raise
    except JsException as e:
        raise _python_error(e, reader) from None


def _bytes(value):
    return value.to_bytes()


#: The readers whose lent lines the library has yet to settle, by ``id``.
_LOANS = {}


def _settle_loan(key):
    """Called by the library before it next does anything: how many lent lines the reader
    ``key`` handed out (the library reads those for real); the others are forgotten."""
    reader = _LOANS.pop(key, None)
    if reader is None:
        return 0
    handed_out = reader._handed_out
    reader._handed_out = 0
    if reader._lent:  # some not handed out: lend less next time (what is lent is copied)
        reader._lent.clear()
        reader._ahead = _AHEAD_MIN
    else:  # all handed out: lend more
        reader._ahead = min(2 * reader._ahead, _AHEAD_MAX)
    return handed_out


#: How many bytes of lines a readline() borrows ahead, at first and at most.
_AHEAD_MIN, _AHEAD_MAX = 1024, 1 << 16


_SETTLE_LOAN = create_proxy(_settle_loan)


class StreamReader:
    """asyncio.StreamReader, streamlab's: ``StreamReader(limit=65536)`` makes a bare reader
    to feed by hand (``feed_data``, ``feed_eof``, ``set_exception``)."""

    def __init__(self, limit=2**16, loop=None, *, _js_reader=None):
        if _js_reader is None:
            try:
                # The page shows a bare reader in its views (newStreamReader); elsewhere, a
                # plain one.
                api = _api()
                make = getattr(api, "newStreamReader", None)
                _js_reader = make(limit) if make is not None else api.StreamReader.new(limit)
            except JsException as e:
                raise _python_error(e) from None
        self._r = _js_reader
        self._readline = _js_reader.readlineAhead  # bound once: a read is one call
        self._lent = []  # lines lent by the library, last first (see readline)
        self._handed_out = 0
        self._ahead = _AHEAD_MIN
        self._exception = None

    def __repr__(self):
        return self._r.toString()

    def _call(self, method, *args):
        try:
            return getattr(self._r, method)(*args, _eager())
        except JsException as e:
            raise _python_error(e, self) from None

    async def read(self, n=-1):
        return _bytes(await _settle(self._call("read", n), self))

    async def readline(self):
        lent = self._lent
        if lent:
            self._handed_out += 1
            return lent.pop()
        try:
            line = self._readline(_SETTLE_LOAN, id(self), self._ahead)
        except JsException as e:
            raise _python_error(e, self) from None
        if type(line) is str:  # one line, decided by the buffer
            return line.encode("latin-1")
        if _is_pending(line):
            line = await _settle(line, self)
            if type(line) is str:
                return line.encode("latin-1")
            return line.to_bytes()
        data = line.to_bytes()
        end = data.find(b"\n") + 1
        if end == 0 or end == len(data):
            return data  # one long line
        # The line, then whole lines lent: handed out by the next readline() calls.
        lines = data.split(b"\n")
        lines.pop()  # after the last "\n"
        lent += [line + b"\n" for line in reversed(lines)]
        _LOANS[id(self)] = self
        return lent.pop()

    async def readexactly(self, n):
        return _bytes(await _settle(self._call("readexactly", n), self))

    async def readuntil(self, separator=b"\n"):
        return _bytes(await _settle(self._call("readuntil", to_js(separator)), self))

    def at_eof(self):
        return self._r.atEof()

    def exception(self):
        if self._exception is not None:
            return self._exception
        exc = _py(self._r.exception())
        return None if exc is None else _python_error(exc)

    def feed_data(self, data):
        try:
            self._r.feedData(to_js(data))
        except JsException as e:
            raise _python_error(e) from None

    def feed_eof(self):
        self._r.feedEof()

    def set_exception(self, exc):
        self._exception = exc
        errno = exc.errno if isinstance(exc, OSError) else None
        self._r.setException(type(exc).__name__, _message_of(exc), errno)

    def __aiter__(self):
        return self

    async def __anext__(self):
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line


class StreamWriter:
    """asyncio.StreamWriter, streamlab's (made by ``open_connection``)."""

    def __init__(self, js_writer, reader):
        self._w = js_writer
        self._reader = reader

    def __repr__(self):
        return self._w.toString()

    def _call(self, method, *args):
        try:
            return getattr(self._w, method)(*args)
        except JsException as e:
            raise _python_error(e, self._reader) from None

    @property
    def transport(self):
        return self

    def write(self, data):
        self._call("write", to_js(data))

    def writelines(self, data):
        self._call("writelines", to_js(list(data)))

    def write_eof(self):
        self._call("writeEof")

    def can_write_eof(self):
        return self._w.canWriteEof()

    def close(self):
        self._w.close()

    def is_closing(self):
        return self._w.isClosing()

    async def drain(self):
        await _settle(self._call("drain", _eager()), self._reader)

    async def wait_closed(self):
        await _settle(self._call("waitClosed", _eager()), self._reader)

    def get_extra_info(self, name, default=None):
        value = _py(self._w.getExtraInfo(name, None))
        if value is None:
            return default
        if name in ("peername", "sockname"):
            host, port = value
            return (host, int(port))
        return value.to_py() if hasattr(value, "to_py") else value

    def get_write_buffer_size(self):
        return int(self._w.snapshot().writeBufferSize)

    def get_write_buffer_limits(self):
        low, high = self._w.snapshot().writeBufferLimits
        return (int(low), int(high))

    async def start_tls(self, *args, **kwargs):
        raise NotImplementedError("start_tls() is not available in a browser: open the connection with ssl=True")


async def open_connection(host=None, port=None, *, limit=2**16, ssl=None, server_hostname=None, relay=None, token=None, **kwds):
    """``asyncio.open_connection``, streamlab's: ``*.demo`` hosts in the page, or through
    ``relay`` (default ``streamlab.RELAY``) to real TCP — with ``token``, this target's token
    when the relay needs one (``--token-secret``). Returns ``(reader, writer)``."""
    if kwds:
        name = next(iter(kwds))
        raise TypeError(f"open_connection() got an unexpected keyword argument '{name}'")
    options = {"limit": limit}
    relay = RELAY if relay is None else relay
    if relay is not None:
        options["relay"] = relay
    if ssl:
        options["ssl"] = True
    if server_hostname is not None:
        options["serverHostname"] = server_hostname
    if token is not None:
        options["token"] = token
    try:
        connection = await _api().openConnection(host, port, _js_object(options))
    except JsException as e:
        raise _python_error(e) from None
    reader = StreamReader(_js_reader=connection.reader)
    return reader, StreamWriter(connection.writer, reader)


class _Socket:
    """What ``Server.sockets`` holds: there is no socket in a page, only its address."""

    def __init__(self, host, port):
        self._address = (host, port)

    def getsockname(self):
        return self._address

    def __repr__(self):
        return f"<streamlab socket laddr={self._address!r}>"


class Server:
    """asyncio's ``Server``, for a server of the page's own (made by ``start_server``)."""

    def __init__(self, js_server, callback_proxy):
        self._s = js_server
        self._proxy = callback_proxy  # lives as long as the server
        self._tasks = set()
        self._serving_forever_fut = None

    def __repr__(self):
        return self._s.toString()

    def close(self):
        self._s.close()

    def close_clients(self):
        self._s.closeClients()

    def abort_clients(self):
        self._s.closeClients()

    def is_serving(self):
        return self._s.isServing()

    def get_loop(self):
        return asyncio.get_running_loop()

    @property
    def sockets(self):
        return tuple(_Socket(host, int(port)) for host, port in self._s.sockets)

    async def start_serving(self):
        pass  # it serves from the start

    async def wait_closed(self):
        await _settle(self._s.waitClosed(_eager()))

    async def serve_forever(self):
        if self._serving_forever_fut is not None:
            raise RuntimeError(f"server {self!r} is already being awaited on serve_forever()")
        if not self.is_serving():
            raise RuntimeError(f"server {self!r} is closed")
        self._serving_forever_fut = asyncio.get_running_loop().create_future()
        try:
            await self._serving_forever_fut
        except asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving_forever_fut = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        await self.wait_closed()


async def start_server(client_connected_cb, host=None, port=None, *, limit=2**16, **kwds):
    """``asyncio.start_server``, streamlab's: a server on a name of this page's own (say
    ``'mine.demo', 8888``), reached by ``open_connection`` from the same page. Returns a
    :class:`Server`."""
    if kwds:
        name = next(iter(kwds))
        raise TypeError(f"start_server() got an unexpected keyword argument '{name}'")
    server = None
    # Handlers run in the context start_server was called in, as CPython's do (its accept
    # callback keeps the caller's): the page's API and output, streamlab.API.
    context = contextvars.copy_context()

    def on_connection(connection):
        ctx = context.copy()
        reader = StreamReader(_js_reader=connection.reader)
        writer = StreamWriter(connection.writer, reader)
        res = ctx.run(client_connected_cb, reader, writer)
        if inspect.iscoroutine(res):
            task = asyncio.get_event_loop().create_task(res, context=ctx)
            server._tasks.add(task)
            task.add_done_callback(lambda t: _client_done(server, t, writer))

    proxy = create_proxy(on_connection)
    try:
        js_server = await _api().startServer(proxy, host, port, _js_object({"limit": limit}))
    except JsException as e:
        proxy.destroy()
        raise _python_error(e) from None
    server = Server(js_server, proxy)
    return server


def _client_done(server, task, writer):
    """As asyncio's StreamReaderProtocol: a handler's exception is reported, its connection closed."""
    server._tasks.discard(task)
    if task.cancelled():
        writer.close()
        return
    exc = task.exception()
    if exc is not None:
        asyncio.get_running_loop().call_exception_handler(
            {"message": "Unhandled exception in client_connected_cb", "exception": exc}
        )
        writer.close()


_SAVED = {}


async def install(relay=None):
    """Makes ``asyncio.open_connection``, ``asyncio.start_server``, ``asyncio.StreamReader``
    and ``asyncio.StreamWriter`` streamlab's (``uninstall()`` puts Pyodide's back); with
    ``relay``, sets :data:`RELAY`. A plain socket's ``connect()`` then fails at once (a page
    cannot open TCP), its note naming ``asyncio.open_connection``.

    It first finds streamlab's JavaScript API: the one a host page registered as
    ``_streamlab_js``, or else the WebAssembly and JS glue this package carries (the wheel),
    which it loads — in a page's main thread or a worker alike.
    """
    global RELAY, _js, _LOADING
    if relay is not None:
        RELAY = relay
    if _js is None:
        try:
            _registered()
        except RuntimeError:
            # One load however many install()s run at once (PyScript's async scripts can).
            if _LOADING is None:
                _LOADING = asyncio.ensure_future(_load_packaged())
            try:
                _js = await asyncio.shield(_LOADING)
            except BaseException:
                if _LOADING.done():
                    _LOADING = None  # a failed load may be tried again
                raise
    for module, name, ours in _PATCHES:
        # What was there: its own attribute, or nothing (inherited) — uninstall() restores it.
        _SAVED.setdefault((module, name), vars(module).get(name, _INHERITED))
        setattr(module, name, ours)


#: The packaged API being loaded by install(), while it loads.
_LOADING = None
#: In ``_SAVED``: the name was not the module's or class's own (a socket method it inherits).
_INHERITED = object()


def _no_tcp(self, address):
    """``socket.socket.connect`` in a page: Emscripten's emulation would seem to connect and
    fail later; this fails now, saying what can."""
    e = OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
    e.add_note(
        "A browser page cannot open TCP sockets. asyncio.open_connection can: streamlab's "
        "reaches the in-page *.demo servers, and other hosts through a relay."
    )
    raise e


def _no_tcp_ex(self, address):
    """``socket.socket.connect_ex``: the error number ``connect`` would raise."""
    return errno.EOPNOTSUPP


#: What install() replaces: (module or class, name, streamlab's).
_PATCHES = (
    *((m, "open_connection", open_connection) for m in (asyncio, asyncio.streams)),
    *((m, "start_server", start_server) for m in (asyncio, asyncio.streams)),
    *((m, "StreamReader", StreamReader) for m in (asyncio, asyncio.streams)),
    *((m, "StreamWriter", StreamWriter) for m in (asyncio, asyncio.streams)),
    (socket.socket, "connect", _no_tcp),
    (socket.socket, "connect_ex", _no_tcp_ex),
)


def _as_cpythons():
    """Gives streamlab's classes and functions CPython's module names and docstrings, so that
    ``repr()`` and ``help()`` show what they show in CPython (``<class
    'asyncio.streams.StreamReader'>``). Taken from Pyodide's own asyncio, whose text is
    CPython's."""
    from asyncio import base_events, streams

    pairs = ((StreamReader, streams.StreamReader), (StreamWriter, streams.StreamWriter), (Server, base_events.Server))
    for ours, theirs in pairs:
        ours.__module__ = theirs.__module__
        ours.__doc__ = theirs.__doc__
        for name, member in vars(ours).items():
            original = getattr(theirs, name, None)
            if original is not None and inspect.isfunction(member):
                member.__doc__ = original.__doc__
    extra = (
        "\n\nstreamlab: ``relay`` (default ``streamlab.RELAY``) is the ws:// URL of a streamlab relay "
        "to reach real TCP through; ``token``, the target's token when the relay wants one."
    )
    for ours, theirs in ((open_connection, streams.open_connection), (start_server, streams.start_server)):
        ours.__module__ = theirs.__module__
        ours.__doc__ = (theirs.__doc__ or "") + (extra if ours is open_connection else "")


_as_cpythons()


#: Loads wasm-bindgen's glue from its source, each ``./snippets/…`` module it imports from a
#: Blob URL (only its ``import`` lines are rewritten: the names the wasm imports stay as
#: they are), then the module's wasm from its bytes; resolves with the module.
_LOAD_GLUE = """
async (glue, snippets, wasm) => {
  const blob = (text) => URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  const urls = new Map();
  for (const [path, text] of snippets) urls.set(path, blob(text));
  const source = glue.replace(/^(import\\b[^'"]*)(['"])\\.\\/(snippets\\/[^'"]+)\\2/gm,
    (line, head, quote, path) => head + quote + (urls.get(path) ?? "./" + path) + quote);
  const module = await import(blob(source));
  await module.default({ module_or_path: wasm });
  return module;
}
"""


async def _load_packaged():
    """The JavaScript API from the files the wheel carries (``streamlab/wasm/``)."""
    from importlib import resources

    from pyodide.code import run_js
    from pyodide.ffi import register_js_module

    try:
        files = resources.files(__name__) / "wasm"
        glue = (files / "streamlab.js").read_text()
        wasm = (files / "streamlab_bg.wasm").read_bytes()
        snippets = [
            (f"snippets/{folder.name}/{file.name}", file.read_text())
            for folder in (files / "snippets").iterdir()
            for file in folder.iterdir()
        ]
    except (OSError, TypeError, ValueError) as e:
        raise ImportError(
            "streamlab: no JavaScript API registered as _streamlab_js and no WebAssembly in "
            f"this package ({e}): install streamlab's wheel, or register its JS module first"
        ) from None
    module = await run_js(_LOAD_GLUE)(glue, to_js(snippets), to_js(wasm))
    register_js_module("_streamlab_js", module)
    return module


def uninstall():
    """Puts Pyodide's own ``asyncio.open_connection``, stream classes and sockets back."""
    for (module, name), theirs in _SAVED.items():
        if theirs is _INHERITED:
            delattr(module, name)
        else:
            setattr(module, name, theirs)
    _SAVED.clear()
