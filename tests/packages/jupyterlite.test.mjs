// JupyterLite 0.8.6 — jupyterlite-core and jupyterlite-pyodide-kernel from PyPI, built offline
// by jupyterlite/build.py with the kernel's Pyodide at a copy of npm's pyodide@314.0.6 and the
// wheel in the site's piplite index (PyPI fallback off) — runs a user's cells in its kernel's
// Web Worker, in Chromium and Firefox: `%pip install streamlab`, then asyncio.open_connection to
// an in-page demo host and, through the relay, to a demo server over real TCP.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { BROWSERS, launch } from '../e2e/browsers.mjs';
import { runCells } from './jupyterlite/repl.mjs';
import { proxySink } from './offline.mjs';
import { project, RELAY, WHEEL } from './site.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOOLS = process.env.STREAMLAB_TOOLS_DIR;
if (!TOOLS) throw new Error('STREAMLAB_TOOLS_DIR is not set: run these tests with `cargo xtask test-packages`');

const CELLS = [
  '%pip install streamlab',
  [
    'import asyncio, streamlab',
    'await streamlab.install()',
    'reader, writer = await asyncio.open_connection("example.demo", 80)',
    'writer.write(b"GET / HTTP/1.0\\r\\nHost: example.demo\\r\\n\\r\\n")',
    'print(await reader.readline(), len(await reader.read()) > 0, reader.at_eof())',
  ].join('\n'),
  [
    'import sys',
    `await streamlab.install(relay="${RELAY}")`,
    'reader, writer = await asyncio.open_connection("echo.demo", 7)',
    'writer.write(b"through the relay\\n")',
    'print(await reader.readline(), sys.version_info[:2])',
  ].join('\n'),
];
const EXPECTED = "[1] \n[2] b'HTTP/1.0 200 OK\\r\\n' True True\n[3] b'through the relay\\n' (3, 14)";

const site = project('jupyterlite');
execFileSync(
  'python3',
  [
    join(HERE, 'jupyterlite/build.py'),
    ...['--out', site.dir, '--pyodide', join(HERE, '../../node_modules/pyodide-314')],
    ...['--wheel', WHEEL, '--tools', TOOLS],
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);

describe('JupyterLite 0.8.6 with its Pyodide 314.0.6', () => {
  let sink;
  before(async () => {
    // Where browsers.mjs sends what would leave loopback: a worker's requests are seen here too.
    sink = await proxySink();
  });
  after(async () => {
    await sink?.close();
  });

  for (const which of BROWSERS) {
    test(`${which.name}: %pip install streamlab, then open_connection in the kernel`, { timeout: 240_000 }, async () => {
      const driver = await launch(which);
      try {
        assert.equal(await runCells(driver, site.url, CELLS, { sink }), EXPECTED);
      } finally {
        await driver.close();
      }
    });
  }
});
