// The e2e tests' browsers: puppeteer-core driving Debian's Chromium (CDP) and Firefox ESR
// (WebDriver BiDi), both kept on loopback (docs: ../shared/docs/toolchain.md). `cargo xtask
// test-e2e` installs everything, builds dist/, serves it and runs these tests; run by hand with
// STREAMLAB_PAGE_RELAY_URL and STREAMLAB_PAGE_STATIC_URL set.
//
// A page opened with `openPage` records every page error, console error, failed request or
// HTTP error, and every request that leaves the page's own origin; `assertClean` fails on any.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch (e) {
  throw new Error(
    `puppeteer-core is not installed (${e.message}): run \`npm ci\` at the repository root, ` +
      'or `cargo xtask test-e2e`, which does it',
  );
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = process.env.STREAMLAB_SCREENSHOTS ?? join(ROOT, 'target', 'screenshots');

/** The two browsers, with the Debian package each comes from. */
export const BROWSERS = [
  { name: 'chrome', executablePath: '/usr/bin/chromium', debian: 'chromium' },
  { name: 'firefox', executablePath: '/usr/bin/firefox-esr', debian: 'firefox-esr' },
];

/** Desktop and phone widths, each in light and dark. */
export const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 375, height: 800 },
];
export const SCHEMES = ['light', 'dark'];

/** The page as served by the relay (`--demo --static dist`) and by a plain static host. */
export function servings() {
  const all = [
    { name: 'relay', env: 'STREAMLAB_PAGE_RELAY_URL' },
    { name: 'static', env: 'STREAMLAB_PAGE_STATIC_URL' },
  ];
  return all.map(({ name, env }) => {
    const url = process.env[env];
    if (!url) {
      throw new Error(`${env} is not set: run the e2e tests with \`cargo xtask test-e2e\`, which serves the page`);
    }
    const { hostname } = new URL(url);
    if (!isLoopback(hostname)) throw new Error(`${env}=${url} is not a loopback address`);
    return { name, url };
  });
}

function isLoopback(hostname) {
  return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost';
}

// Chromium: no background traffic, every name but 127.0.0.1 unresolvable, and any proxied
// request sent to a closed loopback port (loopback itself is never proxied).
const CHROME_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--proxy-server=127.0.0.1:9',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

// Firefox: the same through prefs (loopback bypasses the proxy unless hijacking is allowed).
const FIREFOX_PREFS = {
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': 9,
  'network.proxy.failover_direct': false,
  'network.proxy.allow_hijacking_localhost': false,
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.native-is-localhost': true,
  // Overlay scrollbars, as headless Chromium has: a 375 px viewport lays out at 375 px.
  'ui.useOverlayScrollbars': 1,
};

/**
 * Launches one of `BROWSERS` headless (fails with how to install it when it is missing) and
 * returns a driver: `open(url, {viewport, scheme})` gives a recording page, `close()` ends
 * every browser it started.
 *
 * Colour schemes: Chromium takes `page.emulateMediaFeatures` per page; Firefox's WebDriver
 * BiDi has no such command (`emulation.setMediaFeaturesOverride` is unknown to ESR 153), so a
 * Firefox is launched per scheme with `layout.css.prefers-color-scheme.content-override`.
 */
export async function launch(which) {
  if (!existsSync(which.executablePath)) {
    throw new Error(
      `${which.executablePath} is missing: \`apt-get install -y ${which.debian}\` ` +
        '(`cargo xtask test-e2e` installs it)',
    );
  }
  const start = (scheme) => {
    const options = { browser: which.name, executablePath: which.executablePath, headless: true };
    if (which.name === 'chrome') options.args = CHROME_ARGS;
    else {
      options.extraPrefsFirefox = {
        ...FIREFOX_PREFS,
        'layout.css.prefers-color-scheme.content-override': scheme === 'dark' ? 0 : 1,
      };
    }
    return puppeteer.launch(options);
  };
  const browsers = new Map(); // scheme (Firefox) or '*' (Chromium) -> Promise<Browser>
  const browserFor = (scheme) => {
    const key = which.name === 'chrome' ? '*' : scheme;
    if (!browsers.has(key)) browsers.set(key, start(scheme));
    return browsers.get(key);
  };
  await browserFor('light');
  return {
    name: which.name,
    open: async (url, { viewport = VIEWPORTS[0], scheme = 'light', origins = [] } = {}) =>
      openPage(await browserFor(scheme), url, { viewport, scheme, origins, emulate: which.name === 'chrome' }),
    close: async () => {
      const all = await Promise.allSettled(browsers.values());
      await Promise.all(all.filter((r) => r.status === 'fulfilled').map((r) => r.value.close()));
    },
  };
}

/**
 * Opens `url` in a new page of `browser` and records what goes wrong (a request to any origin
 * but the page's and `origins`, loopback all, among it). Returns `{ page, problems }`;
 * `problems` grows until the page is closed.
 */
async function openPage(browser, url, { viewport, scheme, origins, emulate }) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  if (emulate) await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  const origin = new URL(url).origin;
  // The browser's own guess at an icon (Chromium asks for /favicon.ico when the page names
  // none): not the page's request, so its 404 is not the page's fault.
  const implicitIcon = `${origin}/favicon.ico`;
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e?.message ?? e}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (m.location()?.url === implicitIcon) return;
    problems.push(`console error: ${m.text()}`);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (/^(data|blob|about):/.test(u)) return;
    let o;
    try {
      o = new URL(u);
    } catch {
      problems.push(`request to an unparsable URL: ${u}`);
      return;
    }
    if (!(o.origin === origin || origins.includes(o.origin)) || !isLoopback(o.hostname)) problems.push(`off-origin request: ${u}`);
  });
  page.on('requestfailed', (r) => {
    if (r.url() !== implicitIcon) problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.url() !== implicitIcon) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
  const applied = await page.evaluate((v) => matchMedia(`(prefers-color-scheme: ${v})`).matches, scheme);
  assert.ok(applied, `${browser.process()?.spawnfile ?? 'browser'}: prefers-color-scheme: ${scheme} was not applied`);
  return { page, problems };
}

/** Waits until the page says it is interactive: `<html data-ready="1">` (set by www/js/app.js). */
export async function waitReady(page, timeout = 10_000) {
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1', { timeout, polling: 50 });
}

/** Fails, listing them, if anything went wrong on the page. */
export function assertClean(problems, what) {
  assert.deepEqual(problems, [], `${what}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
}

/**
 * Saves `target/screenshots/<label>-<width>x<height>-<scheme>.png` of `page` at every
 * viewport; returns the paths.
 */
export async function screenshots(page, label, scheme) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const paths = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewport(viewport);
    // Two frames, so the new layout is painted.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const path = join(SCREENSHOTS, `${label}-${viewport.width}x${viewport.height}-${scheme}.png`);
    await page.screenshot({ path, fullPage: true });
    paths.push(path);
  }
  return paths;
}
