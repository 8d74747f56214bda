// The page's Python in both browsers: the console behaves as `python -m asyncio` (banner,
// prompts, continuation, repr, print, tracebacks, syntax errors with the caret, Ctrl-C and
// Stop cancelling a waiting read whose bytes stay, history across reloads, Tab), typed with
// the keyboard; its connections appear in the tabs; the script editor runs every example's
// script; and a bare page that is not the playground uses the module.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { BROWSERS, assertClean, launch, screenshots, servings, waitReady } from './browsers.mjs';

const STATIC = servings().find((s) => s.name === 'static');

async function idle(page) {
  await page.waitForFunction(() => document.documentElement.dataset.python === 'ready' &&
    !document.documentElement.dataset.pythonBusy, { timeout: 60_000, polling: 50 });
}

/** Types `text` into the console with the keyboard and presses Enter. */
async function type(page, text, { wait = true } = {}) {
  await page.focus('#py-in');
  if (text) await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  if (wait) await idle(page);
}

const output = (page) => page.$eval('#py-out', (e) => e.textContent);

/** What the console printed after `mark`. */
async function since(page, mark) {
  const text = await output(page);
  return text.slice(text.lastIndexOf(mark));
}

/** Waits until the running statement waits (its read shows in the buffer view). */
async function waiting(page) {
  await page.waitForFunction(() => document.querySelector('#buffer')?.textContent.includes('waiting:'),
    { timeout: 10_000, polling: 50 });
}

