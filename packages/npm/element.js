// streamlab/element: one import registers <stream-playground> — its views, styles and Python.
// The Python is Pyodide 0.29.3 (CPython 3.13), loaded on first use from Pyodide's CDN unless
// configure({ pyodideUrl }) names a copy of your own (then nothing leaves your origin):
//
//     import { configure } from "streamlab/element";
//     configure({ pyodideUrl: "/pyodide/" }); // the folder of npm's pyodide@0.29.3
//
// Call it before a playground first runs Python (in the module that imports this one).

import { configure } from "./js/python.js";
import "./js/stream-playground.js";

/** Pyodide's own CDN, for the version the playground's transcripts are checked against. */
export const PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v0.29.3/full/";

configure({ pyodideUrl: PYODIDE_CDN });

export { configure };
export { StreamPlayground } from "./js/stream-playground.js";
