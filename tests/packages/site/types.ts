// The npm package's TypeScript types as an app sees them through package.json's `exports`
// (tsc --strict, moduleResolution bundler): `streamlab` and `streamlab/element`.
import init, { openConnection, StreamReader } from "streamlab";
import { configure, PYODIDE_CDN, StreamPlayground } from "streamlab/element";

configure({ pyodideUrl: PYODIDE_CDN });
await init();
const { reader, writer } = await openConnection("example.demo", 80, { limit: 1024 });
writer.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
await writer.drain();
const line: Uint8Array = await reader.readline();
const bare: StreamReader = new StreamReader(4);
const element: StreamPlayground = document.createElement("stream-playground");
// @ts-expect-error: the types refuse a str where CPython wants bytes
writer.write("hello");
// @ts-expect-error: and an unknown setting
configure({ pyodide: "/x/" });
export { bare, element, line };
