// The WebAssembly library's JS API, once Trunk's loader has started it.

let bindings = window.wasmBindings ?? null;

/** Resolves with the bindings when the module is ready. */
export const ready = bindings
  ? Promise.resolve(bindings)
  : new Promise((resolve) => {
      addEventListener(
        "TrunkApplicationStarted",
        () => {
          bindings = window.wasmBindings;
          resolve(bindings);
        },
        { once: true },
      );
    });

/** The bindings (only after `ready`). */
export function wasm() {
  return bindings;
}
