// The WebAssembly library's JS API: started by Trunk's loader on the page Trunk built
// (<html data-wasm="trunk">), else by this module — on embed.html, and on a tutorial's page
// that includes stream-playground.js — from the files beside it.

let bindings = window.wasmBindings ?? null;

async function start() {
  const module = await import(new URL("../streamlab.js", import.meta.url).href);
  await module.default({ module_or_path: new URL("../streamlab_bg.wasm", import.meta.url) });
  return module;
}

/** Resolves with the bindings when the module is ready. */
export const ready = bindings
  ? Promise.resolve(bindings)
  : document.documentElement.dataset.wasm === "trunk"
    ? new Promise((resolve) => {
        addEventListener("TrunkApplicationStarted", () => resolve(window.wasmBindings), { once: true });
      }).then((b) => (bindings = b))
    : start().then((b) => (bindings = b));

/** The bindings (only after `ready`). */
export function wasm() {
  return bindings;
}
