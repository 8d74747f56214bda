export * from "./streamlab.js";
export { default } from "./streamlab.js";
