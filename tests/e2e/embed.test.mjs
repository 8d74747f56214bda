// Embedding, in both browsers: embed-demo.html's two iframes and two <stream-playground>s
// each run their own script with their own output and connections (one Pyodide for both
// components); an iframe from another origin answers the postMessage API both ways; a Share
// link restores script and settings exactly (and stays short); bad parameters are reported
// by name; every step of the lesson (learn.html) runs; no request leaves the pages' origins.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { BROWSERS, SCHEMES, assertClean, launch, screenshots, servings, waitReady } from './browsers.mjs';

const [RELAY, STATIC] = ['relay', 'static'].map((n) => servings().find((s) => s.name === n));
const at = (serving, path) => new URL(path, serving.url).href;
const ORIGINS = [new URL(RELAY.url).origin, new URL(STATIC.url).origin];

/** The text of `selector` in the shadow root of the element `id`. */
const shadowText = (page, id, selector) =>
  page.evaluate((i, s) => document.getElementById(i)?.shadowRoot?.querySelector(s)?.textContent ?? null, id, selector);

/** Waits until the <stream-playground id=…> has run its script (autorun) and returns its output. */
async function ranOutput(page, id) {
  await page.waitForFunction((i) => {
    const el = document.getElementById(i);
    return el?.dataset.ready === '1' && el.dataset.python === 'ready' && !el.dataset.scriptRunning &&
      el.shadowRoot.querySelector('#py-script-out').textContent.length > 0;
  }, { timeout: 90_000, polling: 100 }, id);
  return shadowText(page, id, '#py-script-out');
}

