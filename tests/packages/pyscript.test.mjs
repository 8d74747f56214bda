// PyScript (@pyscript/core from npm) with its interpreter pointed at the site's Pyodide 314: a
// page whose <script type="py"> installs the wheel through PyScript's own `packages` config
// (micropip) and runs an asyncio.open_connection program, in Chromium and Firefox.

import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertClean, BROWSERS, launch } from '../e2e/browsers.mjs';
import { FIXTURES, project, WHEEL } from './site.mjs';
import { leftLoopback, proxySink } from './offline.mjs';

const site = project('pyscript');
copyFileSync(WHEEL, join(site.dir, basename(WHEEL)));
writeFileSync(
  join(site.dir, 'index.html'),
  readFileSync(join(FIXTURES, 'pyscript.html'), 'utf8').replace('./WHEEL', `./${basename(WHEEL)}`),
);

// Every request a page or its workers send off loopback ends at this proxy (offline.mjs).
const sink = await proxySink();
after(() => sink.close());

for (const which of BROWSERS) {
  describe(`PyScript in ${which.name}`, () => {
    let driver;
    before(async () => {
      driver = await launch(which);
    });
    after(async () => {
      await driver?.close();
    });

    test('packages installs the wheel; asyncio.open_connection reads example.demo', { timeout: 180_000 }, async () => {
      const { page, problems } = await driver.open(site.url);
      try {
        // On failure the page's text (PyScript shows the traceback) says why.
        await page
          .waitForFunction(() => document.body.dataset.result !== undefined, { timeout: 120_000, polling: 200 })
          .catch(() => {});
        const result = await page.evaluate(() => document.body.dataset.result ?? document.body.innerText);
        assert.equal(result, "b'HTTP/1.0 200 OK\\r\\n' True (3, 14)");
        assertClean([...problems, ...leftLoopback(sink).problems], 'the PyScript page');
      } finally {
        await page.close();
      }
    });
  });
}
