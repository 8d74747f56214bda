// A small typed program over the whole JS API, type-checked (never run) against the generated
// declarations by `cargo xtask test`: `tsc --strict` with the default libs (tsconfig.json) and
// with lib esnext + dom (tsconfig.esnext.json). `exactly` proves a type is what is written, not
// `any`; each `@ts-expect-error` proves a wrong call is refused.

import init, {
  type Address,
  type BytesLike,
  type CallOptions,
  Connection,
  type ExtraInfo,
  type OpenOptions,
  type PythonError,
  type ReaderSnapshot,
  type SocketInfo,
  type SslContextInfo,
  type StreamEvent,
  StreamReader,
  StreamWriter,
  type WriterSnapshot,
  bytesRepr,
  demoServers,
  findSeparator,
  openConnection,
  parseBytes,
  waitFor,
} from "../../target/typescript/pkg/streamlab.js";

/** True only when `A` and `B` are the same type (`any` equals nothing else). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** `exactly<typeof x, T>(true)` compiles only if `x` is of type `T`. */
function exactly<A, B>(_same: Equal<A, B>): void {}

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

await init();

// openConnection: port as a number or a string, typed options.
const options: OpenOptions = { limit: 65536, relay: "ws://127.0.0.1:8765", ssl: false };
const connection: Connection = await openConnection("example.demo", 80, options);
const echo = await openConnection("echo.demo", "7");
await openConnection("example.demo", 443, { relay: null, ssl: true, serverHostname: "example.demo" });
await openConnection("example.demo", 80, { relay: "ws://127.0.0.1:6080", websockify: true });
const { reader, writer } = connection;
exactly<typeof reader, StreamReader>(true);
exactly<typeof writer, StreamWriter>(true);

// Events: a discriminated union, narrowed by `type`.
const unsubscribe = connection.onEvent((event: StreamEvent) => {
  exactly<typeof event.t, number>(true);
  switch (event.type) {
    case "chunk":
      exactly<typeof event.size, number>(true);
      break;
    case "callFinished":
      if (event.error !== undefined) console.log(event.error.pythonRepr);
      if (event.preview !== undefined) console.log(bytesRepr(event.preview));
      break;
    case "connectionLost":
      exactly<typeof event.error, PythonError | null>(true);
      break;
    case "write":
      exactly<typeof event.method, "write" | "writelines">(true);
      break;
  }
});
exactly<typeof unsubscribe, () => void>(true);
const stopReader: () => void = reader.onEvent((event) => console.log(event.type));

// Writing: bytes-like data, optional {signal} on the awaitables.
writer.write(encode("GET / HTTP/1.0\r\nHost: example.demo\r\n\r\n"));
writer.write(new ArrayBuffer(0));
writer.writelines([encode("a"), new ArrayBuffer(1)]);
const chunks: readonly BytesLike[] = [encode("b")];
writer.writelines(chunks);
exactly<ReturnType<StreamWriter["drain"]>, Promise<void>>(true);
await writer.drain();
const controller = new AbortController();
const call: CallOptions = { signal: controller.signal };
await writer.drain(call);

// Reading: every read resolves to a Uint8Array; every argument but readexactly's n optional.
const page = await reader.read(); // read(-1): until EOF
exactly<typeof page, Uint8Array>(true);
console.log(decode(page));
await reader.read(100);
await reader.read(-1, call);
await reader.read(undefined, { signal: controller.signal });
const line = await reader.readline();
exactly<typeof line, Uint8Array>(true);
await reader.readline(call);
exactly<Awaited<ReturnType<StreamReader["readexactly"]>>, Uint8Array>(true);
await reader.readexactly(4);
await reader.readexactly(4, call);
const untilNewline = await reader.readuntil();
exactly<typeof untilNewline, Uint8Array>(true);
await reader.readuntil(encode("\r\n"));
await reader.readuntil(new ArrayBuffer(1), call);
await reader.readuntil([encode("\r\n"), encode("\n")], call);
await reader.readuntil(undefined, call);
for await (const l of reader) {
  exactly<typeof l, Uint8Array>(true);
}

// Errors: PythonError with CPython's attributes.
try {
  await reader.readexactly(10);
} catch (e) {
  const error = e as PythonError;
  exactly<typeof error.partial, Uint8Array | undefined>(true);
  console.log(error.name, error.message, error.pythonRepr, error.expected, error.errno);
  exactly<typeof error.pythonLine, string | undefined>(true);
}
reader.readline().catch((e: PythonError) => e.consumed);

