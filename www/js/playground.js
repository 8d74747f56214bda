// One playground: the connection bar, the method buttons, the results log, the buffer view,
// the timeline, the examples and the Python panel, wired to one Session. Every view renders
// from the connection's snapshots and events, at most once per animation frame. The page, the
// embed and each <stream-playground> make one, in their own root.

import { wasm } from "./wasm.js";
import { Session } from "./session.js";
import { METHODS, method } from "./methods.js";
import { EXAMPLES, learn } from "./examples.js";
import { initPython } from "./python-view.js";
import { PLAYGROUND_HTML } from "./markup.js";
import { VIEWS } from "./settings.js";
import { toFragment } from "./permalink.js";
import "./buffer-view.js";
import "./timeline-view.js";

export const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** The log shows at most this much of one result (the REPL would print it all). */
const CLIP = 600;
/** The most log entries drawn (the ring keeps more). */
const LOG_SHOWN = 60;
const clip = (t) => (t.length > CLIP ? `${t.slice(0, CLIP)}… (${(t.length - CLIP).toLocaleString("en")} more characters)` : t);

function entryHtml(e) {
  let out = "";
  if (e.state === "running") {
    out = `<div class="waiting">waiting… <button type="button" class="small" data-cancel="${e.id}">Cancel</button></div>`;
  } else if (e.ok) {
    out = e.text === null || e.text === undefined ? "" : `<div class="value">${esc(clip(e.text))}</div>`;
  } else {
    const line = e.err?.pythonLine ?? `${e.err?.name ?? "Error"}: ${e.err?.message ?? e.err}`;
    const [cls, ...rest] = line.split(": ");
    out = `<div class="error"><span class="tb">Traceback (most recent call last): …</span>` +
      `<span class="exc"><b>${esc(cls)}</b>${rest.length ? `: ${esc(rest.join(": "))}` : ""}</span></div>`;
  }
  return `<div class="entry" data-entry="${e.id}" data-v="${e.version}"><div class="src"><span class="prompt">&gt;&gt;&gt;</span> ${esc(e.src)}</div>${out}</div>`;
}

