// The one connection model the page's buttons, examples (and later the Python console and
// embedders) all drive: a Session holds Connections; a Connection runs calls, keeps a bounded
// ring of its events and tells the views to redraw at most once per animation frame.

import { wasm } from "./wasm.js";

/** How many events a connection keeps (the timeline shows the newest). */
export const EVENT_RING = 2000;
/** How many log entries a connection keeps. */
export const LOG_RING = 200;
/** How many calls' method names a connection remembers (for the timeline's "waits" rows). */
const CALLS_KEPT = 256;

/** A fixed-size ring: push is O(1), memory stays bounded however long the session. */
export class Ring {
  constructor(size) {
    this.size = size;
    this.items = [];
    this.start = 0;
    this.dropped = 0;
  }
  push(item) {
    if (this.items.length < this.size) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.size;
      this.dropped++;
    }
  }
  /** The newest `n` items (or all), oldest first. */
  newest(n = this.items.length) {
    const k = Math.max(0, Math.min(n, this.items.length));
    const out = new Array(k);
    for (let i = 0; i < k; i++) out[i] = this.items[(this.start + this.items.length - k + i) % this.items.length];
    return out;
  }
  toArray() {
    return this.newest();
  }
  clear() {
    this.dropped += this.items.length;
    this.items = [];
    this.start = 0;
  }
  get length() {
    return this.items.length;
  }
  /** How many items were ever pushed (kept and dropped). */
  get total() {
    return this.items.length + this.dropped;
  }
}

let nextId = 1;

/** One connection (or a bare reader): its streams, events, log and chunk bookkeeping. */
export class Connection extends EventTarget {
  constructor({ host, port, limit, relay, ssl, serverHostname = null, via = "page" }) {
    super();
    this.serverHostname = serverHostname;
    this.via = via; // "page" (buttons, examples) or "python" (the console)
    this.id = nextId++;
    this.host = host;
    this.port = port;
    this.limit = limit;
    this.relay = relay;
    this.ssl = ssl;
    this.label = `${host}:${port}`;
    this.events = new Ring(EVENT_RING);
    this.log = new Ring(LOG_RING);
    this.started = performance.now();
    this.fed = 0; // bytes delivered to the reader in all
    this.chunkEnds = []; // cumulative offsets where chunks ended (bounded, see below)
    this.pending = new Map(); // log entry id -> AbortController of a waiting call
    this.state = "connecting";
    this.dirty = false;
    this.logVersion = 0; // grows whenever the log changes (the view redraws it only then)
    this.t0 = null; // the first event's time: the timeline's zero
    this.calls = new Map(); // call id -> method, for the newest CALLS_KEPT calls
    this.lastRead = null; // the newest finished read's callFinished event
  }

  /** `await asyncio.open_connection(...)`, logged as the REPL would show it. */
  async open() {
    const opts = { limit: this.limit };
    if (this.relay) opts.relay = this.relay;
    if (this.ssl) opts.ssl = true;
    if (this.serverHostname !== null) opts.serverHostname = this.serverHostname;
    const src = `reader, writer = await asyncio.open_connection(${pyStr(this.host)}, ${this.port}` +
      (this.limit !== 65536 ? `, limit=${this.limit}` : "") + (this.ssl ? ", ssl=True" : "") + ")";
    const entry = this.entry(src);
    try {
      this.adopt(await wasm().openConnection(this.host, this.port, opts));
      this.finish(entry, { ok: true, text: null });
      return true;
    } catch (err) {
      this.state = "failed";
      this.error = err;
      this.finish(entry, { ok: false, err });
      return false;
    }
  }

  /** Takes an open connection's `handle` (`{reader, writer, onEvent}`) as its own. */
  adopt(handle) {
    this.handle = handle; // the library's connection (what Python's streamlab module wraps)
    this.reader = handle.reader;
    this.writer = handle.writer;
    this.unsubscribe = handle.onEvent((e) => this.onEvent(e));
    this.state = "open";
    this.changed();
  }

  onEvent(e) {
    this.events.push(e);
    this.session?.onStreamEvent?.(this, e);
    this.t0 ??= e.t;
    if (e.type === "callStarted") {
      this.calls.set(e.id, e.method);
      if (this.calls.size > CALLS_KEPT) this.calls.delete(this.calls.keys().next().value);
    }
    if (e.type === "callFinished" && e.method.startsWith("read")) this.lastRead = e;
    if (e.type === "chunk") {
      this.fed += e.size;
      this.chunkEnds.push(this.fed);
      if (this.chunkEnds.length > 4096) this.chunkEnds.splice(0, 2048);
    }
    if (e.type === "connectionLost") this.state = e.error ? "lost" : "closed";
    this.changed();
  }

