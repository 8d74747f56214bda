// The Python console's budgets, measured (cargo xtask bench-python), in headless Chromium on
// loopback, all in one page and one run:
//
// * ready: first use of the console (focus) to its banner, Pyodide's load included, cold cache;
// * a statement's result: `await reader.readline()` typed while the line is already buffered,
//   from Enter to the result on screen (median of 30);
// * `async for` over 64 MiB of 64-byte lines: streamlab's StreamReader — shown in the page's
//   views (watched), and unwatched as in a Pyodide app of your own — beside Pyodide's own
//   asyncio.StreamReader, each fed the same bytes in memory (best of 3 each, interleaved).
//
//   STREAMLAB_PAGE_URL=http://127.0.0.1:8765/ node benches/python.mjs
//
// Prints one JSON object. Budgets (issue: the Python console): ready ≤ 5 s, a result ≤ 50 ms
// after the data is there, async for ≥ 0.5× Pyodide's own reader.

import { launchChromium } from './chromium.mjs';

const url = process.env.STREAMLAB_PAGE_URL;
if (!url) throw new Error('STREAMLAB_PAGE_URL is not set: run `cargo xtask bench-python`');
const MIB = Number(process.env.STREAMLAB_STREAM_MIB ?? 64);

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.setCacheEnabled(false);
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1');

  // Ready: focus the console (first use) until Python's banner is there.
  const readyMs = await page.evaluate(async () => {
    const start = performance.now();
    document.querySelector('#py-in').focus();
    while (document.documentElement.dataset.python !== 'ready') await new Promise((r) => setTimeout(r, 5));
    return performance.now() - start;
  });

  // A statement's result, the line already buffered: Enter to the result on screen.
  const resultMs = await page.evaluate(async () => {
    const { python } = window.streamlab;
    const out = document.querySelector('#py-out');
    python.submit('r = asyncio.StreamReader()');
    while (document.documentElement.dataset.pythonBusy) await new Promise((r) => setTimeout(r, 1));
    const times = [];
    for (let i = 0; i < 30; i++) {
      python.submit(`r.feed_data(b"line ${i}\\n")`);
      while (document.documentElement.dataset.pythonBusy) await new Promise((r) => setTimeout(r, 1));
      const want = `b'line ${i}\\n'`;
      const start = performance.now();
      python.submit('await r.readline()');
      await new Promise((resolve) => {
        const seen = () => out.textContent.endsWith(`${want}\n`);
        if (seen()) return resolve();
        new MutationObserver((_, obs) => {
          if (seen()) {
            obs.disconnect();
            resolve();
          }
        }).observe(out, { childList: true, subtree: true, characterData: true });
      });
      times.push(performance.now() - start);
      while (document.documentElement.dataset.pythonBusy) await new Promise((r) => setTimeout(r, 1));
    }
    times.sort((a, b) => a - b);
    return { median: times[15], max: times.at(-1) };
  });

  // async for over MIB of 64-byte lines: streamlab's reader and Pyodide's own, same bytes.
  const lines = await page.evaluate(async (mib) => {
    const script = `
import asyncio, time, streamlab
Theirs = streamlab._SAVED["StreamReader"]
data = (b"x" * 63 + b"\\n") * (${mib} * 16384)

async def lines(reader):
    reader.feed_data(data)
    reader.feed_eof()
    start = time.perf_counter()
    n = 0
    async for line in reader:
        n += 1
    return n, time.perf_counter() - start

def plain():
    # A reader nobody watches, as in a Pyodide app of your own.
    return streamlab.StreamReader(_js_reader=streamlab._js.StreamReader.new(2**16))

async def main():
    makers = {
        "watched": lambda: streamlab.StreamReader(limit=2**16),  # a tab in the page's views
        "plain": plain,
        "pyodide": lambda: Theirs(limit=2**16),
    }
    best = dict.fromkeys(makers, 1e9)
    for _ in range(3):
        for name, make in makers.items():
            n, s = await lines(make())
            assert n == ${mib} * 16384, n
            best[name] = min(best[name], s)
    print(best["watched"], best["plain"], best["pyodide"])

asyncio.run(main())
`;
    const r = await window.streamlab.python.runScript(script);
    if (r.status !== 0) throw new Error(r.stderr);
    const [watched, plain, theirs] = r.stdout.trim().split(' ').map(Number);
    return { watched, plain, theirs };
  }, MIB);

  const count = MIB * 16384;
  console.log(JSON.stringify({
    console_ready_ms: Math.round(readyMs),
    result_after_data_ms_median: +resultMs.median.toFixed(1),
    result_after_data_ms_max: +resultMs.max.toFixed(1),
    async_for_mib: MIB,
    us_per_line_streamlab_watched: +((lines.watched / count) * 1e6).toFixed(2),
    us_per_line_streamlab_plain: +((lines.plain / count) * 1e6).toFixed(2),
    us_per_line_pyodide: +((lines.theirs / count) * 1e6).toFixed(2),
    ratio_watched_to_pyodide: +(lines.theirs / lines.watched).toFixed(2),
    ratio_plain_to_pyodide: +(lines.theirs / lines.plain).toFixed(2),
  }));
} finally {
  await browser.close();
}
