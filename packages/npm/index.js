// streamlab: the JS API — openConnection, startServer, StreamReader, waitFor, cancel, the
// error classes … (wasm-bindgen's module) — with an `init` that loads the wasm once, however
// often it is called (the <stream-playground> element calls it too). No DOM: workers too.
//
//     import init, { openConnection } from "streamlab";
//     await init();
//     const { reader, writer } = await openConnection("example.demo", 80);

export * from "./streamlab.js";
export { default } from "./js/init.js";
