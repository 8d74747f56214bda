// An embedded playground's settings, from URL parameters (embed.html) or attributes
// (<stream-playground>): each checked, and every unknown or malformed one reported in words
// and ignored — an embed never shows a blank frame for a typo.

/** The views a playground can show (`view=` any combination). */
export const VIEWS = ["buttons", "console", "script", "buffer"];

const MAX_SCRIPT = 64 * 1024;

const flag = (v) => {
  if (v === "" || v === "1" || v === "true" || v === "yes") return true;
  if (v === "0" || v === "false" || v === "no") return false;
  throw new Error(`must be true or false (or 1 or 0), not ${show(v)}`);
};
const show = (v) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
const int = (min, max) => (v) => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`must be a whole number from ${min} to ${max}, not ${show(v)}`);
  return Number(v);
};

/** Each setting: how to read its text. */
const PARSERS = {
  relay: (v) => {
    let url;
    try {
      url = new URL(v);
    } catch {
      throw new Error(`must be a ws:// or wss:// URL, not ${show(v)}`);
    }
    if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new Error(`must be a ws:// or wss:// URL, not ${show(v)}`);
    return url.href.replace(/\/$/, "");
  },
  host: (v) => {
    if (!/^[A-Za-z0-9.:[\]_-]{1,253}$/.test(v)) throw new Error(`must be a host name or address, not ${show(v)}`);
    return v;
  },
  port: int(1, 65535),
  limit: int(1, 2 ** 31 - 1),
  script: (v) => {
    if (v.length > MAX_SCRIPT) throw new Error(`is ${v.length.toLocaleString("en")} characters: at most ${MAX_SCRIPT.toLocaleString("en")}`);
    return v;
  },
  autorun: flag,
  readonly: flag,
  view: (v) => {
    const views = v.split(/[\s,|+]+/).filter(Boolean);
    const bad = views.filter((x) => !VIEWS.includes(x));
    if (!views.length || bad.length) throw new Error(`must be some of ${VIEWS.join(", ")} (comma-separated), not ${show(v)}`);
    return [...new Set(views)];
  },
  theme: (v) => {
    if (!["light", "dark", "auto"].includes(v)) throw new Error(`must be light, dark or auto, not ${show(v)}`);
    return v === "auto" ? null : v;
  },
  height: (v) => {
    const m = /^(\d{2,4})(px)?$/.exec(v);
    if (!m || Number(m[1]) < 120 || Number(m[1]) > 4000) throw new Error(`must be a height in pixels from 120 to 4000 (e.g. 480 or 480px), not ${show(v)}`);
    return Number(m[1]);
  },
  // The host page's origin, for the postMessage API (embed.html).
  origin: (v) => {
    if (v === "*") return v;
    let url;
    try {
      url = new URL(v);
    } catch {
      throw new Error(`must be an origin such as https://example.org (or *), not ${show(v)}`);
    }
    if (url.origin === "null" || url.origin !== v.replace(/\/$/, "")) throw new Error(`must be an origin such as https://example.org (or *), not ${show(v)}`);
    return url.origin;
  },
};

/** The settings' names. */
export const SETTINGS = Object.keys(PARSERS);

/**
 * Reads `entries` ([name, text] pairs; `ignore` names are someone else's, e.g. `embed`):
 * `{settings, problems}`, where `problems` are sentences for the reader, one per setting left out.
 *
 *     readSettings([["port", "80"], ["limt", "4"]])
 *     // {settings: {port: 80}, problems: ["Unknown setting “limt” (ignored). Known: relay, host, …"]}
 */
export function readSettings(entries, { ignore = [], kind = "setting" } = {}) {
  const settings = {};
  const problems = [];
  for (const [name, text] of entries) {
    if (ignore.includes(name)) continue;
    const parse = PARSERS[name];
    if (!parse) {
      problems.push(`Unknown ${kind} “${name}” (ignored). Known: ${SETTINGS.join(", ")}.`);
      continue;
    }
    if (name in settings) {
      problems.push(`The ${kind} “${name}” is given twice: the first is used.`);
      continue;
    }
    try {
      settings[name] = parse(text);
    } catch (e) {
      problems.push(`The ${kind} “${name}” ${e.message} (ignored).`);
    }
  }
  return { settings, problems };
}
