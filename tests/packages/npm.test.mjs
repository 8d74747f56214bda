// The npm package, from the tarball alone, the two ways a tutorial author takes it: unpacked
// on a plain static host at a deep path (/npm/streamlab@VERSION/, as a CDN serves it) and
// imported by URL with no bundler; and `npm install`ed into an empty Vite project, built with
// `vite build`, its types checked by the app's own `tsc --strict`. In both, the JS API reads an
// in-page demo and a <stream-playground> runs its script (its Python from the site's Pyodide,
// configured), in Chromium and Firefox, both themes, with no request off the page's origin.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertClean, BROWSERS, launch, SCHEMES, screenshots } from '../e2e/browsers.mjs';
import { FIXTURES, project, SITE_DIR, TARBALL, VERSION } from './site.mjs';
import { leftLoopback, proxySink } from './offline.mjs';

/** Vite and TypeScript, pinned, from npm. */
const VITE = 'vite@8.4.1';
const TYPESCRIPT = 'typescript@5.9.3';

const app = readFileSync(join(FIXTURES, 'app.js'), 'utf8');
const html = readFileSync(join(FIXTURES, 'app.html'), 'utf8');

/** The tarball unpacked at /npm/streamlab@VERSION/, and a page importing it by URL. */
function staticRoute() {
  const cdn = join(SITE_DIR, 'npm', `streamlab@${VERSION}`);
  rmSync(cdn, { recursive: true, force: true });
  mkdirSync(cdn, { recursive: true });
  execFileSync('tar', ['xzf', TARBALL, '--strip-components=1', '-C', cdn]);
  const site = project('static');
  const base = `/npm/streamlab@${VERSION}`;
  writeFileSync(
    join(site.dir, 'app.js'),
    app.replace('from "streamlab";', `from "${base}/index.js";`).replace('from "streamlab/element";', `from "${base}/element.js";`),
  );
  writeFileSync(join(site.dir, 'index.html'), html);
  return site.url;
}

/** An empty project that installs the tarball and Vite from npm, built into the site's /vite/. */
function viteRoute() {
  const site = project('vite');
  const dir = mkdtempSync(join(tmpdir(), 'streamlab-vite-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tutorial', private: true, type: 'module' }));
    const npm = (...args) => execFileSync('npm', args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    npm('install', '--no-audit', '--no-fund', TARBALL, VITE, TYPESCRIPT);
    writeFileSync(join(dir, 'index.html'), html);
    writeFileSync(join(dir, 'app.js'), app);
    // The package's types, through its exports, as the app's own TypeScript sees them.
    copyFileSync(join(FIXTURES, 'types.ts'), join(dir, 'types.ts'));
    const strict = { strict: true, noEmit: true, target: 'ES2022', module: 'ES2022', moduleResolution: 'bundler' };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: strict, files: ['types.ts'] }));
    npm('exec', '--', 'tsc', '-p', '.');
    const config = { base: '/vite/', build: { outDir: site.dir, emptyOutDir: true } };
    writeFileSync(join(dir, 'vite.config.js'), `export default ${JSON.stringify(config)};\n`);
    npm('exec', '--', 'vite', 'build', '--logLevel', 'warn');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return site.url;
}

test('the tarball holds what its exports name, and no Python bytecode', () => {
  const files = execFileSync('tar', ['tzf', TARBALL], { encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.deepEqual(files.filter((f) => /__pycache__|\.pyc$/.test(f)), []);
  for (const f of ['index.js', 'index.d.ts', 'element.js', 'element.d.ts', 'streamlab_bg.wasm', 'py/streamlab.py']) {
    assert.ok(files.includes(`package/${f}`), `package/${f} is missing`);
  }
});

const ROUTES = [
  { name: 'a static host, imported by URL', label: 'static', url: staticRoute() },
  { name: 'a Vite app after vite build', label: 'vite', url: viteRoute() },
];

/** Waits for app.js's result and the element's script output. */
async function results(page) {
  await page.waitForFunction(() => window.apiResult !== undefined, { timeout: 60_000, polling: 100 });
  const api = await page.evaluate(() => window.apiResult);
  await page.waitForFunction(() => {
    const el = document.getElementById('play');
    return el?.dataset.python === 'ready' && !el.dataset.scriptRunning &&
      el.shadowRoot?.querySelector('#py-script-out')?.textContent.length > 0;
  }, { timeout: 120_000, polling: 100 });
  const printed = await page.evaluate(() => document.getElementById('play').shadowRoot.querySelector('#py-script-out').textContent);
  return { api, printed };
}

// Every request a page or its workers send off loopback ends at this proxy (offline.mjs).
const sink = await proxySink();
after(() => sink.close());

for (const which of BROWSERS) {
  describe(`the npm package in ${which.name}`, () => {
    let driver;
    before(async () => {
      driver = await launch(which);
    });
    after(async () => {
      await driver?.close();
    });

    for (const route of ROUTES) {
      for (const scheme of SCHEMES) {
        test(`${route.name} (${scheme})`, { timeout: 180_000 }, async () => {
          const { page, problems } = await driver.open(route.url, { scheme });
          try {
            const { api, printed } = await results(page);
            assert.deepEqual(api, { status: "b'HTTP/1.0 200 OK\\r\\n'", eof: true, more: true });
            assert.equal(printed, "b'HTTP/1.0 200 OK\\r\\n'\n");
            await screenshots(page, `npm-${route.label}-${which.name}`, scheme);
            assertClean([...problems, ...leftLoopback(sink).problems], route.name);
          } finally {
            await page.close();
          }
        });
      }
    }
  });
}
