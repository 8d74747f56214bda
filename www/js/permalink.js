// Permalinks: a script and its settings in a URL's fragment — JSON, deflated, base64url —
// so a link restores them exactly and nothing is sent to any server (a fragment never is).
//
//     const hash = await toFragment({ script: "print(1)", port: 80 });  // "#s=…"
//     await fromFragment(hash);  // {script: "print(1)", port: 80}

import { readSettings } from "./settings.js";

const PREFIX = "#s=";

async function through(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

const base64url = (bytes) => {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const unbase64url = (text) => {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("the link's data is not base64url");
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};

/** The fragment (`#s=…`) that holds `state` (an object of settings, `script` among them). */
export async function toFragment(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return PREFIX + base64url(await through(json, new CompressionStream("deflate-raw")));
}

/** Whether `hash` is a permalink's. */
export const isPermalink = (hash) => hash.startsWith(PREFIX);

/**
 * The state a permalink's fragment holds. Throws an Error saying what is wrong with a damaged
 * link (cut short, or not one of ours).
 */
export async function fromFragment(hash) {
  let json;
  try {
    const bytes = await through(unbase64url(hash.slice(PREFIX.length)), new DecompressionStream("deflate-raw"));
    json = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new Error(`This link's script could not be read (is the link complete?): ${e.message}`);
  }
  let state;
  try {
    state = JSON.parse(json);
  } catch (e) {
    throw new Error(`This link's data is not a playground's: ${e.message}`);
  }
  if (!state || typeof state !== "object" || Array.isArray(state)) throw new Error("This link's data is not a playground's");
  return state;
}

/**
 * The settings a page's fragment holds, checked as URL parameters are (settings.js):
 * `{settings, problems}` — empty when the fragment is not a permalink, a sentence in
 * `problems` when it is a damaged one.
 */
export async function linkSettings(hash) {
  if (!isPermalink(hash)) return { settings: {}, problems: [] };
  try {
    const state = await fromFragment(hash);
    return readSettings(Object.entries(state).map(([k, v]) => [k, String(v)]), { kind: "link setting" });
  } catch (e) {
    return { settings: {}, problems: [e.message] };
  }
}
