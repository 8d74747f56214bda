/** `<stream-playground>`, registered by importing `streamlab/element`. */
export declare class StreamPlayground extends HTMLElement {}

/** Pyodide's CDN folder for Pyodide 0.29.3: the default of `pyodideUrl`. */
export declare const PYODIDE_CDN: string;

/**
 * Settings of the playgrounds' Python, given before a playground first needs it.
 * `pyodideUrl`: the folder of a Pyodide 0.29.x (npm's `pyodide@0.29.3`: `pyodide.mjs`,
 * `pyodide.asm.js`, `pyodide.asm.wasm`, `python_stdlib.zip`, `pyodide-lock.json`), relative
 * to the document or absolute.
 */
export declare function configure(settings: { pyodideUrl?: string }): void;

declare global {
  interface HTMLElementTagNameMap {
    "stream-playground": StreamPlayground;
  }
}
