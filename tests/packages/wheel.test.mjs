// The Pyodide wheel, from the artifact alone: installed with pyodide.loadPackage into npm's
// Pyodide 0.29.3 (CPython 3.13) and 314 (CPython 3.14), in a page's main thread and in a
// module worker, in Chromium and Firefox; program.py serves in the page, reads a demo host
// with no relay and a relay's echo server over real TCP. A wheel without its wasm must fail, and
// so must a native CPython's import of the installed wheel, saying where streamlab runs.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertClean, BROWSERS, launch } from '../e2e/browsers.mjs';
import { WHEEL, wheelSite } from './site.mjs';
import { leftLoopback, proxySink } from './offline.mjs';

/** Everything program.py prints, in order (CPython 3.13.0's and 3.14's alike). */
const EXPECTED = `True <class 'asyncio.streams.StreamReader'>
OSError True True
b'HELLO\\n' b'' True
IncompleteReadError('0 bytes read on a total of 1 expected bytes') b'' 1
b'HTTP/1.0 200 OK\\r\\n'
LimitOverrunError Separator is found, but chunk is longer than limit 6
b'over real TCP\\n' 127.0.0.1
b''
False False
done on cpython
`;

const PYODIDES = [
  { folder: 'pyodide-0.29.3', python: /^3\.13\./ },
  { folder: 'pyodide-314', python: /^3\.14\./ },
];

const site = wheelSite('wheel');

/** The page's outcome ({result} or {error}) for one Pyodide, main thread or worker. */
async function outcome(driver, { folder, wheel = basename(WHEEL), worker = false }) {
  const { page, problems } = await driver.open(site.url(folder, { wheel, worker }));
  try {
    await page.waitForFunction(() => window.outcome !== undefined, { timeout: 120_000, polling: 100 });
    return { outcome: await page.evaluate(() => window.outcome), problems };
  } finally {
    await page.close();
  }
}

// Every request a page or its workers send off loopback ends at this proxy (offline.mjs).
const sink = await proxySink();
after(() => sink.close());

for (const which of BROWSERS) {
  describe(`the wheel in ${which.name}`, () => {
    let driver;
    before(async () => {
      driver = await launch(which);
    });
    after(async () => {
      await driver?.close();
    });

    for (const pyodide of PYODIDES) {
      for (const worker of [false, true]) {
        const where = worker ? 'a module worker' : 'the main thread';
        test(`${pyodide.folder}, ${where}`, { timeout: 180_000 }, async () => {
          const { outcome: o, problems } = await outcome(driver, { folder: pyodide.folder, worker });
          assert.equal(o.error, undefined, o.error);
          assert.match(o.result.python, pyodide.python);
          assert.equal(o.result.output, EXPECTED);
          console.log(`# ${which.name} ${pyodide.folder} ${where}: install() took ${o.result.installMs.toFixed(0)} ms`);
          assertClean([...problems, ...leftLoopback(sink).problems], `${pyodide.folder} in ${where}`);
        });
      }
    }

    test('a wheel without its wasm fails with a clear ImportError', { timeout: 180_000 }, async () => {
      mkdirSync(join(site.dir, 'broken'), { recursive: true });
      const broken = `broken/${basename(WHEEL)}`;
      execFileSync('python3', [
        '-c',
        `import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w")
for item in src.infolist():
    if not item.filename.endswith("streamlab_bg.wasm"):
        dst.writestr(item, src.read(item))
dst.close()`,
        WHEEL,
        join(site.dir, broken),
      ]);
      const { outcome: o } = await outcome(driver, { folder: 'pyodide-314', wheel: broken });
      assert.match(o.error ?? '', /ImportError: streamlab: no JavaScript API registered as _streamlab_js and no WebAssembly in this package/);
    });
  });
}

test('a native CPython that installs the wheel is told where streamlab runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamlab-native-'));
  try {
    // CPython 3.13.0, the project's oracle (the wheel asks for ≥ 3.12), found as xtask finds it.
    const env = { PYENV_VERSION: '3.13.0', ...process.env };
    execFileSync(process.env.STREAMLAB_PYTHON ?? 'python3', ['-m', 'venv', dir], { env });
    const python = join(dir, 'bin', 'python');
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--no-index', WHEEL], { env, stdio: 'inherit' });
    const run = () => execFileSync(python, ['-c', 'import streamlab'], { env, encoding: 'utf8', stdio: 'pipe' });
    assert.throws(run, (e) => {
      assert.match(e.stderr, /ImportError: streamlab gives a browser's Python \(Pyodide: PyScript, JupyterLite, a page of your own\) the asyncio streams a browser cannot open; it runs only there\./);
      assert.match(e.stderr, /asyncio\.open_connection already opens real TCP/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
