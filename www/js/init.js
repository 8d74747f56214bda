// Loads streamlab's WebAssembly once per page or worker, however often and however early it is
// asked (wasm-bindgen's own init would instantiate twice if called twice before it finished).
// No DOM here: the npm package's `init` is this, in workers too.

import initWasm from "../streamlab.js";

let started = null;

/**
 * Loads the wasm (beside `streamlab.js`, found relative to its `import.meta.url`, unless
 * `options` gives `{ module_or_path }`); the first call decides, later calls share its Promise.
 *
 *     import init, { openConnection } from "streamlab";
 *     await init();
 */
export default function init(options) {
  started ??= initWasm(options).catch((e) => {
    started = null; // a failed load may be tried again
    throw e;
  });
  return started;
}