for (const which of BROWSERS) {
  describe(`embedding in ${which.name}`, () => {
    let driver;
    before(async () => {
      driver = await launch(which);
    });
    after(async () => {
      await driver?.close();
    });

    test('two iframes and two components on one page, each its own', { timeout: 180_000 }, async () => {
      const { page, problems } = await driver.open(at(STATIC, 'embed-demo.html'));
      try {
        const [a, b] = [await ranOutput(page, 'pg-a'), await ranOutput(page, 'pg-b')];
        assert.equal(a, "b'one\\n'\nb'two\\n'\n");
        assert.equal(b, 'LimitOverrunError, consumed = 6\n');
        // Each component's connections are its own.
        const tabs = (id) => page.evaluate((i) => [...document.getElementById(i).shadowRoot.querySelectorAll('#tabs [role=tab]')].map((t) => t.textContent), id);
        assert.deepEqual(await tabs('pg-a'), ['echo.demo:7 · py']);
        assert.deepEqual(await tabs('pg-b'), ['StreamReader(limit=4)']);
        // One Pyodide for both components.
        const loads = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('pyodide.asm.wasm')).length);
        assert.equal(loads, 1, 'the components share one Pyodide');
        // The iframes: A ran its script, B shows the buttons in the dark theme.
        const frames = page.frames();
        const frameA = frames.find((f) => f.url().includes('autorun=1'));
        const frameB = frames.find((f) => f.url().includes('echo.demo'));
        await frameA.waitForFunction(() => document.querySelector('#py-script-out')?.textContent.includes('200 OK'), { timeout: 90_000, polling: 100 });
        assert.equal(await frameA.$eval('#py-script-out', (e) => e.textContent), "b'HTTP/1.0 200 OK\\r\\n'\n");
        await frameB.waitForFunction(() => document.documentElement.dataset.ready === '1', { timeout: 20_000 });
        assert.equal(await frameB.evaluate(() => document.documentElement.dataset.theme), 'dark');
        assert.equal(await frameB.$eval('#connect-form', (e) => getComputedStyle(e).display === 'none'), false);
        assert.equal(await frameB.$eval('#python', (e) => getComputedStyle(e).display), 'none');
        await frameB.click('#connect-form button[type=submit]');
        await frameB.waitForFunction(() => document.querySelector('#tabs')?.textContent.includes('echo.demo:7'), { timeout: 10_000 });
        for (const scheme of SCHEMES) {
          if (scheme === 'light') await screenshots(page, `embed-demo-${which.name}`, scheme);
        }
        assertClean(problems, `${which.name}: embed-demo.html`);
      } finally {
        await page.close();
      }
    });

    test('an iframe from another origin: the postMessage API both ways', { timeout: 120_000 }, async () => {
      // The host page: served by the static host; the embed: by the relay, another origin.
      const { page, problems } = await driver.open(at(STATIC, 'embed.html?view=buffer'), { origins: ORIGINS });
      try {
        await waitReady(page);
        const hostOrigin = new URL(STATIC.url).origin;
        const src = at(RELAY, `embed.html?view=script&origin=${encodeURIComponent(hostOrigin)}&script=${encodeURIComponent('print(1)\n')}`);
        const got = await page.evaluate(async (url) => {
          const frame = document.createElement('iframe');
          frame.src = url;
          frame.style.cssText = 'width:600px;height:400px';
          const seen = [];
          const next = (type) => new Promise((resolve) => {
            const look = () => {
              const i = seen.findIndex((m) => m.type === type);
              if (i >= 0) return resolve(seen.splice(i, 1)[0]);
              setTimeout(look, 20);
            };
            look();
          });
          addEventListener('message', (e) => {
            if (e.source === frame.contentWindow && e.data?.source === 'streamlab') seen.push({ ...e.data, origin: e.origin });
          });
          document.body.append(frame);
          const ready = await next('ready');
          const send = (m) => frame.contentWindow.postMessage(m, new URL(url).origin);
          send({ type: 'setScript', script: 'import asyncio\n\nasync def main():\n    r, w = await asyncio.open_connection("echo.demo", 7)\n    w.write(b"ping\\n")\n    print(await r.readline())\n    w.close()\n\nasyncio.run(main())\n' });
          const state = await next('state');
          send({ type: 'run' });
          const result = await next('result');
          const outputs = seen.filter((m) => m.type === 'output');
          const events = seen.filter((m) => m.type === 'event');
          send({ type: 'nonsense' });
          const error = await next('error');
          send({ type: 'getState' });
          const after = await next('state');
          send({ type: 'reset' });
          const reset = await next('state');
          const tabsLeft = frame.contentDocument === null ? 'cross-origin' : 'same-origin';
          return { ready, state, result, outputs, events, error, after, reset, tabsLeft };
        }, src);
        assert.equal(got.ready.origin, new URL(RELAY.url).origin);
        assert.equal(got.ready.state.script, 'print(1)\n');
        assert.match(got.state.state.script, /open_connection\("echo.demo", 7\)/);
        assert.deepEqual([got.result.status, got.result.stdout, got.result.stderr], [0, "b'ping\\n'\n", '']);
        assert.ok(got.outputs.every((m) => m.stream === 'stdout'), JSON.stringify(got.outputs));
        assert.equal(got.outputs.map((m) => m.text).join(''), "b'ping\\n'\n");
        assert.ok(got.events.some((m) => m.connection === 'echo.demo:7' && m.event.type === 'callFinished' && m.event.method === 'readline'), 'the timeline\'s events come out');
        assert.match(got.error.message, /unknown message type "nonsense"/);
        assert.equal(got.after.state.script, got.state.state.script);
        assert.equal(got.reset.state.script, 'print(1)\n', 'reset restores the first script');
        assert.equal(got.tabsLeft, 'cross-origin', 'the embed really is another origin');
        assertClean(problems, `${which.name}: cross-origin embed`);
      } finally {
        await page.close();
      }
    });

    test('a Share link restores the script and settings exactly, and is short', { timeout: 60_000 }, async () => {
      const { page, problems } = await driver.open(RELAY.url);
      const script = `# forty lines\nimport asyncio\n\n${Array.from({ length: 37 }, (_, i) => `print("line ${i}: ünïcode ✓", ${i} * ${i})`).join('\n')}\n`;
      let link;
      try {
        await waitReady(page);
        await page.evaluate((s) => {
          document.querySelector('#py-tab-script').click();
          document.querySelector('#py-source').value = s;
          document.querySelector('#host').value = 'lines.demo';
          document.querySelector('#port').value = '9001';
          document.querySelector('#limit').value = '17';
        }, script);
        await page.click('#py-share');
        await page.waitForFunction(() => document.querySelector('#py-share-url').value.includes('#s='));
        link = await page.$eval('#py-share-url', (e) => e.value);
        assertClean(problems, `${which.name}: share`);
      } finally {
        await page.close();
      }
      assert.equal(script.split('\n').length - 1, 40);
      assert.ok(link.length <= 2048, `a 40-line script's link is ${link.length} characters`);
      const opened = await driver.open(link);
      try {
        await opened.page.waitForFunction(() => document.documentElement.dataset.restored === '1', { timeout: 10_000 });
        const got = await opened.page.evaluate(() => ['#py-source', '#host', '#port', '#limit'].map((s) => document.querySelector(s).value));
        assert.deepEqual(got, [script, 'lines.demo', '9001', '17']);
        assert.equal(await opened.page.$eval('#problems', (e) => e.hidden), true);
        assertClean(opened.problems, `${which.name}: opening the link`);
      } finally {
        await opened.page.close();
      }
    });

    test('bad parameters are reported by name and ignored', { timeout: 60_000 }, async () => {
      const { page, problems } = await driver.open(at(STATIC, 'embed.html?port=eighty&colour=red&view=buttons,sidebar&theme=blue&height=9&relay=http://x'));
      try {
        await waitReady(page);
        const text = await page.$eval('#problems', (e) => (e.hidden ? '' : e.textContent));
        for (const want of ['“port” must be a whole number from 1 to 65535, not "eighty"', 'Unknown parameter “colour”',
          '“view” must be some of buttons, console, script, buffer', '“theme” must be light, dark or auto, not "blue"',
          '“height” must be a height in pixels', '“relay” must be a ws:// or wss:// URL']) {
          assert.ok(text.includes(want), `the message says ${JSON.stringify(want)}: ${text}`);
        }
        // Ignored: the defaults stand, and the playground works.
        assert.equal(await page.$eval('#port', (e) => e.value), '80');
        await page.click('#connect-form button[type=submit]');
        await page.waitForFunction(() => document.querySelector('#tabs')?.textContent.includes('example.demo:80'), { timeout: 10_000 });
        await screenshots(page, `embed-problems-${which.name}`, 'light');
        assertClean(problems, `${which.name}: bad parameters`);
      } finally {
        await page.close();
      }
    });

    test('view, readonly, height and theme shape the embed', { timeout: 90_000 }, async () => {
      const { page, problems } = await driver.open(at(STATIC, 'embed.html?view=console,script&readonly=1&height=420&theme=dark&host=lines.demo&port=9001'));
      try {
        await waitReady(page);
        const got = await page.evaluate(() => {
          const shown = (s) => getComputedStyle(document.querySelector(s)).display !== 'none';
          return {
            problems: document.querySelector('#problems').hidden,
            connect: shown('#connect-form'), workbench: shown('.workbench'), python: shown('#python'),
            tabs: !document.querySelector('#python .py-tabs').hidden,
            readOnly: document.querySelector('#py-source').readOnly,
            height: document.querySelector('#playground').getBoundingClientRect().height,
            theme: document.documentElement.dataset.theme,
            dark: getComputedStyle(document.documentElement).colorScheme,
          };
        });
        assert.deepEqual(got, { problems: true, connect: false, workbench: false, python: true, tabs: true, readOnly: true, height: 420, theme: 'dark', dark: 'dark' });
        // The console works.
        await page.focus('#py-in');
        await page.keyboard.type('r, w = await asyncio.open_connection("lines.demo", 9001)');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.documentElement.dataset.python === 'ready' && !document.documentElement.dataset.pythonBusy, { timeout: 60_000, polling: 50 });
        await page.keyboard.type('w.write(b"2\\n"); await r.readline()');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelector('#py-out').textContent.includes("b'line 1\\n'"), { timeout: 10_000, polling: 50 });
        await screenshots(page, `embed-console-${which.name}`, 'dark');
        assertClean(problems, `${which.name}: view/readonly/height/theme`);
      } finally {
        await page.close();
      }
    });

    for (const scheme of SCHEMES) {
      test(`the lesson: every step runs (${scheme})`, { timeout: 300_000 }, async () => {
        const { page, problems } = await driver.open(at(STATIC, 'learn.html'), { scheme });
        try {
          const ids = await page.evaluate(() => [...document.querySelectorAll('stream-playground')].map((e) => e.id));
          assert.equal(ids.length, 7);
          if (scheme === 'light') {
            for (const id of ids) {
              await page.waitForFunction((i) => document.getElementById(i)?.dataset.ready === '1', { timeout: 20_000 }, id);
              await page.evaluate((i) => document.getElementById(i).shadowRoot.querySelector('#py-run').click(), id);
              const out = await ranOutput(page, id);
              assert.ok(!out.includes('Traceback'), `${id}: ${out}`);
              assert.ok(out.trim().length > 0, `${id} printed nothing`);
            }
            assert.match(await shadowText(page, 'step-limit', '#py-script-out'), /LimitOverrunError: Separator is found, but chunk is longer than limit consumed = 12\nValueError: Separator is found, but chunk is longer than limit\nb'ok\\n'/);
            assert.match(await shadowText(page, 'step-server', '#py-script-out'), /b'hello, reader\\n'/);
          } else {
            await page.waitForFunction(() => [...document.querySelectorAll('stream-playground')].every((e) => e.dataset.ready === '1'), { timeout: 20_000 });
          }
          await screenshots(page, `learn-${which.name}`, scheme);
          assertClean(problems, `${which.name}: learn.html`);
        } finally {
          await page.close();
        }
      });
    }
  });
}