/** Whether `el` is scrolled to its end (then it follows what is appended). */
const atEnd = (el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 8;

function stepSource(step, ctx) {
  if (step.cancel) return "task.cancel()";
  const vals = typeof step.v === "function" ? step.v(ctx) : (step.v ?? {});
  return method(step.m).source(vals);
}

/** Where a Share link opens: the full playground beside these files. */
const SHARED_PAGE = new URL("../", import.meta.url);

/**
 * Fills `root` (an element: the page's <main>, or a <div> in a shadow root) with a playground
 * and wires it; state flags (`data-ready`, `data-python`, …) go on `flags`. Call after `ready`
 * (wasm.js). Returns its API: `{session, run, loadExample, stepExample, runExample, python,
 * configure, state}`.
 */
export function createPlayground(root, flags) {
  root.innerHTML = PLAYGROUND_HTML;
  const $ = (sel) => root.querySelector(sel);
  const session = new Session();
  const fields = new Map(); // "method.arg" -> <input>
  let relayHere = false; // the page was served by a relay (it answers /demo.json)

  // ---- the connection bar ----

  async function initConnectBar() {
    const demos = wasm().demoServers();
    // A relay that serves the page says so in the page's own response (Server-Timing), so no
    // request is needed to find out — and none fails on a plain static host.
    const nav = performance.getEntriesByType("navigation")[0];
    relayHere = Boolean(nav?.serverTiming?.some((t) => t.name === "streamlab-relay"));
    if (!relayHere) $("#relay option[value=this]").disabled = true;
    $("#demo-hosts").innerHTML = demos.map((d) => `<option value="${d.host}">${esc(d.host)}:${d.port} — ${esc(d.summary)}</option>`).join("");
    const summary = () => {
      const d = demos.find((x) => x.host === $("#host").value.trim().toLowerCase());
      $("#demo-summary").textContent = d ? `${d.host}:${d.port} — ${d.summary}` : "";
      if (d && root.getRootNode().activeElement === $("#host")) $("#port").value = d.port;
    };
    $("#host").addEventListener("input", summary);
    summary();
    $("#relay").addEventListener("change", () => {
      $(".relay-url").hidden = $("#relay").value !== "url";
    });
    $("#connect-form").addEventListener("submit", (e) => {
      e.preventDefault();
      openFromForm();
    });
  }

  function relayUrl(choice) {
    if (choice === "this") return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
    if (choice === "url") return $("#relay-url").value.trim();
    return null;
  }

  async function openFromForm() {
    const limit = Number($("#limit").value.trim() || "65536");
    const port = $("#port").value.trim();
    return session.open({
      host: $("#host").value.trim(),
      port: /^\d+$/.test(port) ? Number(port) : port,
      limit,
      relay: relayUrl($("#relay").value),
      ssl: $("#ssl").checked,
    });
  }

  // ---- the methods ----

  function initMethods() {
    for (const m of METHODS) {
      const box = document.createElement("div");
      box.className = "method";
      const argsHtml = m.args.map((a) =>
        `<label class="arg"><span class="visually-hidden">${a.name}</span><input data-arg="${a.name}" value="${esc(a.value)}" size="${a.width}" spellcheck="false" autocomplete="off" aria-label="${m.name} ${a.name}"></label>`).join("");
      box.innerHTML = `<button type="button" class="call" data-method="${m.name}" title="${esc(m.hint)}">` +
        `${m.awaits ? '<span class="await">await</span> ' : ""}${m.name}</button>${argsHtml}`;
      for (const input of box.querySelectorAll("input")) {
        fields.set(`${m.name}.${input.dataset.arg}`, input);
        input.addEventListener("keydown", (e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            run(m.name);
          }
        });
        if (m.name === "readuntil") input.addEventListener("input", render);
      }
      box.querySelector("button").addEventListener("click", () => run(m.name));
      $(m.side === "reader" ? "#reader-methods" : "#writer-methods").append(box);
    }
  }

  function values(name) {
    const out = {};
    for (const a of method(name).args) out[a.name] = fields.get(`${name}.${a.name}`).value;
    return out;
  }

  async function run(name, vals = null, args = null) {
    const conn = session.active;
    if (!conn) {
      await openFromForm();
      return run(name, vals, args);
    }
    return conn.call(method(name), vals ?? values(name), args);
  }

  // ---- rendering ----

  function renderTabs() {
    const tabs = $("#tabs");
    // Redrawn only when a tab changed (so a focused tab keeps its focus while data flows).
    const key = session.connections.map((c) => `${c.id}${c === session.active ? "*" : ""}${c.state}`).join(",");
    if (tabs.dataset.key === key) return;
    tabs.dataset.key = key;
    tabs.innerHTML = session.connections.map((c) =>
      `<div class="tab${c === session.active ? " active" : ""}">` +
      `<button type="button" role="tab" aria-selected="${c === session.active}" data-id="${c.id}">` +
      `<span class="dot ${c.state}" aria-hidden="true"></span>${esc(c.label)}${c.relay ? " · relay" : ""}${c.via === "python" ? " · py" : c.via === "server" ? " · server" : ""}</button>` +
      `<button type="button" class="ghost close-tab" data-close="${c.id}" aria-label="Close ${esc(c.label)}">✕</button></div>`).join("");
    $("#no-connection").hidden = session.connections.length > 0;
  }

  /** Brings the log up to date: entries that left drop out, changed ones are redrawn, new
   *  ones appended — a frame costs what changed, not the whole log. */
  function renderLog(conn) {
    const log = $("#log");
    if (!conn) {
      log.replaceChildren();
      log.dataset.key = "";
      return;
    }
    const key = `${conn.id}:${conn.logVersion}`;
    if (log.dataset.key === key) return;
    if (!log.dataset.key.startsWith(`${conn.id}:`)) log.replaceChildren();
    log.dataset.key = key;
    const entries = conn.log.newest(LOG_SHOWN);
    const drawn = new Map([...log.children].map((n) => [Number(n.dataset.entry), n]));
    const wanted = new Set(entries.map((e) => e.id));
    for (const [id, n] of drawn) if (!wanted.has(id)) n.remove();
    let fresh = "";
    for (const e of entries) {
      const n = drawn.get(e.id);
      if (!n) fresh += entryHtml(e);
      else if (Number(n.dataset.v) !== e.version) n.outerHTML = entryHtml(e);
    }
    if (fresh) log.insertAdjacentHTML("beforeend", fresh);
  }

  let renderQueued = false;
  function render() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(draw);
  }

  function draw() {
    renderQueued = false;
    const conn = session.active;
    // Layout is read once, before anything is written, and the scroll positions set after all
    // writes: one layout per frame instead of one per view.
    const log = $("#log");
    const timeline = $("#timeline");
    const follow = [log, timeline].filter(atEnd);
    renderTabs();
    renderLog(conn);
    $("#buffer").render(conn, fields.get("readuntil.separator")?.value);
    const n = timeline.render(conn);
    $("#timeline-count").textContent = conn ? `${n.toLocaleString("en")} events` : "";
    for (const el of follow) el.scrollTop = el.scrollHeight;
  }

  function watch(conn) {
    if (conn.watched) return;
    conn.watched = true;
    // Already in an animation frame: draw now, not on the next one.
    conn.addEventListener("render", () => {
      if (conn === session.active) draw();
    });
  }

  // ---- examples ----

  let example = null;
    let pythonPanel = null;

  function initExamples() {
    $("#example-step").addEventListener("click", () => stepExample());
    $("#example-run").addEventListener("click", () => runExample());
    $("#example-close").addEventListener("click", () => {
      example = null;
      $("#example-card").hidden = true;
    });
  }

  /** Opens the example's connection and lists its steps. */
  async function loadExample(id) {
    const x = EXAMPLES.find((e) => e.id === id);
    if (!x) return;
    const relay = x.relay === "this" && relayHere ? relayUrl("this") : null;
    example = { x, next: 0, ctx: {}, busy: true, ran: [] };
    $("#example-card").hidden = false;
    $("#example-title").textContent = x.title;
    $("#example-intro").textContent = x.intro + (x.relay === "this" && !relayHere ? " (No relay serves this page: it runs in-page.)" : "");
    $("#example-steps").innerHTML = x.steps.map((s, i) =>
      `<li data-step="${i}"><code>${esc(stepSource(s, {}))}</code><span class="note">${esc(s.note)}</span></li>`).join("");
    $("#host").value = x.host;
    $("#host").dispatchEvent(new Event("input"));
    $("#port").value = x.port;
    markSteps();
    const conn = await session.open({ host: x.host, port: x.port, limit: x.limit ?? 65536, relay, ssl: false });
    example.conn = conn;
    example.busy = false;
    markSteps();
    $("#example-step").focus();
    return conn;
  }

  function markSteps() {
    if (!example) return;
    for (const li of root.querySelectorAll("#example-steps li")) {
      const i = Number(li.dataset.step);
      li.classList.toggle("done", i < example.next);
      li.classList.toggle("current", i === example.next);
      const s = example.x.steps[i];
      li.querySelector("code").textContent = example.ran[i] ?? stepSource(s, example.ctx);
    }
    const finished = example.next >= example.x.steps.length;
    $("#example-step").disabled = finished || example.busy;
    $("#example-run").disabled = finished || example.busy;
    $("#example-step").textContent = finished ? "Done" : `Step ${example.next + 1} of ${example.x.steps.length}`;
  }

  /** Runs the next step; resolves when it finished (or, for a step that may wait, soon). */
  async function stepExample() {
    if (!example || example.busy || example.next >= example.x.steps.length) return;
    const { x, ctx, conn } = example;
    session.select(conn);
    const step = x.steps[example.next];
    example.ran[example.next] = stepSource(step, ctx);
    example.busy = true;
    markSteps();
    try {
      if (step.cancel) {
        conn.cancelAll();
        await new Promise((r) => setTimeout(r, 50));
      } else {
        const once = async () => {
          const vals = typeof step.v === "function" ? step.v(ctx) : (step.v ?? {});
          const call = conn.call(method(step.m), vals, step.data ? [step.data()] : null);
          const entry = step.mayWait ? await Promise.race([call, new Promise((r) => setTimeout(() => r(null), 600))]) : await call;
          if (entry) learn(ctx, step, entry);
          return entry;
        };
        let entry = await once();
        if (step.repeat === "until-blank") {
          for (let i = 0; i < 50 && entry?.ok && !(entry.value?.length === 2 && entry.value[0] === 13); i++) entry = await once();
        }
        if (step.repeat === "recover") {
          for (let i = 0; i < 20 && entry && !entry.ok && entry.err?.name === "LimitOverrunError"; i++) {
            await conn.call(method("read"), { n: String(entry.err.consumed) });
            entry = await once();
          }
        }
      }
    } finally {
      example.next++;
      example.busy = false;
      markSteps();
    }
  }

  async function runExample() {
    while (example && example.next < example.x.steps.length) await stepExample();
  }

  // ---- wiring ----

  initConnectBar();
  initMethods();
  initExamples();
  pythonPanel = initPython(root, flags, {
    // Python's open_connection opens a tab like the buttons do: one connection model.
    // Without relay= (or streamlab.RELAY), the relay the connection bar has chosen.
    openConnection: async (host, port, options) => {
      const o = options ?? {};
      const conn = await session.open({
        host, port, limit: o.limit ?? 65536, relay: o.relay ?? (relayUrl($("#relay").value) || null),
        ssl: Boolean(o.ssl), serverHostname: o.serverHostname ?? null, via: "python",
      });
      if (!conn.handle) throw conn.error;
      return conn.handle;
    },
    // A server's side of each connection gets a tab too.
    startServer: (onConnection, host, port, options) => wasm().startServer((handle) => {
      session.adopt(handle, { host, port, limit: options?.limit ?? 65536, relay: null, ssl: false, via: "server" });
      onConnection(handle);
    }, host, port, options),
    // asyncio.StreamReader(limit=…) in Python: a tab of its own, fed by hand.
    newStreamReader: (limit) => {
      const reader = new (wasm().StreamReader)(limit);
      const conn = session.adopt({ reader, writer: null, onEvent: (cb) => reader.onEvent(cb) },
        { host: "StreamReader", port: `limit=${limit}`, limit, relay: null, ssl: false, via: "bare" });
      conn.label = `StreamReader(limit=${limit})`;
      session.select(conn);
      return reader;
    },
    forget: (handles) => {
      for (const conn of session.connections.filter((c) => handles.includes(c.handle))) session.close(conn);
    },
    scripts: EXAMPLES.map((x) => ({ id: x.id, title: x.title })),
  });
  session.addEventListener("change", () => {
    for (const c of session.connections) watch(c);
    render();
  });
  $("#buffer").addEventListener("resized", render);
  $("#tabs").addEventListener("click", (e) => {
    const close = e.target.closest("[data-close]");
    if (close) return session.close(session.connections.find((c) => c.id === Number(close.dataset.close)));
    const tab = e.target.closest("[data-id]");
    if (tab) session.select(session.connections.find((c) => c.id === Number(tab.dataset.id)));
  });
  $("#log").addEventListener("click", (e) => {
    const b = e.target.closest("[data-cancel]");
    if (b) session.active?.cancel(Number(b.dataset.cancel));
  });
  $("#clear-log").addEventListener("click", () => {
    session.active?.log.clear();
    if (session.active) session.active.logVersion++;
    render();
  });
  render();
  // ---- settings, permalinks ----

  /** The settings a link restores (as the text of URL parameters: see settings.js). */
  function state() {
    const out = { script: pythonPanel.source(), host: $("#host").value.trim(), port: $("#port").value.trim(), limit: $("#limit").value.trim() };
    const relay = relayUrl($("#relay").value);
    if (relay) out.relay = relay;
    return out;
  }

  /** Applies settings (read by settings.js) and says what was wrong with the rest. */
  function configure(settings, problems = []) {
    const s = settings;
    const box = $("#problems");
    box.hidden = problems.length === 0;
    box.innerHTML = problems.length ? `<b>Some settings were ignored:</b><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>` : "";
    if (s.host !== undefined) {
      $("#host").value = s.host;
      $("#host").dispatchEvent(new Event("input"));
    }
    if (s.port !== undefined) $("#port").value = String(s.port);
    if (s.limit !== undefined) $("#limit").value = String(s.limit);
    if (s.relay !== undefined) {
      $("#relay").value = "url";
      $("#relay-url").value = s.relay;
      $(".relay-url").hidden = false;
    }
    if (s.script !== undefined) {
      $("#py-source").value = s.script;
      if (root.classList.contains("embed")) $("#py-source").rows = Math.min(24, Math.max(4, s.script.split("\n").length));
    }
    if (s.readonly) {
      $("#py-source").readOnly = true;
      for (const el of root.querySelectorAll("#connect-form input")) el.readOnly = true;
    }
    const views = s.view ?? (root.classList.contains("embed") ? (s.script !== undefined ? ["script", "buffer"] : ["buttons", "buffer"]) : VIEWS);
    root.dataset.views = views.join(" ");
    if (!views.includes("buttons")) $("#no-connection").textContent = "No connection yet: run the script.";
    const pyTabs = root.querySelector("#python .py-tabs");
    const wantsConsole = views.includes("console");
    const wantsScript = views.includes("script");
    pyTabs.hidden = !(wantsConsole && wantsScript);
    if (wantsScript && !wantsConsole) $("#py-tab-script").click();
    if (s.height !== undefined) {
      root.style.height = `${s.height}px`;
      root.style.overflow = "auto";
    }
    if (s.autorun) return pythonPanel.runScript(pythonPanel.source());
    return null;
  }

  $("#py-share").addEventListener("click", async () => {
    const url = new URL(SHARED_PAGE);
    url.hash = await toFragment(state());
    const field = $("#py-share-url");
    field.value = url.href;
    $("#py-share-out").hidden = false;
    field.select();
    let copied = false;
    try {
      await navigator.clipboard.writeText(url.href);
      copied = true;
    } catch { /* not allowed here (e.g. in a frame): the link is selected to copy */ }
    $("#py-share-note").textContent = `${url.href.length.toLocaleString("en")} characters${copied ? ", copied" : ""}; the script is in the link itself`;
  });

  flags.dataset.ready = "1";
  return { session, run, loadExample, stepExample, runExample, python: pythonPanel, configure, state };
}
