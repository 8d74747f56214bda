// Every StreamReader / StreamWriter method the page offers: its argument fields, the Python
// source it stands for, and how its result prints in CPython's REPL. The parsing and the
// printing are the library's (parseBytes, bytesRepr, getExtraInfoRepr).

import { wasm } from "./wasm.js";
import { pyError } from "./session.js";

/** A Python number typed in a field: an int, a float, or None (as `null`). */
function pyNumber(text, name) {
  const t = text.trim();
  if (/^[+-]?\d(_?\d)*$/.test(t)) return Number(t.replaceAll("_", ""));
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t); // a float: the library raises CPython's TypeError
  if (t === "None") return null;
  throw pyError("SyntaxError", `invalid syntax in ${name}: ${t || "(empty)"}`);
}

/** A Python str literal (or a bare word) typed in a field. */
function pyText(text) {
  const t = text.trim();
  const m = /^(['"])(.*)\1$/.exec(t);
  return m ? m[2] : t;
}

const bytesArg = (text) => wasm().parseBytes(text);

/** The most bytes of one result the log prints. */
const SHOWN = 1024;

function showValue(v) {
  if (v === undefined || v === null) return null; // the REPL prints nothing for None
  if (v === true) return "True";
  if (v === false) return "False";
  if (v instanceof Uint8Array && v.length > SHOWN) {
    // The REPL would print it all; the page shows the start (a repr of SHOWN bytes) and the size.
    const head = wasm().bytesRepr(v.subarray(0, SHOWN));
    return `${head.slice(0, -1)}…${head.at(-1)} (${v.length.toLocaleString("en")} bytes)`;
  }
  if (v instanceof Uint8Array) return wasm().bytesRepr(v);
  return String(v);
}

const reader = (conn) => conn.reader;
const writer = (conn) => conn.writer;

/** The methods, in the order the page shows them. */
export const METHODS = [
  {
    name: "read", side: "reader", awaits: true,
    args: [{ name: "n", value: "-1", width: 6 }],
    hint: "up to n bytes as soon as any are there; n = -1: until EOF",
    source: (v) => `await reader.read(${v.n.trim()})`,
    parse: (v) => [pyNumber(v.n, "n")],
    run: (c, [n], o) => reader(c).read(n, o),
  },
  {
    name: "readline", side: "reader", awaits: true, args: [],
    hint: "one line with its b'\\n'; ValueError past the limit",
    source: () => "await reader.readline()",
    parse: () => [],
    run: (c, _a, o) => reader(c).readline(o),
  },
  {
    name: "readexactly", side: "reader", awaits: true,
    args: [{ name: "n", value: "5", width: 6 }],
    hint: "exactly n bytes, or IncompleteReadError at EOF",
    source: (v) => `await reader.readexactly(${v.n.trim()})`,
    parse: (v) => [pyNumber(v.n, "n")],
    run: (c, [n], o) => reader(c).readexactly(n, o),
  },
  {
    name: "readuntil", side: "reader", awaits: true,
    args: [{ name: "separator", value: "b'\\r\\n'", width: 14 }],
    hint: "through the separator (or a tuple of them); LimitOverrunError keeps the data",
    source: (v) => `await reader.readuntil(${v.separator.trim()})`,
    parse: (v) => [bytesArg(v.separator)],
    run: (c, [sep], o) => reader(c).readuntil(sep, o),
  },
  {
    name: "at_eof", side: "reader", awaits: false, args: [],
    hint: "EOF was fed and the buffer is empty",
    source: () => "reader.at_eof()",
    parse: () => [],
    run: (c) => reader(c).atEof(),
  },
  {
    name: "write", side: "writer", awaits: false,
    args: [{ name: "data", value: "b'GET / HTTP/1.0\\r\\n\\r\\n'", width: 24 }],
    hint: "queue bytes for sending; drain() waits while too much is queued",
    source: (v) => `writer.write(${v.data.trim()})`,
    parse: (v) => [bytesArg(v.data)],
    run: (c, [data]) => writer(c).write(data),
  },
  {
    name: "writelines", side: "writer", awaits: false,
    args: [{ name: "data", value: "[b'hello ', b'world\\n']", width: 24 }],
    hint: "the chunks, joined, as one write",
    source: (v) => `writer.writelines(${v.data.trim()})`,
    parse: (v) => [bytesArg(v.data)],
    run: (c, [data]) => writer(c).writelines(Array.isArray(data) ? data : [data]),
  },
  {
    name: "drain", side: "writer", awaits: true, args: [],
    hint: "waits while more than 64 KiB are queued, until at most 16 KiB are",
    source: () => "await writer.drain()",
    parse: () => [],
    run: (c, _a, o) => writer(c).drain(o),
  },
  {
    name: "write_eof", side: "writer", awaits: false, args: [],
    hint: "half-close: no more data from this side, reading goes on",
    source: () => "writer.write_eof()",
    parse: () => [],
    run: (c) => writer(c).writeEof(),
  },
  {
    name: "close", side: "writer", awaits: false, args: [],
    hint: "stop reading, flush what was written, then end the connection",
    source: () => "writer.close()",
    parse: () => [],
    run: (c) => writer(c).close(),
  },
  {
    name: "wait_closed", side: "writer", awaits: true, args: [],
    hint: "waits until the connection has ended",
    source: () => "await writer.wait_closed()",
    parse: () => [],
    run: (c, _a, o) => writer(c).waitClosed(o),
  },
  {
    name: "get_extra_info", side: "writer", awaits: false,
    args: [{ name: "name", value: "'peername'", width: 12 }],
    hint: "peername, sockname, socket, sslcontext",
    source: (v) => `writer.get_extra_info(${v.name.trim()})`,
    parse: (v) => [pyText(v.name)],
    run: (c, [name]) => ({ repr: writer(c).getExtraInfoRepr(name) }),
    show: (v) => (v.repr === "None" ? null : v.repr),
  },
].map((m) => ({ show: showValue, ...m }));

/** The method named `name`. */
export function method(name) {
  const m = METHODS.find((x) => x.name === name);
  if (!m) throw new Error(`no method ${name}`);
  return m;
}
