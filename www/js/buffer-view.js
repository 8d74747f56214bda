// <sl-buffer>: the inside of one connection's reader and writer, drawn from snapshots —
// the buffered bytes as hex and text side by side, chunk boundaries, the limit and 2 × limit,
// the waiting call's scan offset, where a separator would match, and the writer's queue
// against its water marks.

import { wasm } from "./wasm.js";

/** How many buffered bytes the view shows (a window; the rest is counted). */
export const WINDOW = 512;

const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const hex = (b) => b.toString(16).padStart(2, "0");
const glyph = (b) => (b === 10 ? "↵" : b === 13 ? "␍" : b === 9 ? "⇥" : b >= 32 && b < 127 ? String.fromCharCode(b) : "·");
export const size = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1 << 10 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

class BufferView extends HTMLElement {
  connectedCallback() {
    this.classList.add("buffer-view");
    if (!this.innerHTML) this.innerHTML = `<p class="hint">Open a connection to see inside its reader.</p>`;
    // Bytes per row follow the view's width, measured by the observer (never read while
    // drawing: that would force a layout in the middle of the frame).
    this.row = 16;
    this.resize ??= new ResizeObserver(([e]) => {
      const row = e.contentRect.width && e.contentRect.width < 520 ? 8 : 16;
      if (row !== this.row) {
        this.row = row;
        this.dispatchEvent(new Event("resized"));
      }
    });
    this.resize.observe(this);
  }

  disconnectedCallback() {
    this.resize?.disconnect();
  }

  /** Redraws from `conn`'s snapshots; `separator` is what the readuntil field holds. */
  render(conn, separator) {
    if (!conn?.reader) {
      this.innerHTML = `<p class="hint">${conn ? "Connecting…" : "Open a connection to see inside its reader."}</p>`;
      return;
    }
    const r = conn.reader.snapshot(0, WINDOW);
    const w = conn.writer?.snapshot();
    const bytes = r.window;
    const limit = r.limit;
    const boundaries = new Set(conn.chunkBoundaries(r.buffered));
    const scan = r.waiting?.offset ?? null;
    let match = null;
    if (separator && !r.waiting) {
      try {
        match = wasm().findSeparator(bytes, wasm().parseBytes(separator));
      } catch { /* not a valid separator yet */ }
    }
    const chips = [
      `<span class="chip"><b>${r.buffered.toLocaleString("en")}</b> bytes buffered</span>`,
      `<span class="chip">limit <b>${limit.toLocaleString("en")}</b></span>`,
    ];
    if (r.eof) chips.push(`<span class="chip eof">EOF received</span>`);
    if (r.atEof) chips.push(`<span class="chip eof">at_eof()</span>`);
    if (r.paused) chips.push(`<span class="chip warn" title="more than 2 × limit buffered: the transport stopped reading">reading paused</span>`);
    if (r.exception) chips.push(`<span class="chip err" title="${esc(r.exception.pythonRepr ?? "")}">exception: ${esc(r.exception.name)}</span>`);
    if (r.waiting) {
      chips.push(`<span class="chip wait">waiting: ${esc(r.waiting.method)}(${esc(r.waiting.args)})` +
        (scan !== null ? ` — scanned up to ${scan}` : "") + `</span>`);
    }
    const last = lastRead(conn);
    if (last) chips.push(`<span class="chip muted">last: ${esc(last)}</span>`);

    const ROW = this.row; // bytes a row
    const rows = [];
    const marks = [
      [limit, `limit = ${limit.toLocaleString("en")}: readline/readuntil raise past it`],
      [2 * limit, `2 × limit: above it, reading pauses`],
    ];
    for (let start = 0; start < bytes.length || (start === 0 && bytes.length === 0); start += ROW) {
      for (const [at, text] of marks) {
        if (at >= start && at < start + ROW && at <= bytes.length && at !== 0) {
          rows.push(`<div class="mark" role="presentation"><span>${esc(text)} (at byte ${at.toLocaleString("en")})</span></div>`);
        }
      }
      if (bytes.length === 0) break;
      const cells = [];
      const chars = [];
      for (let i = start; i < Math.min(start + ROW, bytes.length); i++) {
        const cls = [];
        if (boundaries.has(i)) cls.push("chunk");
        if (scan !== null && i < scan) cls.push("scanned");
        if (scan !== null && i === scan) cls.push("scan");
        if (match && i >= match[0] && i < match[1]) cls.push("match");
        if (i >= limit) cls.push("over");
        const c = cls.length ? ` class="${cls.join(" ")}"` : "";
        cells.push(`<span${c}>${hex(bytes[i])}</span>`);
        chars.push(`<span${c}>${esc(glyph(bytes[i]))}</span>`);
      }
      rows.push(`<div class="row"><span class="off">${start.toString(16).padStart(4, "0")}</span>` +
        `<span class="hex">${cells.join("")}</span><span class="txt">${chars.join("")}</span></div>`);
    }
    if (bytes.length === 0) rows.push(`<p class="hint empty">The buffer is empty.</p>`);
    if (r.buffered > bytes.length) {
      rows.push(`<p class="hint">… and ${(r.buffered - bytes.length).toLocaleString("en")} more bytes.</p>`);
    }
    const legend = `<p class="legend"><span class="chunk">▏chunk boundary</span>` +
      `<span class="scanned">scanned</span><span class="match">separator match</span><span class="over">past the limit</span></p>`;
    this.innerHTML = `<div class="chips" aria-live="off">${chips.join("")}</div>` +
      `<div class="bytes" role="img" aria-label="${r.buffered} bytes buffered">${rows.join("")}</div>${legend}` +
      (w ? writerView(w) : "");
  }
}

