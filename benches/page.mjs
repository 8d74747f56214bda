// The page's budgets, measured (cargo xtask bench-page): the release build's sizes, gzipped;
// time to interactive in headless Chromium on loopback; and whether the views keep up while
// 64 MiB stream through one connection — frames per second while data flows, and the DOM's
// size before and after (it must not grow with the stream).
//
//   STREAMLAB_PAGE_URL=http://127.0.0.1:8765/ node benches/page.mjs dist/
//
// Prints one JSON object. Budgets (issue: the playground page): wasm ≤ 150 KiB gzip, page JS +
// CSS ≤ 60 KiB gzip, interactive ≤ 1 s, ≥ 30 frames/s while data flows, bounded DOM.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { launchChromium } from './chromium.mjs';

const dist = process.argv[2] ?? 'dist';
const url = process.env.STREAMLAB_PAGE_URL;
if (!url) throw new Error('STREAMLAB_PAGE_URL is not set: run `cargo xtask bench-page`');

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
const gz = (paths) => paths.reduce((n, p) => n + gzipSync(readFileSync(p), { level: 9 }).length, 0);
// The page itself: Pyodide (dist/pyodide/, loaded on first use of the console) is not.
const all = files(dist).filter((p) => !p.startsWith(join(dist, 'pyodide')));
const wasmGzip = gz(all.filter((p) => p.endsWith('.wasm')));
const jsCssGzip = gz(all.filter((p) => /\.(js|css)$/.test(p)));

const MIB = Number(process.env.STREAMLAB_STREAM_MIB ?? 64);
const browser = await launchChromium();
try {
  // Time to interactive: navigation start to <html data-ready="1">, best of 3 cold loads.
  const interactive = [];
  for (let i = 0; i < 3; i++) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setCacheEnabled(false);
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1', { timeout: 20_000 });
    // When it became ready, on the page's own clock (navigation start is 0).
    interactive.push(await page.evaluate(() => window.streamlab.readyAt));
    await context.close();
  }

  // 64 MiB through the page: lines.demo sends numbered lines; the page reads 64 KiB at a time
  // through its own buttons' path (Connection.call), while every view renders.
  const page = await browser.newPage();
  page.on('error', (e) => console.error(`the page crashed: ${e.message}`));
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');
  const flow = await page.evaluate(async (mib) => {
    const { session } = window.streamlab;
    const { method } = await import('./js/methods.js');
    const conn = await session.open({ host: 'lines.demo', port: 9001, limit: 65536, relay: null, ssl: false });
    const nodes = () => document.getElementsByTagName('*').length;
    const before = nodes();
    let frames = 0;
    let counting = true;
    const tick = () => {
      frames++;
      if (counting) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    // lines.demo's most: 10 M numbered lines, about 129 MiB; the loop stops at `mib`.
    await conn.call(method('write'), { data: "b'10000000\\n'" });
    const start = performance.now();
    let bytes = 0;
    while (bytes < mib * 1024 * 1024) {
      const entry = await conn.call(method('read'), { n: '65536' });
      if (!entry.ok || !entry.value?.length) break;
      bytes += entry.value.length;
    }
    const seconds = (performance.now() - start) / 1000;
    counting = false;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { bytes, seconds, fps: frames / seconds, nodesBefore: before, nodesAfter: nodes(), events: conn.events.length };
  }, MIB);
  const best = Math.min(...interactive);
  console.log(JSON.stringify({
    wasm_gzip_bytes: wasmGzip,
    js_css_gzip_bytes: jsCssGzip,
    interactive_ms: Math.round(best),
    interactive_runs_ms: interactive.map(Math.round),
    stream_mib: +(flow.bytes / 2 ** 20).toFixed(1),
    stream_mib_s: +(flow.bytes / 2 ** 20 / flow.seconds).toFixed(1),
    frames_per_s: +flow.fps.toFixed(1),
    dom_nodes_before: flow.nodesBefore,
    dom_nodes_after: flow.nodesAfter,
    events_kept: flow.events,
  }));
} finally {
  await browser.close();
}
