// The page's Python: Pyodide (CPython 3.13, served with the page from dist/pyodide/ unless
// configure() names another copy), loaded
// on first use, with the `streamlab` module installed — asyncio.open_connection and the stream
// classes are streamlab's — and the console of www/py/console.py. Connections a playground's
// Python opens go through its Session, so they appear in its tabs, buffer view and timeline.

import { wasm } from "./wasm.js";

// Literal `new URL(…, import.meta.url)`s: bundlers (Vite) see them and ship the files.
const SOURCES = [
  ["streamlab.py", new URL("../py/streamlab.py", import.meta.url)],
  ["console.py", new URL("../py/console.py", import.meta.url)],
];

/** Where Pyodide 0.29.x comes from: the folder beside the page's files unless configured. */
let pyodideUrl = new URL("../pyodide/", import.meta.url).href;

let loading = null;

/**
 * Settings of the page's Python, given before a playground first needs it:
 * `pyodideUrl` is the folder of a Pyodide 0.29.x (npm's `pyodide` package: its `pyodide.mjs`,
 * `pyodide.asm.js`, `pyodide.asm.wasm`, `python_stdlib.zip`, `pyodide-lock.json`), relative to
 * the document or absolute.
 *
 *     configure({ pyodideUrl: "/static/pyodide/" });
 */
export function configure({ pyodideUrl: url, ...rest } = {}) {
  const unknown = Object.keys(rest);
  if (unknown.length) throw new TypeError(`configure(): unknown setting ${unknown[0]}`);
  if (url === undefined) return;
  if (typeof url !== "string" || !url) throw new TypeError("configure(): pyodideUrl must be a non-empty string");
  if (loading) throw new Error("configure(): Python has loaded already; configure it before the first playground needs it");
  const folder = new URL(url, document.baseURI).href;
  pyodideUrl = folder.endsWith("/") ? folder : `${folder}/`;
}

/**
 * Pyodide with streamlab, loaded once per page (every playground on it shares it).
 * `progress(text, fraction)` reports the load (to every caller while it loads). Resolves with
 * `{console(page), runScript(source, page), page(api, out, err), banner}`: a `page` is one
 * playground's — the JS API its Python talks to (`openConnection(host, port, options)`,
 * `startServer`, `StreamReader`, `newStreamReader(limit)`: through its Session, so its views
 * show them) and `out(text)` / `err(text)`, where its stdout and stderr go as written.
 */
export function python(progress) {
  watchers.add(progress);
  loading ??= load((text, fraction) => {
    for (const w of watchers) w(text, fraction);
    if (fraction >= 1) watchers.clear();
  }).catch((e) => {
    loading = null;
    for (const w of watchers) w("", 1);
    watchers.clear();
    throw e;
  });
  return loading;
}
const watchers = new Set();

/** Whether this browser can run `asyncio.run()` in the page (JavaScript Promise Integration). */
export const canBlock = typeof WebAssembly.Suspending === "function";

let scripts = Promise.resolve();
/** Runs `run()` after every script started before it ended: one script at a time per page
 *  (scripts share `__main__` and the event loop's `asyncio.run`). */
export function oneScriptAtATime(run) {
  const turn = scripts.then(run, run);
  scripts = turn.catch(() => {});
  return turn;
}

async function load(progress) {
  progress("Loading Python 3.13 (Pyodide)…", 0.1);
  const { loadPyodide } = await import(/* @vite-ignore */ `${pyodideUrl}pyodide.mjs`);
  progress("Starting Python…", 0.4);
  const py = await loadPyodide({ indexURL: pyodideUrl, fullStdLib: false });
  progress("Installing streamlab…", 0.85);
  // Output of code that runs for no playground (e.g. a task nobody's console started).
  py.setStdout({ batched: (text) => console.log(text) });
  py.setStderr({ batched: (text) => console.error(text) });
  py.registerJsModule("_streamlab_js", wasm());
  for (const [name, url] of SOURCES) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${name}: ${res.status}`);
    py.FS.writeFile(`/home/pyodide/${name}`, await res.text());
  }
  await py.runPythonAsync(`
import sys
sys.path.insert(0, "/home/pyodide")
import streamlab, console
await streamlab.install()
console.route_output()
`);
  const mod = py.pyimport("console");
  progress("", 1);
  return {
    page: (api, out, err) => mod.Page(api, out, err),
    console: (page) => mod.Console(page),
    runScript: mod.run_script,
    banner: mod.BANNER,
  };
}
