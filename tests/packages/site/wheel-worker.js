// A module worker running program.py from the wheel (wheel.js): posts `{ result }` or `{ error }`.
import { runWheel } from "./wheel.js";

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ result: await runWheel(data) });
  } catch (e) {
    self.postMessage({ error: `${e}\n${e?.stack ?? ""}` });
  }
};
