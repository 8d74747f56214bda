// Runs Python cells in a JupyterLite site's REPL (the Pyodide kernel, in a Web Worker) in headless
// Chromium and Firefox, both kept on loopback by ../../e2e/browsers.mjs, and reads the outputs
// back from the DOM. The site comes from ./build.py (a local Pyodide 314.0.6, the kernel's wheels
// shipped in the site, PyPI fallback off). A problem — off-origin request (the page's, or any a
// worker sends, seen at browsers.mjs's proxy), page error, console error, failed request, HTTP
// error — fails the run.


import { assertClean } from '../../e2e/browsers.mjs';
import { leftLoopback } from '../offline.mjs';

/** The REPL URL that executes `cells` (strings) in order in a fresh Python kernel. */
export function replUrl(siteUrl, cells) {
  const url = new URL('repl/index.html', siteUrl.endsWith('/') ? siteUrl : `${siteUrl}/`);
  url.searchParams.set('kernel', 'python');
  url.searchParams.set('toolbar', '1');
  for (const code of cells) url.searchParams.append('code', code);
  url.searchParams.set('execute', '1');
  return url.href;
}

/**
 * Opens the REPL of the JupyterLite site at `siteUrl` with `driver` (from browsers.mjs's `launch`),
 * executes `cells` (strings, in order, in a fresh kernel) and waits up to `timeout` ms until every
 * one has run. Returns `{ text, cells, problems, appMs }`: `text` is the outputs, one line block
 * per cell ("[n] " + its output); `cells` is [{code, output, ms}] (ms: when the cell had run,
 * since the page was opened); `appMs`: when the console was on the page; `problems`: what the
 * page recorded, plus, when `sink` (from `proxySink`) is given, every request that tried to leave
 * loopback meanwhile, the browser's own background requests (`BROWSER_OWN`) apart, in `own`.
 * Throws, with what the page shows, when the cells do not all run in time.
 */
export async function runCellsDetailed(driver, siteUrl, cells, { timeout = 120_000, sink = null } = {}) {
  if (sink) sink.seen.length = 0;
  const t0 = performance.now();
  const { page, problems } = await driver.open(replUrl(siteUrl, cells));
  const done = new Map(); // cell index -> ms
  let appMs;
  try {
    const deadline = t0 + timeout;
    let state;
    for (;;) {
      state = await page.evaluate(() => {
        const content = document.querySelector('.jp-CodeConsole-content');
        if (!content) return null;
        return [...content.querySelectorAll('.jp-CodeCell')].map((cell) => ({
          prompt: cell.querySelector('.jp-InputPrompt')?.textContent?.trim() ?? '',
          output: [...cell.querySelectorAll('.jp-OutputArea-output')].map((o) => o.innerText).join('\n').trim(),
        }));
      });
      const now = performance.now();
      if (state && appMs === undefined) appMs = Math.round(now - t0);
      (state ?? []).forEach((c, i) => {
        if (/^\[\d+\]:?$/.test(c.prompt) && !done.has(i)) done.set(i, Math.round(now - t0));
      });
      if (done.size >= cells.length) break;
      if (now > deadline) {
        const text = await page.evaluate(() => document.body.innerText).catch((e) => `(no text: ${e.message})`);
        throw new Error(
          `${driver.name}: ${done.size} of ${cells.length} cells ran in ${timeout} ms; the page shows:\n${text}\n` +
            `problems so far:\n  ${[...problems, ...(sink?.seen ?? []).map((x) => x.line)].join('\n  ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const per = cells.map((code, i) => ({ code, output: state[i]?.output ?? '', ms: done.get(i) }));
    const all = [...problems];
    const own = [];
    if (sink) {
      await new Promise((r) => setTimeout(r, 500)); // let a last proxied request land
      const left = leftLoopback(sink);
      all.push(...left.problems);
      own.push(...left.own);
    }
    return { text: per.map((c, i) => `[${i + 1}] ${c.output}`).join('\n'), cells: per, problems: all, own, appMs };
  } finally {
    await page.close();
  }
}

/**
 * `runCellsDetailed`, failing (browsers.mjs's `assertClean`) when anything was recorded; returns
 * the outputs' text ("[1] …\n[2] …").
 */
export async function runCells(driver, siteUrl, cells, options = {}) {
  const out = await runCellsDetailed(driver, siteUrl, cells, options);
  assertClean(out.problems, `${driver.name}: the JupyterLite REPL`);
  return out.text;
}
