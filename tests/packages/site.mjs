// The packages' test site: one folder, served with the relay's demo servers by
// `streamlab-relay --demo --static SITE` (same origin: pages reach the relay at ws://HOST).
// `cargo xtask test-packages` makes the artifacts (`cargo xtask pack`), puts the hosts' own
// runtimes in the site (npm's Pyodide 0.29.3 and 314 with micropip, PyScript) and sets:
//   STREAMLAB_SITE_DIR, STREAMLAB_SITE_URL  the folder and its URL
//   STREAMLAB_TARBALL, STREAMLAB_WHEEL      the artifacts (target/pack/)
// The hosts' runtimes are in pyodide-0.29.3/, pyodide-314/ and pyscript-core/: no project takes
// those names.
// Each test builds its own project in a fresh folder of the site from the artifacts alone.

import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests with \`cargo xtask test-packages\``);
  return value;
}

export const SITE_DIR = env('STREAMLAB_SITE_DIR');
export const SITE_URL = env('STREAMLAB_SITE_URL');
export const TARBALL = env('STREAMLAB_TARBALL');
export const WHEEL = env('STREAMLAB_WHEEL');
/** The packages' version, from the wheel's name (`streamlab-VERSION-py3-none-any.whl`). */
export const VERSION = basename(WHEEL).split('-')[1];
/** The relay's WebSocket URL (the site's origin). */
export const RELAY = SITE_URL.replace(/^http/, 'ws').replace(/\/$/, '');
/** The fixture files every project copies: pages, workers, program.py. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'site');

/** A fresh, empty folder `name` in the site; returns its path and URL. */
export function project(name) {
  const dir = join(SITE_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { dir, url: new URL(`${name}/`, SITE_URL).href };
}

/** Copies the fixture files `names` (all when omitted) into `dir`. */
export function copyFixtures(dir, names = readdirSync(FIXTURES)) {
  for (const name of names) cpSync(join(FIXTURES, name), join(dir, name), { recursive: true });
}

/**
 * A fresh project `name` with wheel.html and what it runs, and the wheel beside them. Returns
 * the project and `url(pyodideFolder, { worker, wheel })`: the page running program.py in that
 * site Pyodide (main thread, or a module worker), from `wheel` (the artifact by default).
 */
export function wheelSite(name) {
  const site = project(name);
  copyFixtures(site.dir, ['wheel.html', 'wheel.js', 'wheel-worker.js', 'program.py']);
  copyFileSync(WHEEL, join(site.dir, basename(WHEEL)));
  const url = (folder, { worker = false, wheel = basename(WHEEL) } = {}) => {
    const query = new URLSearchParams({ pyodide: `../${folder}/`, wheel, relay: RELAY, worker: worker ? '1' : '0' });
    return `${site.url}wheel.html?${query}`;
  };
  return { ...site, url };
}