// waitFor keeps the Promise's type.
const timed = await waitFor(reader.readline(), 1.5);
exactly<typeof timed, Uint8Array>(true);
const drained = await waitFor(writer.drain(), 0.1);
exactly<typeof drained, void>(true);

// getExtraInfo: the default is optional (null), the result depends on the name.
const peer = writer.getExtraInfo("peername");
exactly<typeof peer, Address | null>(true);
if (peer !== null) {
  const [host, port] = peer;
  exactly<typeof host, string>(true);
  exactly<typeof port, number>(true);
}
const sockname = writer.getExtraInfo("sockname", "unknown");
exactly<typeof sockname, Address | "unknown">(true);
const socket = writer.getExtraInfo("socket");
exactly<typeof socket, SocketInfo | null>(true);
if (socket) console.log(socket.laddr[0], socket.raddr[1]);
const ssl = writer.getExtraInfo("sslcontext");
exactly<typeof ssl, SslContextInfo | null>(true);
const name: string = "peername";
const any = writer.getExtraInfo(name, 0);
exactly<typeof any, ExtraInfo | 0>(true);
console.log(writer.getExtraInfoRepr("peername"));

// Snapshots.
const readerState: ReaderSnapshot = reader.snapshot();
reader.snapshot(0, 16);
exactly<typeof readerState.waiting, { id: number; method: string; args: string; offset: number | null } | null>(true);
const writerState: WriterSnapshot = writer.snapshot();
exactly<typeof writerState.writeBufferLimits, [number, number]>(true);
exactly<typeof writerState.lost, PythonError | null | undefined>(true);

// The rest of the writer.
exactly<typeof writer.canWriteEof, () => boolean>(true);
if (writer.canWriteEof()) writer.writeEof();
writer.close();
exactly<typeof writer.isClosing, () => boolean>(true);
await writer.waitClosed();
await writer.waitClosed(call);
console.log(writer.toString(), reader.toString());
stopReader();
unsubscribe();
echo.writer.close();

// A bare reader, fed by hand.
const bare = new StreamReader(4);
new StreamReader();
bare.feedData(encode("ab\ncd"));
bare.feedData(new ArrayBuffer(2));
bare.feedEof();
exactly<typeof bare.limit, number>(true);
exactly<ReturnType<StreamReader["atEof"]>, boolean>(true);
exactly<ReturnType<StreamReader["buffered"]>, Uint8Array>(true);
const stored = bare.exception();
exactly<typeof stored, PythonError | null>(true);
bare.setException("ConnectionResetError", "Connection reset by peer", 104);
bare.setException("ValueError", "bad");
console.log(bare.atEof(), bytesRepr(bare.buffered()));
const literal = parseBytes("b'GET /\\r\\n'");
exactly<typeof literal, Uint8Array | Uint8Array[]>(true);
const found = findSeparator(encode("a\r\nb"), literal);
exactly<typeof found, [number, number] | null>(true);
findSeparator(encode("a\nb"));
for (const demo of demoServers()) console.log(demo.host, demo.port, demo.summary);
bare[Symbol.dispose](); // declared for the default libs too
new StreamReader().free();

// Wrong calls, never made: each must be a compile error.
export function refused(): void {
  // @ts-expect-error: a typo in the options (excess property check)
  void openConnection("example.demo", 80, { limt: 4 });
  // @ts-expect-error: a port is a number or a string of digits
  void openConnection("example.demo", true);
  // @ts-expect-error: read's n is a number
  void reader.read("x");
  // @ts-expect-error: readexactly's n is required
  void reader.readexactly();
  // @ts-expect-error: a separator is bytes, not a str (CPython's TypeError)
  void reader.readuntil("\n");
  // @ts-expect-error: a typo in the call options
  void reader.readline({ signl: controller.signal });
  // @ts-expect-error: writes take bytes, not a str
  writer.write("str");
  // @ts-expect-error: a separator is bytes
  findSeparator(encode("a"), "\n");
  // @ts-expect-error: writelines takes an array of bytes
  writer.writelines("str");
  // @ts-expect-error: a read is a Uint8Array, not a string
  const text: Promise<string> = reader.read();
  // @ts-expect-error: waitFor needs the seconds
  void waitFor(reader.read());
  // @ts-expect-error: waitFor keeps the type
  const wrong: Promise<string> = waitFor(reader.read(), 1);
  // @ts-expect-error: a Connection comes from openConnection only
  new Connection();
  // @ts-expect-error: so does a StreamWriter
  new StreamWriter();
  // @ts-expect-error: the limit is read-only
  bare.limit = 5;
  // @ts-expect-error: events are the listed ones
  connection.onEvent((event) => event.type === "chunkk");
  void text;
  void wrong;
}
