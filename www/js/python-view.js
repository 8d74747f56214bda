// The Python panel: a console that behaves as `python -m asyncio` does (banner, >>> and ...
// prompts, top-level await, repr results, tracebacks, history kept across reloads, Tab
// indents, Ctrl-C and Stop cancel the running statement) and a script editor that runs a whole
// program as `python script.py` would. Python loads on first use; the buttons never wait for it.

import { python, canBlock, oneScriptAtATime } from "./python.js";
import { wasm } from "./wasm.js";

const HISTORY_KEY = "streamlab.python.history";
const HISTORY_MAX = 200;

/**
 * The panel of the playground in `root` (its state flags — `data-python`, `data-python-busy`,
 * `data-script-running` — on `flags`), wired to `openConnection(host, port, options)` and the
 * others (the playground's Session).
 */
export function initPython(root, flags, { openConnection: open, startServer: serve, newStreamReader, forget, scripts }) {
  const $ = (sel) => root.querySelector(sel);
  // What a running script opened and served, closed when it ends (as a process's sockets are
  // at exit); its tabs stay for a look until the next run, when forget(handles) drops them.
  let opened = null;
  let servers = null;
  let lastRun = [];
  const openConnection = async (...args) => {
    const handle = await open(...args);
    opened?.push(handle);
    return handle;
  };
  const startServer = serve && (async (onConnection, ...args) => {
    const server = await serve((handle) => {
      opened?.push(handle);
      onConnection(handle);
    }, ...args);
    servers?.push(server);
    return server;
  });
  // scripts: [{id, title}], each with www/py/examples/ID.py
  const out = $("#py-out");
  const input = $("#py-in");
  const prompt = $("#py-prompt");
  const status = $("#py-status");
  const scriptOut = $("#py-script-out");
  let sink = out; // where stdout and stderr go: the console, or the script's output
  let runtime = null; // {rt, console, page}
  let more = false;
  const queue = [];
  let busy = false;
  let history = [];
  try {
    history = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]").filter((h) => typeof h === "string");
  } catch { /* storage off, or not ours: start empty */ }
  let at = history.length; // the history entry shown (history.length: the line being typed)
  let draft = "";

  const write = (cls) => (text) => {
    const last = sink.lastChild;
    if (last?.className === cls) last.textContent += text;
    else {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text;
      sink.append(span);
    }
    sink.scrollTop = sink.scrollHeight;
  };
  // What Python prints, also told to whoever embeds the playground (a `streamlab-output`
  // event on `flags`: embed.html's postMessage API, a tutorial's script).
  const told = (cls) => {
    const show = write(cls);
    return (text) => {
      show(text);
      flags.dispatchEvent(new CustomEvent("streamlab-output", { detail: { stream: cls, text } }));
    };
  };
  const stdout = told("stdout");
  const stderr = told("stderr");
  const echo = write("echo");

  function progress(text, fraction) {
    status.hidden = !text;
    status.querySelector("span").textContent = text;
    status.querySelector("progress").value = fraction;
  }

  let starting = null;
  /** Python for this panel, started once (the page's Pyodide, loaded on first use). */
  function start() {
    starting ??= (async () => {
      input.placeholder = "";
      try {
        const rt = await python(progress);
        const api = { openConnection, startServer, StreamReader: wasm().StreamReader, newStreamReader };
        const page = rt.page(api, (t) => stdout(t), (t) => stderr(t));
        runtime = { rt, page, console: rt.console(page) };
      } catch (e) {
        starting = null;
        progress("", 1);
        stderr(`Python could not start: ${e.message ?? e}\n`);
        throw e;
      }
      sink = out;
      write("stdout")(runtime.rt.banner); // the console's own, not the program's output
      echo(">>> import asyncio\n");
      if (!canBlock) {
        stderr("This browser lacks JavaScript Promise Integration: asyncio.run() cannot block here. " +
          "Use top-level await in the console (await main()).\n");
      }
      flags.dataset.python = "ready";
      return runtime;
    })();
    return starting;
  }

  function setPrompt() {
    prompt.textContent = more ? "..." : ">>>";
  }

  async function drainQueue() {
    if (busy) return;
    busy = true;
    flags.dataset.pythonBusy = "1";
    try {
      const rt = await start();
      while (queue.length) {
        const line = queue.shift();
        echo(`${more ? "..." : ">>>"} ${line}\n`);
        more = await rt.console.push(line);
        setPrompt();
      }
    } catch { /* reported by start() */ } finally {
      busy = false;
      delete flags.dataset.pythonBusy;
    }
  }

  function submit(text) {
    for (const line of text.split("\n")) {
      queue.push(line);
      if (line.trim()) {
        if (history.at(-1) !== line) history.push(line);
        if (history.length > HISTORY_MAX) history.splice(0, history.length - HISTORY_MAX);
      }
    }
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    } catch { /* storage off */ }
    at = history.length;
    draft = "";
    drainQueue();
  }

  function interrupt() {
    if (!runtime) return;
    queue.length = 0;
    const wasRunning = runtime.console.interrupt();
    if (!wasRunning) {
      more = false;
      setPrompt();
      input.value = "";
    }
  }

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      const text = input.value;
      input.value = "";
      submit(text);
    } else if (indents(e, input.value || more)) {
      e.preventDefault();
      input.setRangeText("    ", input.selectionStart, input.selectionEnd, "end");
    } else if (e.key === "c" && e.ctrlKey && input.selectionStart === input.selectionEnd) {
      e.preventDefault();
      interrupt();
    } else if (e.key === "ArrowUp" && !input.value.slice(0, input.selectionStart).includes("\n")) {
      if (at === 0) return;
      e.preventDefault();
      if (at === history.length) draft = input.value;
      input.value = history[--at];
    } else if (e.key === "ArrowDown" && !input.value.slice(input.selectionEnd).includes("\n")) {
      if (at >= history.length) return;
      e.preventDefault();
      at++;
      input.value = at === history.length ? draft : history[at];
    }
  });
  input.addEventListener("focus", () => {
    if (!runtime) start().catch(() => {});
  }, { once: true });
  $("#py-stop").addEventListener("click", interrupt);

  // ---- the script editor ----
  const source = $("#py-source");
  const pick = $("#py-example");
  pick.innerHTML = `<option value="">an example…</option>` +
    scripts.map((s) => `<option value="${s.id}">${s.title}</option>`).join("");
  pick.addEventListener("change", async () => {
    const s = scripts.find((x) => x.id === pick.value);
    if (s) source.value = await scriptOf(s);
  });
  source.addEventListener("keydown", (e) => {
    if (indents(e, true)) {
      e.preventDefault();
      source.setRangeText("    ", source.selectionStart, source.selectionEnd, "end");
    }
  });
  $("#py-run").addEventListener("click", () => runScript(source.value));

  async function runScript(text) {
    const { rt, page } = await start();
    $("#py-run").disabled = true;
    flags.dataset.scriptRunning = "1";
    return oneScriptAtATime(async () => {
      scriptOut.replaceChildren();
      sink = scriptOut;
      forget?.(lastRun);
      opened = [];
      servers = [];
      try {
        const status = await (canBlock ? rt.runScript.callPromising(text, page) : rt.runScript(text, page));
        return { status, stdout: textOf(scriptOut, "stdout"), stderr: textOf(scriptOut, "stderr") };
      } finally {
        for (const server of servers) server.close();
        for (const handle of opened) handle.writer?.close();
        lastRun = opened;
        opened = servers = null;
        sink = out;
        $("#py-run").disabled = false;
        delete flags.dataset.scriptRunning;
      }
    });
  }

  // ---- tabs: console | script ----
  const tabs = [...root.querySelectorAll("#python [role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      for (const t of tabs) {
        t.setAttribute("aria-selected", String(t === tab));
        $(`#${t.getAttribute("aria-controls")}`).hidden = t !== tab;
      }
    });
  }

  return { start, submit, interrupt, runScript, source: () => source.value, setScript: (text) => {
    source.value = text;
  }, clearOutput: () => scriptOut.replaceChildren(), showScript: (text) => {
    source.value = text;
    tabs.find((t) => t.id === "py-tab-script")?.click();
  } };
}

/**
 * Whether Tab indents (in code being typed, `where` true) rather than moving the focus on.
 * Escape, then Tab, always moves on: no keyboard trap.
 */
let escaped = false;
function indents(e, where) {
  if (e.key !== "Tab") {
    escaped = e.key === "Escape";
    return false;
  }
  const indent = !e.shiftKey && !escaped && Boolean(where);
  escaped = false;
  return indent;
}

/** An example's script (www/py/examples/ID.py). */
export async function scriptOf(example) {
  const res = await fetch(new URL(`../py/examples/${example.id}.py`, import.meta.url));
  if (!res.ok) throw new Error(`${example.id}.py: ${res.status}`);
  return res.text();
}

function textOf(el, cls) {
  return [...el.querySelectorAll(`.${cls}`)].map((s) => s.textContent).join("");
}