  /** Where chunks ended, as offsets into the reader's current buffer. */
  chunkBoundaries(buffered) {
    const consumed = this.fed - buffered;
    const out = [];
    for (const end of this.chunkEnds) if (end > consumed && end < this.fed) out.push(end - consumed);
    return out;
  }

  /** Starts a log entry for `src` (the Python the user would type). */
  entry(src) {
    const entry = { id: nextId++, src, t: performance.now() - this.started, state: "running" };
    this.log.push(entry);
    entry.version = 0;
    this.logVersion++;
    this.changed();
    return entry;
  }

  finish(entry, outcome) {
    Object.assign(entry, outcome, { state: "done", version: entry.version + 1 });
    this.pending.delete(entry.id);
    this.logVersion++;
    this.changed();
  }

  /**
   * Runs one call of `spec` (see methods.js) with its parsed arguments; logs it and its
   * result exactly as CPython's REPL shows them. Resolves to the outcome.
   */
  async call(spec, values, args = null) {
    const entry = this.entry(spec.source(values));
    if (!this.reader && spec.side !== "none") {
      this.finish(entry, { ok: false, err: pyError("NameError", "name 'reader' is not defined") });
      return entry;
    }
    if (!this.writer && spec.side === "writer") {
      // A bare StreamReader (made in Python) has no writer.
      this.finish(entry, { ok: false, err: pyError("NameError", "name 'writer' is not defined") });
      return entry;
    }
    try {
      args ??= spec.parse(values);
    } catch (err) {
      this.finish(entry, { ok: false, err });
      return entry;
    }
    if (!spec.awaits) {
      try {
        const value = spec.run(this, args);
        this.finish(entry, { ok: true, text: spec.show(value), value });
      } catch (err) {
        this.finish(entry, { ok: false, err });
      }
      return entry;
    }
    const abort = new AbortController();
    this.pending.set(entry.id, abort);
    entry.waitingSince = performance.now();
    try {
      const value = await spec.run(this, args, { signal: abort.signal });
      this.finish(entry, { ok: true, text: spec.show(value), value });
    } catch (err) {
      this.finish(entry, { ok: false, err });
    }
    return entry;
  }

  /** Cancels a waiting call (`task.cancel()`): it ends with CancelledError. */
  cancel(entryId) {
    this.pending.get(entryId)?.abort();
  }

  cancelAll() {
    for (const abort of this.pending.values()) abort.abort();
  }

  dispose() {
    this.cancelAll();
    this.unsubscribe?.();
    try {
      this.writer?.close();
    } catch { /* already closed */ }
  }

  /** Asks the views to redraw on the next animation frame (once, however many events). */
  changed() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.dispatchEvent(new Event("render"));
    });
  }
}

/** The page's connections, one of them shown. */
export class Session extends EventTarget {
  constructor() {
    super();
    this.connections = [];
    this.active = null;
    /** Called with (connection, event) for every event of every connection, when set. */
    this.onStreamEvent = null;
  }

  async open(params) {
    const conn = new Connection(params);
    conn.session = this;
    this.connections.push(conn);
    this.select(conn);
    await conn.open();
    return conn;
  }

  /** Shows a connection the library opened itself (a server's side of one), not selected. */
  adopt(handle, params) {
    const conn = new Connection(params);
    conn.session = this;
    conn.adopt(handle);
    this.connections.push(conn);
    this.dispatchEvent(new Event("change"));
    return conn;
  }

  select(conn) {
    this.active = conn;
    this.dispatchEvent(new Event("change"));
  }

  close(conn) {
    conn.dispose();
    this.connections = this.connections.filter((c) => c !== conn);
    if (this.active === conn) this.active = this.connections.at(-1) ?? null;
    this.dispatchEvent(new Event("change"));
  }
}

/** A Python str literal (repr) for text the page shows as source. */
export function pyStr(s) {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** An Error shaped like the library's Python errors. */
export function pyError(name, message) {
  const err = new Error(message);
  err.name = name;
  err.pythonLine = message ? `${name}: ${message}` : name;
  return err;
}
