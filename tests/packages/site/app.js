// A tutorial author's page built on the npm package: the JS API reads the in-page demo web
// server, and a <stream-playground> (app.html) runs its script in the page's Python. The static
// route rewrites the two bare specifiers to URLs; Vite resolves them from node_modules.
import init, { bytesRepr, openConnection } from "streamlab";
import { configure } from "streamlab/element";

// The playground's Python from the site's own copy of npm's Pyodide, not Pyodide's CDN.
configure({ pyodideUrl: new URL("/pyodide-0.29.3/", location.href).href });

try {
  await init();
  await init(); // again: one wasm, however often
  const { reader, writer } = await openConnection("example.demo", 80);
  writer.write(new TextEncoder().encode("GET / HTTP/1.0\r\nHost: example.demo\r\n\r\n"));
  await writer.drain();
  const status = await reader.readline();
  const rest = await reader.read();
  window.apiResult = { status: bytesRepr(status), eof: reader.atEof(), more: rest.length > 0 };
} catch (e) {
  window.apiResult = { error: `${e}\n${e?.stack ?? ""}` };
}