/** The writer's queue against its water marks, reading state and the relay's credit. */
function writerView(w) {
  const [low, high] = w.writeBufferLimits;
  const full = Math.max(high * 1.5, w.writeBufferSize);
  const pct = (n) => `${Math.min(100, (100 * n) / full).toFixed(1)}%`;
  const state = [];
  state.push(w.isReading ? "reading" : "not reading");
  if (w.writingPaused) state.push("writing paused: drain() waits");
  if (w.eofWritten) state.push("EOF written");
  if (w.isClosing) state.push("closing");
  if (w.lost === null) state.push("ended cleanly");
  if (w.lost) state.push(`lost: ${w.lost.name}`);
  const credit = w.credit
    ? `<p class="credit">relay credit: <b>${w.credit.outstanding.toLocaleString("en")}</b> of ${w.credit.window.toLocaleString("en")} bytes outstanding · ${size(w.credit.granted)} granted in all</p>`
    : `<p class="credit muted">no credit flow control (in-page demo server)</p>`;
  return `<div class="writer"><h3>writer</h3>` +
    `<div class="meter" role="meter" aria-label="write buffer" aria-valuemin="0" aria-valuemax="${high}" aria-valuenow="${w.writeBufferSize}">` +
    `<div class="fill${w.writingPaused ? " paused" : ""}" style="width:${pct(w.writeBufferSize)}"></div>` +
    `<div class="tick" style="left:${pct(low)}" title="low water ${low}"></div>` +
    `<div class="tick high" style="left:${pct(high)}" title="high water ${high}"></div></div>` +
    `<p class="meter-legend">get_write_buffer_size() = <b>${w.writeBufferSize.toLocaleString("en")}</b> · low ${size(low)} · high ${size(high)}</p>` +
    `<p class="state">${state.map(esc).join(" · ")}</p>${credit}</div>`;
}

/** "readline() took 17 B" for the newest finished read. */
function lastRead(conn) {
  const e = conn.lastRead;
  if (!e) return null;
  return e.error ? `${e.method}() raised ${e.error.name}` : `${e.method}() took ${size(e.size ?? 0)}`;
}

customElements.define("sl-buffer", BufferView);