for (const which of BROWSERS) {
  describe(`Python in ${which.name}`, () => {
    let driver;
    before(async () => {
      driver = await launch(which);
    });
    after(async () => {
      await driver?.close();
    });

    test('the console is python -m asyncio, typed with the keyboard', { timeout: 180_000 }, async () => {
      const { page, problems } = await driver.open(STATIC.url);
      try {
        await waitReady(page);
        await page.evaluate(() => localStorage.removeItem('streamlab.python.history'));
        // Python loads on first use, showing its progress.
        await page.focus('#py-in');
        await page.waitForFunction(() => !document.querySelector('#py-status').hidden, { timeout: 10_000, polling: 20 });
        await idle(page);
        assert.match(await output(page),
          /^asyncio REPL 3\.13\.\d+ [^\n]*\nUse "await" directly instead of "asyncio\.run\(\)"\.\nType "help", "copyright", "credits" or "license" for more information\.\n>>> import asyncio\n$/);

        await type(page, 'reader, writer = await asyncio.open_connection("echo.demo", 7)');
        await type(page, 'writer.write(b"hi\\nthere")');
        await type(page, 'await reader.readline()');
        await type(page, 'None');
        await type(page, 'x = 41');
        await type(page, 'x + 1');
        await type(page, 'for i in range(2):');
        await page.keyboard.press('Tab'); // Tab indents
        await type(page, 'print("line", i)');
        await type(page, '');
        await type(page, 'print("a"');
        assert.equal(await page.$eval('#py-prompt', (e) => e.textContent), '...');
        await type(page, ')');
        await type(page, '1 +* 2');
        await type(page, '1/0');
        assert.equal(await since(page, '>>> reader, writer'), [
          '>>> reader, writer = await asyncio.open_connection("echo.demo", 7)',
          '>>> writer.write(b"hi\\nthere")',
          '>>> await reader.readline()',
          "b'hi\\n'",
          '>>> None',
          '>>> x = 41',
          '>>> x + 1',
          '42',
          '>>> for i in range(2):',
          '...     print("line", i)',
          '... ',
          'line 0',
          'line 1',
          '>>> print("a"',
          '... )',
          'a',
          '>>> 1 +* 2',
          '  File "<stdin>", line 1',
          '    1 +* 2',
          '       ^',
          'SyntaxError: invalid syntax',
          '>>> 1/0',
          'Traceback (most recent call last):',
          '  File "<stdin>", line 1, in <module>',
          'ZeroDivisionError: division by zero',
          '',
        ].join('\n'));
        // The console's connection is a tab of the page, like the buttons' ones.
        const tabs = await page.$$eval('#tabs [role=tab]', (t) => t.map((x) => x.textContent));
        assert.deepEqual(tabs, ['echo.demo:7 · py']);

        // Ctrl-C cancels a waiting read (KeyboardInterrupt) and its bytes stay buffered.
        await type(page, 'await reader.readexactly(100)', { wait: false });
        await waiting(page);
        await page.keyboard.down('Control');
        await page.keyboard.press('c');
        await page.keyboard.up('Control');
        await idle(page);
        await type(page, 'await reader.read(5)');
        // … and so does the Stop button.
        await type(page, 'await reader.readline()', { wait: false });
        await waiting(page);
        await page.click('#py-stop');
        await idle(page);
        assert.equal(await since(page, '>>> await reader.readexactly(100)'), [
          '>>> await reader.readexactly(100)',
          '',
          'KeyboardInterrupt',
          '>>> await reader.read(5)',
          "b'there'",
          '>>> await reader.readline()',
          '',
          'KeyboardInterrupt',
          '',
        ].join('\n'));
        // Ctrl-C while a block is being typed drops it, as the REPL does.
        await type(page, 'for i in range(3):');
        await page.keyboard.down('Control');
        await page.keyboard.press('c');
        await page.keyboard.up('Control');
        await page.waitForFunction(() => document.querySelector('#py-prompt').textContent === '>>>', { timeout: 5_000 });
        assert.equal(await since(page, '>>> for i in range(3):'), '>>> for i in range(3):\n\nKeyboardInterrupt\n');
        await screenshots(page, `python-console-${which.name}`, 'light');

        // History survives a reload: ↑ brings back the last line, ↑ again the one before.
        await page.reload({ waitUntil: 'load' });
        await waitReady(page);
        await page.focus('#py-in');
        await page.keyboard.press('ArrowUp');
        assert.equal(await page.$eval('#py-in', (e) => e.value), 'for i in range(3):');
        await page.keyboard.press('ArrowUp');
        assert.equal(await page.$eval('#py-in', (e) => e.value), 'await reader.readline()');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('ArrowDown');
        assert.equal(await page.$eval('#py-in', (e) => e.value), '');
        // No keyboard trap: at an empty prompt Tab moves on; in code, Escape then Tab does.
        await page.keyboard.press('Tab');
        assert.notEqual(await page.evaluate(() => document.activeElement.id), 'py-in');
        await page.focus('#py-in');
        await page.keyboard.type('x = 1');
        await page.keyboard.press('Escape');
        await page.keyboard.press('Tab');
        assert.notEqual(await page.evaluate(() => document.activeElement.id), 'py-in');
        assert.equal(await page.$eval('#py-in', (e) => e.value), 'x = 1');
        assertClean(problems, which.name);
      } finally {
        await page.close();
      }
    });

    test('the script editor runs every example as python script.py would', { timeout: 180_000 }, async () => {
      const { page, problems } = await driver.open(STATIC.url, { scheme: 'dark' });
      try {
        await waitReady(page);
        await page.click('#py-tab-script');
        const ids = await page.$$eval('#py-example option', (o) => o.map((x) => x.value).filter(Boolean));
        assert.equal(ids.length, 8);
        const want = {
          'web-page': /^b'HTTP\/1\.1 200 OK\\r\\n'\n(b'[^\n]*\\r\\n'\n)+146 bytes of body: b'<!doctype html>/,
          echo: /^b'hello\\n'\nb'two\\n'\nb'lines\\n'\n$/,
          frames: /^5 b'hello'\n3 b'abc'\nno more frames: b'' of 4 bytes\n$/,
          overrun: /^dropped 150000 bytes of an overlong line\nb'after the long line\\n'\n$/,
          'eof-never': /^read\(\) was still waiting after 0\.5 s: no EOF came\nat_eof\(\): False\n$/,
          drip: /^read\(100\) returned True - a piece, not 100 bytes\n/,
          'half-close': /^b'all I have to say'\nat_eof\(\): True\nRuntimeError: Cannot call write\(\) after write_eof\(\)\n$/,
          drain: /^queued after drain\(\): True\n1048576 True\n$/,
        };
        for (const id of ids) {
          await page.select('#py-example', id);
          await page.waitForFunction((id) => document.querySelector('#py-source').value.includes('asyncio.run(main())'), {}, id);
          await page.click('#py-run');
          await page.waitForFunction(() => document.documentElement.dataset.scriptRunning === '1' ||
            document.querySelector('#py-script-out').textContent, { timeout: 60_000 });
          await page.waitForFunction(() => !document.documentElement.dataset.scriptRunning, { timeout: 60_000, polling: 50 });
          const out = await page.$eval('#py-script-out', (e) => e.textContent);
          assert.match(out, want[id], `${id}:\n${out}`);
          assert.equal(await page.$$eval('#py-script-out .stderr', (e) => e.length), 0, `${id} wrote to stderr:\n${out}`);
        }
        await screenshots(page, `python-script-${which.name}`, 'dark');
        // A script that leaves its server and connection open: at its end they are closed, as
        // a process's sockets are at exit, so the next run serves there again; the tabs of a
        // run stay until the next run starts.
        const leaky = [
          'import asyncio',
          'async def main():',
          '    await asyncio.start_server(lambda r, w: w.close(), "leak.demo", 1)',
          '    r, w = await asyncio.open_connection("leak.demo", 1)',
          '    print(await r.read())',
          'asyncio.run(main())',
        ].join('\n');
        for (let run = 0; run < 2; run++) {
          const r = await page.evaluate((src) => window.streamlab.python.runScript(src), leaky);
          assert.deepEqual([r.status, r.stdout, r.stderr], [0, "b''\n", ''], `run ${run}`);
        }
        // (The tabs are drawn on the next animation frame.)
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const tabs = await page.$$eval('#tabs [role=tab]', (t) => t.map((x) => x.textContent));
        assert.deepEqual(tabs, ['leak.demo:1 · py', 'leak.demo:1 · server']);
        // As `python script.py` has them: sys.argv and the stream classes' names; and a plain
        // socket fails at once, its note naming what can connect.
        const asCpython = [
          'import asyncio, socket, sys',
          'print(sys.argv, asyncio.StreamReader)',
          'try:',
          '    socket.socket().connect(("example.demo", 80))',
          'except OSError as e:',
          '    print(type(e).__name__, e.__notes__[0].split(".")[0])',
        ].join('\n');
        const cpython = await page.evaluate((src) => window.streamlab.python.runScript(src), asCpython);
        assert.deepEqual([cpython.status, cpython.stdout, cpython.stderr], [
          0,
          "['script.py'] <class 'asyncio.streams.StreamReader'>\nOSError A browser page cannot open TCP sockets\n",
          '',
        ]);
        assertClean(problems, which.name);
      } finally {
        await page.close();
      }
    });

    test('a bare page that is not the playground uses the streamlab module', { timeout: 120_000 }, async () => {
      const { page, problems } = await driver.open(new URL('pyodide-app.html', STATIC.url).href);
      try {
        await page.waitForFunction(() => document.body.dataset.done, { timeout: 60_000, polling: 100 });
        const out = await page.$eval('#out', (e) => e.textContent);
        assert.equal(await page.evaluate(() => document.body.dataset.done), 'ok', out);
        assert.match(out, /^b'HTTP\/1\.0 200 OK\\r\\n'\n\d+ bytes of body, then EOF: True\n$/);
        assertClean(problems, which.name);
      } finally {
        await page.close();
      }
    });
  });
}
