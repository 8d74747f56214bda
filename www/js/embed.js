// embed.html: one compact playground for a tutorial's <iframe>, configured by URL parameters
// (settings.js) or a permalink's fragment, with a postMessage API for the host page when the
// host names its origin (`origin=`). Messages and their types: embed.d.ts.

import { ready } from "./wasm.js";
import { createPlayground, esc } from "./playground.js";
import { readSettings } from "./settings.js";
import { applyTheme } from "./theme.js";
import { linkSettings } from "./permalink.js";

const root = document.documentElement;

async function boot() {
  const { settings, problems } = readSettings(new URLSearchParams(location.search), { ignore: ["embed"], kind: "parameter" });
  const saved = await linkSettings(location.hash);
  Object.assign(settings, saved.settings);
  problems.push(...saved.problems);
  applyTheme(root, settings.theme ?? null);
  await ready;
  const playground = createPlayground(document.querySelector("#playground"), root);
  const initial = { ...settings };
  window.streamlab = playground;
  const autorun = playground.configure(settings, problems); // set up now; the script runs on
  if (settings.origin) listen(playground, settings.origin, initial);
  await autorun;
}

/**
 * The postMessage API, for `origin` (the host page's, or `*`) only: `run`, `reset`,
 * `setScript`, `getState` in; `ready`, `output`, `result`, `error`, `event`, `state` out.
 */
function listen(playground, origin, initial) {
  const host = window.parent !== window ? window.parent : window.opener;
  if (!host) return;
  const post = (message) => host.postMessage({ source: "streamlab", ...message }, origin);
  root.addEventListener("streamlab-output", (e) => post({ type: "output", stream: e.detail.stream, text: e.detail.text }));
  playground.session.onStreamEvent = (conn, event) => post({ type: "event", connection: conn.label, event: plain(event) });
  addEventListener("message", async (e) => {
    if (e.source !== host || (origin !== "*" && e.origin !== origin)) return; // not our host: ignored
    const m = e.data;
    if (!m || typeof m !== "object" || typeof m.type !== "string") {
      return post({ type: "error", message: "a message must be an object with a string `type`" });
    }
    try {
      if (m.type === "run") {
        const r = await playground.python.runScript(playground.python.source());
        post({ type: "result", status: r.status, stdout: r.stdout, stderr: r.stderr });
      } else if (m.type === "setScript") {
        if (typeof m.script !== "string") throw new Error("setScript needs a string `script`");
        playground.python.setScript(m.script);
        post({ type: "state", state: playground.state() });
      } else if (m.type === "reset") {
        for (const conn of [...playground.session.connections]) playground.session.close(conn);
        playground.python.setScript(initial.script ?? playground.python.source());
        playground.python.clearOutput();
        post({ type: "state", state: playground.state() });
      } else if (m.type === "getState") {
        post({ type: "state", state: playground.state() });
      } else {
        throw new Error(`unknown message type ${JSON.stringify(m.type)}: run, reset, setScript or getState`);
      }
    } catch (err) {
      post({ type: "error", message: err.message ?? String(err) });
    }
  });
  post({ type: "ready", state: playground.state() });
}

/** An event as structured-clonable data (its error as {name, message}). */
function plain(event) {
  const out = { ...event };
  if (event.error) out.error = { name: event.error.name, message: event.error.message };
  return out;
}

boot().catch((err) => {
  console.error(err);
  document.body.insertAdjacentHTML("afterbegin", `<p class="card fatal" role="alert">streamlab could not start: ${esc(err?.message ?? err)}</p>`);
});
