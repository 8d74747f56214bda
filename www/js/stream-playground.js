// <stream-playground>: a live playground inside a tutorial's own page — the one script to
// include. Several on a page each have their own connections and views (in a shadow root);
// they share one Pyodide, loaded when the first needs Python. No special headers needed.
//
//     <script type="module" src="https://…/streamlab/js/stream-playground.js"></script>
//     <stream-playground host="example.demo" port="80" view="script,buffer" autorun>
//     import asyncio
//     …
//     </stream-playground>
//
// Attributes are the URL parameters of embed.html (settings.js); the script is the element's
// text. An unknown or malformed attribute is reported inside the element and ignored.

import { ready } from "./wasm.js";
import { createPlayground } from "./playground.js";
import { readSettings } from "./settings.js";
import { applyTheme } from "./theme.js";

const STYLE = new URL("../style.css", import.meta.url).href;
const HTML_ATTRIBUTE = /^(id|class|style|title|lang|dir|hidden|slot|part|tabindex|data-.*|aria-.*)$/;

/** The element's text as a script: a common indentation and the blank first and last lines removed. */
export function dedent(text) {
  const lines = text.replace(/^\s*\n/, "").replace(/\n\s*$/, "").split("\n");
  const indents = lines.filter((l) => l.trim()).map((l) => l.match(/^[ \t]*/)[0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return `${lines.map((l) => l.slice(cut)).join("\n")}\n`;
}

export class StreamPlayground extends HTMLElement {
  /** The playground's API (see playground.js), once it is ready. */
  playground = null;

  async connectedCallback() {
    if (this.shadowRoot) return;
    const shadow = this.attachShadow({ mode: "open" });
    shadow.innerHTML = `<link rel="stylesheet" href="${STYLE}"><div class="playground embed"></div>`;
    // Global HTML attributes (id, class, data-*, …) are the page's, not settings.
    const entries = [...this.attributes].map((a) => [a.name, a.value]).filter(([name]) => !HTML_ATTRIBUTE.test(name));
    const script = this.textContent.trim() ? dedent(this.textContent) : null;
    const { settings, problems } = readSettings(entries, { kind: "attribute" });
    if (script !== null && settings.script === undefined) settings.script = script;
    applyTheme(this, settings.theme ?? null);
    await ready;
    this.playground = createPlayground(shadow.querySelector(".playground"), this);
    await this.playground.configure(settings, problems);
  }
}

customElements.define("stream-playground", StreamPlayground);
