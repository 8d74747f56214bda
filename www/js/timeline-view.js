// <sl-timeline>: every event of one connection — chunks with sizes and times, calls from
// start to result, EOF, errors, credit — newest last, drawn from the connection's bounded
// ring of events (and never more than MAX_ROWS rows in the DOM). Rows are appended as events
// come, so a frame costs what arrived since the last one, not the whole list.

import { size } from "./buffer-view.js";

/** The most rows the timeline keeps in the DOM. */
export const MAX_ROWS = 120;

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function describe(e, calls) {
  switch (e.type) {
    case "connectionMade": return ["conn", "connection made"];
    case "chunk": return ["chunk", `chunk received · <b>${size(e.size)}</b>`];
    case "eof": return ["eof", "EOF received (the peer half-closed)"];
    case "exception": return ["err", `exception set: ${esc(e.error?.pythonRepr ?? e.error?.name)}`];
    case "connectionLost":
      return e.error ? ["err", `connection lost: ${esc(e.error.pythonRepr)}`] : ["conn", "connection ended cleanly"];
    case "credit": return ["credit", `credit granted to the relay · +${size(e.bytes)}`];
    case "readingPaused": return ["warn", "reading paused (more than 2 × limit buffered)"];
    case "readingResumed": return ["flow", "reading resumed"];
    case "callStarted": return ["call", `<code>${esc(e.method)}(${esc(e.args)})</code> called`];
    case "callWaiting": {
      const method = calls.get(e.id) ?? "call";
      const scan = e.offset !== null && e.offset !== undefined ? ` — scan resumes at byte ${e.offset}` : "";
      return ["wait", `<code>${esc(method)}()</code> waits${scan}`];
    }
    case "callFinished": {
      if (e.error) return ["err", `<code>${esc(e.method)}()</code> raised ${esc(e.error.name)}`];
      if (e.size !== undefined) return ["done", `<code>${esc(e.method)}()</code> returned <b>${size(e.size)}</b>`];
      return ["done", `<code>${esc(e.method)}()</code> returned`];
    }
    case "write": return ["write", `<code>${esc(e.method)}()</code> · ${size(e.size)} to the transport`];
    case "writingPaused": return ["warn", "writing paused (above the high-water mark)"];
    case "writingResumed": return ["flow", "writing resumed"];
    case "writeEof": return ["write", "<code>write_eof()</code>: half-closed"];
    case "close": return ["conn", "<code>close()</code>"];
    case "dropped": return ["warn", `${e.count} events dropped`];
    default: return ["", esc(e.type)];
  }
}

class Timeline extends HTMLElement {
  connectedCallback() {
    this.classList.add("timeline-view");
    this.setAttribute("tabindex", "0");
    this.setAttribute("aria-label", "Timeline of events");
    this.list = document.createElement("ol");
    this.list.className = "events";
    this.replaceChildren(this.list);
    this.shown = { conn: null, total: -1 }; // what the rows show: whose events, up to which
  }

  /** Brings the rows up to date with `conn`'s events; returns how many events it had. (The
   *  page keeps it scrolled to the newest, as it does the log.) */
  render(conn) {
    if (!conn) {
      this.list.innerHTML = `<li class="hint">Events appear here as they happen.</li>`;
      this.shown = { conn: null, total: -1 };
      return 0;
    }
    const total = conn.events.total;
    if (this.shown.conn === conn && this.shown.total === total) return total;
    const fresh = this.shown.conn !== conn ? total : total - this.shown.total;
    const row = (e) => {
      const [kind, text] = describe(e, conn.calls);
      return `<li class="ev ${kind}"><time>${(e.t - conn.t0).toFixed(1)} ms</time><span>${text}</span></li>`;
    };
    const events = conn.events.newest(Math.min(fresh, MAX_ROWS));
    if (fresh >= MAX_ROWS || this.shown.conn !== conn || !this.list.querySelector(".ev")) {
      this.list.innerHTML = events.map(row).join("") || `<li class="hint">No events yet.</li>`;
    } else {
      this.list.insertAdjacentHTML("beforeend", events.map(row).join(""));
      for (let extra = this.list.childElementCount - MAX_ROWS; extra > 0; extra--) this.list.firstElementChild.remove();
    }
    this.shown = { conn, total };
    return total;
  }
}

customElements.define("sl-timeline", Timeline);
