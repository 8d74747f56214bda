// The page (index.html): one playground filling it, the theme toggle and the examples menu.

import { ready } from "./wasm.js";
import { EXAMPLES } from "./examples.js";
import { createPlayground, esc } from "./playground.js";
import { initTheme } from "./theme.js";
import { isPermalink, linkSettings } from "./permalink.js";

const $ = (sel) => document.querySelector(sel);

async function boot() {
  initTheme(document.documentElement, $("#theme-toggle"));
  await ready;
  const playground = createPlayground($("#playground"), document.documentElement);
  $("#example-list").innerHTML = EXAMPLES.map((x) =>
    `<li><button type="button" data-example="${x.id}"><b>${esc(x.title)}</b><span>${esc(x.host)}:${x.port}</span></button></li>`).join("");
  $("#example-list").addEventListener("click", (e) => {
    const b = e.target.closest("[data-example]");
    if (!b) return;
    $("#examples-menu").open = false;
    playground.loadExample(b.dataset.example);
  });
  $("#examples-menu").addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      $("#examples-menu").open = false;
      $("#examples-menu summary").focus();
    }
  });
  window.streamlab = { ...playground, EXAMPLES, readyAt: performance.now() };
  // A permalink (Share): its script and settings, restored exactly.
  if (isPermalink(location.hash)) {
    const { settings, problems } = await linkSettings(location.hash);
    playground.configure(settings, problems);
    if (settings.script !== undefined) playground.python.showScript(settings.script);
  }
  document.documentElement.dataset.restored = "1";
}

boot().catch((err) => {
  console.error(err);
  document.body.insertAdjacentHTML("afterbegin", `<p class="card fatal" role="alert">streamlab could not start: ${esc(err?.message ?? err)}</p>`);
});
