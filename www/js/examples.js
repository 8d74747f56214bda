// The examples: each opens its connection and steps through calls, one click each, with a
// sentence on what to watch. Steps run through the same Connection.call as the buttons.

const text = (bytes) => new TextDecoder().decode(bytes);

/** The examples, in the order the menu lists them. */
export const EXAMPLES = [
  {
    id: "web-page",
    title: "Download a web page",
    host: "example.demo", port: 80,
    intro: "An HTTP/1.1 exchange: the status line and the headers with readline(), then the body by its Content-Length — read() would wait for an EOF that keep-alive never sends.",
    steps: [
      { m: "write", v: { data: "b'GET / HTTP/1.1\\r\\nHost: example.demo\\r\\n\\r\\n'" }, note: "Send the request. write() only queues the bytes." },
      { m: "readline", note: "The status line arrives with its b'\\r\\n': readline() stops at b'\\n'." },
      { m: "readline", repeat: "until-blank", note: "Each header is a line; the blank line b'\\r\\n' ends them (watch the buffer shrink)." },
      { m: "readexactly", v: (ctx) => ({ n: String(ctx.contentLength ?? 146) }), note: "Exactly Content-Length bytes: the whole body, and nothing waits." },
    ],
  },
  {
    id: "echo",
    title: "Echo with readline",
    host: "echo.demo", port: 7,
    intro: "echo.demo sends every byte back. readline() returns one line at a time, whatever the chunks were.",
    steps: [
      { m: "write", v: { data: "b'hello\\n'" }, note: "Queue a line." },
      { m: "drain", note: "drain() returns at once: nothing much is queued." },
      { m: "readline", note: "The echo: one line, with its newline." },
      { m: "writelines", v: { data: "[b'two\\nli', b'nes\\n']" }, note: "Two chunks, joined into one write: two lines." },
      { m: "readline", note: "The first line…" },
      { m: "readline", note: "…and the second: lines do not follow chunk boundaries." },
    ],
  },
  {
    id: "frames",
    title: "Length-prefixed frames with readexactly",
    host: "echo.demo", port: 7,
    intro: "A 4-byte big-endian length, then the payload: readexactly() reads each part whole.",
    steps: [
      { m: "write", v: { data: "b'\\x00\\x00\\x00\\x05hello\\x00\\x00\\x00\\x03abc'" }, note: "Two frames in one write." },
      { m: "readexactly", v: { n: "4" }, note: "The first length prefix." },
      { m: "readexactly", v: (ctx) => ({ n: String(ctx.frameLength ?? 5) }), note: "Exactly that many bytes: b'hello'." },
      { m: "readexactly", v: { n: "4" }, note: "The next prefix." },
      { m: "readexactly", v: (ctx) => ({ n: String(ctx.frameLength ?? 3) }), note: "b'abc'." },
      { m: "readexactly", v: { n: "4" }, note: "No frame is left: this one waits. Press Cancel in the results — or write more." , mayWait: true },
    ],
  },
  {
    id: "overrun",
    title: "LimitOverrunError on big.demo, and recovering",
    host: "big.demo", port: 9003,
    intro: "big.demo sends a 150,000-byte line: more than the 64 KiB limit. readuntil() raises LimitOverrunError and keeps the data; read(consumed) takes it away.",
    steps: [
      { m: "readuntil", v: { separator: "b'\\n'" }, note: "The separator is not within the limit: LimitOverrunError, with consumed. The buffer is untouched." },
      { m: "read", v: (ctx) => ({ n: String(ctx.consumed ?? 65536) }), note: "read(consumed) drops what cannot be part of a short line." },
      { m: "readuntil", v: { separator: "b'\\n'" }, repeat: "recover", note: "Again, until the newline is within the limit (each overrun is recovered with read(consumed))." },
      { m: "readline", note: "The next line is short: it comes whole." },
    ],
  },
  {
    id: "eof-never",
    title: "read() waits for an EOF that never comes",
    host: "silent.demo", port: 9002,
    intro: "read() with no argument reads until EOF. silent.demo never closes, so read() waits forever — as it does on an HTTP/1.1 keep-alive connection.",
    steps: [
      { m: "read", v: { n: "-1" }, mayWait: true, note: "It waits: see waiting in the buffer view. The peer never sends EOF." },
      { cancel: true, note: "Cancel it (task.cancel()): CancelledError, and nothing is lost." },
      { m: "at_eof", note: "False: no EOF has come." },
    ],
  },
  {
    id: "drip",
    title: "Partial reads on drip.demo",
    host: "drip.demo", port: 9000,
    intro: "drip.demo sends a line in small pieces with pauses. read(100) returns whatever has arrived; readline() waits for the newline.",
    steps: [
      { m: "read", v: { n: "100" }, note: "Only the first piece: read(n) returns as soon as any bytes are there." },
      { m: "read", v: { n: "100" }, note: "The next piece, after a pause." },
      { m: "readline", note: "readline() waits until the newline arrives, then returns the whole rest of the line." },
      { m: "readline", note: "The next line, in pieces too." },
    ],
  },
  {
    id: "half-close",
    title: "write_eof(): half-close on echo.demo",
    host: "echo.demo", port: 7,
    intro: "write_eof() sends EOF but keeps reading: echo.demo sends the rest back, then its own EOF.",
    steps: [
      { m: "write", v: { data: "b'all I have to say'" }, note: "Queue the last words." },
      { m: "write_eof", note: "Half-close: no more writes, reading goes on." },
      { m: "read", v: { n: "-1" }, note: "read() until EOF: the echo, then the echo's own EOF." },
      { m: "at_eof", note: "True: EOF came and the buffer is empty." },
      { m: "write", v: { data: "b'more'" }, note: "Writing after write_eof() is a RuntimeError." },
    ],
  },
  {
    id: "drain",
    title: "drain() with large writes",
    host: "echo.demo", port: 7, relay: "this",
    intro: "write() never blocks: it queues. drain() waits while more than 64 KiB are queued, until at most 16 KiB are — watch the writer's meter. (Over a relay the queue is real; in-page it drains at once.)",
    steps: [
      { m: "write", v: { data: "b'x' * 1048576" }, data: () => new Uint8Array(1 << 20).fill(120), note: "1 MiB queued at once." },
      { m: "drain", note: "drain() waits until the queue is down to the low-water mark." },
      { m: "readexactly", v: { n: "1048576" }, note: "The echo: all of it." },
    ],
  },
];

/** Learns what later steps need from a finished step (Content-Length, a frame's length…). */
export function learn(ctx, step, entry) {
  if (entry.ok && entry.value instanceof Uint8Array) {
    const t = text(entry.value);
    const m = /^content-length:\s*(\d+)/i.exec(t);
    if (m) ctx.contentLength = Number(m[1]);
    if (step.m === "readexactly" && entry.value.length === 4) {
      ctx.frameLength = new DataView(entry.value.buffer, entry.value.byteOffset, 4).getUint32(0);
    }
  }
  if (!entry.ok && entry.err?.name === "LimitOverrunError") ctx.consumed = entry.err.consumed;
}
