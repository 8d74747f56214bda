// The page's Python: Pyodide (CPython 3.13, served with the page from dist/pyodide/), loaded
// on first use, with the `streamlab` module installed — asyncio.open_connection and the stream
// classes are streamlab's — and the console of www/py/console.py. Connections Python opens go
// through the page's Session, so they appear in the tabs, the buffer view and the timeline.

import { wasm } from "./wasm.js";

const here = (path) => new URL(path, import.meta.url).href;

let loading = null;

/**
 * Pyodide with streamlab, loaded once (later calls share it). `hooks.openConnection` (host,
 * port, options) opens a connection for Python and `hooks.startServer` starts a server (both
 * through the page's Session, so their connections get tabs), `hooks.newStreamReader(limit)`
 * makes a bare reader the views show; `progress(text, fraction)`
 * reports the load; `out(text)` / `err(text)` receive stdout and stderr as they are written.
 */
export function python(hooks) {
  loading ??= load(hooks).catch((e) => {
    loading = null;
    throw e;
  });
  return loading;
}

/** Whether this browser can run `asyncio.run()` in the page (JavaScript Promise Integration). */
export const canBlock = typeof WebAssembly.Suspending === "function";

async function load({ openConnection, startServer, newStreamReader, progress, out, err }) {
  progress("Loading Python 3.13 (Pyodide)…", 0.1);
  const { loadPyodide } = await import(here("../pyodide/pyodide.mjs"));
  progress("Starting Python…", 0.4);
  const py = await loadPyodide({ indexURL: here("../pyodide/"), fullStdLib: false });
  progress("Installing streamlab…", 0.85);
  const sink = (write) => {
    const decoder = new TextDecoder();
    return { write: (bytes) => (write(decoder.decode(bytes, { stream: true })), bytes.length) };
  };
  py.setStdout(sink(out));
  py.setStderr(sink(err));
  const api = wasm();
  py.registerJsModule("_streamlab_js", {
    openConnection: openConnection ?? api.openConnection,
    startServer: startServer ?? api.startServer,
    StreamReader: api.StreamReader,
    ...(newStreamReader ? { newStreamReader } : {}),
  });
  for (const name of ["streamlab.py", "console.py"]) {
    const res = await fetch(here(`../py/${name}`));
    if (!res.ok) throw new Error(`${name}: ${res.status}`);
    py.FS.writeFile(`/home/pyodide/${name}`, await res.text());
  }
  py.runPython(`
import sys
sys.path.insert(0, "/home/pyodide")
import streamlab, console
streamlab.install()
`);
  const mod = py.pyimport("console");
  progress("", 1);
  return { py, console: mod.Console(), runScript: mod.run_script, banner: mod.BANNER };
}
