// The packages' budgets, measured (cargo xtask bench-packages): the artifacts' sizes, and
// `import streamlab; await streamlab.install()` after Pyodide is ready, with the wheel
// installed (tests/packages/site/wheel.js times exactly that) — Pyodide 0.29.3 and 314, main
// thread and module worker, headless Chromium and Firefox, median of ROUNDS fresh pages each.
//
// Prints a Markdown table and one JSON line. Budgets (issue 20): wheel ≤ 250 KiB, tarball
// ≤ 400 KiB, install() ≤ 300 ms.

import { statSync } from 'node:fs';

import { BROWSERS, launch } from '../tests/e2e/browsers.mjs';
import { TARBALL, WHEEL, wheelSite } from '../tests/packages/site.mjs';

const ROUNDS = Number(process.env.STREAMLAB_ROUNDS ?? 5);
const site = wheelSite('bench-wheel');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const figures = {
  tarball_bytes: statSync(TARBALL).size,
  wheel_bytes: statSync(WHEEL).size,
  install_ms: {},
};
const rows = [];
for (const which of BROWSERS) {
  const driver = await launch(which);
  try {
    for (const pyodide of ['pyodide-0.29.3', 'pyodide-314']) {
      for (const worker of ['0', '1']) {
        const times = [];
        for (let i = 0; i < ROUNDS; i++) {
          const { page } = await driver.open(site.url(pyodide, { worker: worker === '1' }));
          await page.waitForFunction(() => window.outcome !== undefined, { timeout: 120_000, polling: 100 });
          const o = await page.evaluate(() => window.outcome);
          await page.close();
          if (o.error) throw new Error(`${which.name} ${pyodide}: ${o.error}`);
          times.push(o.result.installMs);
        }
        const where = worker === '1' ? 'worker' : 'main';
        const ms = median(times);
        figures.install_ms[`${which.name} ${pyodide} ${where}`] = Math.round(ms);
        rows.push(`| ${which.name} | ${pyodide} | ${where} | ${ms.toFixed(0)} | ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} |`);
      }
    }
  } finally {
    await driver.close();
  }
}
const kib = (n) => (n / 1024).toFixed(0);
console.log(`tarball ${kib(figures.tarball_bytes)} KiB (budget 400), wheel ${kib(figures.wheel_bytes)} KiB (budget 250)\n`);
console.log(`| browser | Pyodide | thread | install() median ms (budget 300) | range |\n|---|---|---|---|---|\n${rows.join('\n')}\n`);
console.log(JSON.stringify(figures));
