// The WebAssembly library's JS API: started by Trunk's loader on the page Trunk built
// (<html data-wasm="trunk">), else by this module — on embed.html, and on a tutorial's page
// that includes stream-playground.js — from the files beside it.

// A static import, so that a bundler (Vite) ships the module and its wasm; on Trunk's page it is
// the very module Trunk's loader imported (one URL, one module).
import * as glue from "../streamlab.js";
import init from "./init.js";

let bindings = window.wasmBindings ?? null;

async function start() {
  await init();
  return glue;
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
