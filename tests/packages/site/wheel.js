// Runs program.py in a Pyodide given the streamlab wheel alone — the same steps in a page's main
// thread and in a module worker (wheel-worker.js): no DOM is touched here.

/**
 * Loads the Pyodide at `pyodideUrl`, installs the wheel at `wheelUrl` with
 * `pyodide.loadPackage`, times `import streamlab; await streamlab.install()`, then runs
 * program.py with `RELAY` set to `relay`. Resolves with `{ python, output, installMs }`.
 */
export async function runWheel({ pyodideUrl, wheelUrl, relay }) {
  const { loadPyodide } = await import(new URL("pyodide.mjs", pyodideUrl).href);
  const pyodide = await loadPyodide({ indexURL: pyodideUrl });
  let output = "";
  const write = (text) => {
    output += `${text}\n`;
  };
  pyodide.setStdout({ batched: write });
  pyodide.setStderr({ batched: write });
  await pyodide.loadPackage(wheelUrl, { messageCallback: () => {}, errorCallback: write });
  const started = performance.now();
  await pyodide.runPythonAsync("import streamlab\nawait streamlab.install()");
  const installMs = performance.now() - started;
  pyodide.globals.set("RELAY", relay);
  const program = await (await fetch(new URL("program.py", import.meta.url))).text();
  try {
    await pyodide.runPythonAsync(program);
  } catch (e) {
    write(String(e.message ?? e));
  }
  const python = pyodide.runPython("import sys; sys.version.split()[0]");
  return { python, output, installMs };
}

/** The settings of a run from a page's query string: `pyodide`, `wheel` (URLs) and `relay`. */
export function settingsFrom(search, base) {
  const params = new URLSearchParams(search);
  const url = (name) => {
    const value = params.get(name);
    if (!value) throw new Error(`the ${name} parameter is missing`);
    return new URL(value, base).href;
  };
  return { pyodideUrl: url("pyodide"), wheelUrl: url("wheel"), relay: params.get("relay") ?? "" };
}
