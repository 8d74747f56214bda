// The playground through its buttons, in Chromium and Firefox, served by the relay and by a
// plain static host: every example stepped through with its results asserted, the buffer
// view after chunks arrive (bytes, limit mark, scan offset, chunk boundary), the timeline's
// events in order, one example driven by the keyboard alone, and a screenshot of each
// example in both themes (target/screenshots/example-*.png).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { BROWSERS, assertClean, launch, screenshots, servings, waitReady } from './browsers.mjs';

const SERVINGS = servings();

/** What each example's results must show (in-page, where chunking is the page's own). */
const EXPECT = {
  'web-page': (log) => {
    assert.equal(log[0].src, "reader, writer = await asyncio.open_connection('example.demo', 80)");
    assert.equal(log[2].value, "b'HTTP/1.1 200 OK\\r\\n'");
    assert.ok(log.some((e) => e.value === "b'Content-Length: 146\\r\\n'"), 'the Content-Length header');
    assert.ok(log.some((e) => e.value === "b'\\r\\n'"), 'the blank line ends the headers');
    assert.match(log.at(-1).value, /^b["']<!doctype html>\\n<html>/);
    assert.match(log.at(-1).src, /^await reader\.readexactly\(146\)$/);
  },
  echo: (log) => {
    assert.deepEqual(log.map((e) => e.value).filter(Boolean), ["b'hello\\n'", "b'two\\n'", "b'lines\\n'"]);
  },
  frames: (log) => {
    const values = log.map((e) => e.value).filter(Boolean);
    assert.deepEqual(values, ["b'\\x00\\x00\\x00\\x05'", "b'hello'", "b'\\x00\\x00\\x00\\x03'", "b'abc'"]);
    assert.equal(log.at(-1).waiting, true, 'the last readexactly(4) waits for a frame that never comes');
  },
  overrun: (log) => {
    // Which of the two depends on how much of the line has arrived (on TCP too).
    assert.match(log[1].error, /^asyncio\.exceptions\.LimitOverrunError: Separator is (not found, and chunk exceed the limit|found, but chunk is longer than limit)$/);
    assert.match(log[2].src, /^await reader\.read\(\d+\)$/);
    assert.equal(log.at(-1).value, "b'after the long line\\n'");
  },
  'eof-never': (log) => {
    assert.equal(log[1].src, 'await reader.read(-1)');
    assert.equal(log[1].error, 'asyncio.exceptions.CancelledError');
    assert.equal(log.at(-1).value, 'False');
  },
  drip: (log) => {
    // How much each read gets depends on when it runs; in order, they are the script's text.
    const full = "drip.demo: this line arrives in pieces.\\nread(100) returns whatever has come; readline() waits for the newline.\\nbye\\n";
    const got = log.slice(1).map((e) => e.value.slice(2, -1)).join('');
    assert.match(log[1].value, /^b'drip/);
    assert.ok(full.startsWith(got) && got.length > 45, `${got} is not the start of ${full}`);
    assert.match(log.at(-1).value, /\\n'$/, 'readline() returns whole lines');
  },
  'half-close': (log) => {
    assert.equal(log[3].value, "b'all I have to say'");
    assert.equal(log[4].value, 'True');
    assert.equal(log.at(-1).error, 'RuntimeError: Cannot call write() after write_eof()');
  },
  drain: (log) => {
    assert.equal(log.at(-2).src, 'await writer.drain()');
    assert.equal(log.at(-2).error, undefined);
    assert.match(log.at(-1).value, /^b'x{100}/);
  },
};

/** The results log as data: source, printed value, printed error, whether it waits. */
const readLog = (page) => page.$$eval('#log .entry', (entries) => entries.map((e) => ({
  src: e.querySelector('.src').textContent.replace(/^>>>\s*/, ''),
  value: e.querySelector('.value')?.textContent,
  error: e.querySelector('.exc')?.textContent,
  waiting: Boolean(e.querySelector('.waiting')),
})));

/** Two animation frames: the views have drawn what happened. */
const painted = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

async function stepThrough(page) {
  for (let i = 0; i < 20; i++) {
    const done = await page.$eval('#example-step', (b) => b.disabled && b.textContent === 'Done');
    if (done) return painted(page);
    await page.waitForFunction(() => !document.querySelector('#example-step').disabled, { timeout: 15_000 });
    if (await page.$eval('#example-step', (b) => b.textContent === 'Done')) return painted(page);
    await page.click('#example-step');
    await page.waitForFunction(() => !document.querySelector('#example-step').disabled || document.querySelector('#example-step').textContent === 'Done', { timeout: 15_000 });
  }
  throw new Error('the example never finished');
}

for (const which of BROWSERS) {
  describe(`the playground in ${which.name}`, () => {
    let driver;
    before(async () => {
      driver = await launch(which);
    });
    after(async () => {
      await driver?.close();
    });

    for (const serving of SERVINGS) {
      test(`every example through the buttons (${serving.name})`, { timeout: 180_000 }, async () => {
        const { page, problems } = await driver.open(serving.url);
        try {
          await waitReady(page);
          const ids = await page.$$eval('#example-list [data-example]', (b) => b.map((x) => x.dataset.example));
          assert.deepEqual([...ids].sort(), Object.keys(EXPECT).sort());
          for (const id of ids) {
            await page.click('#examples-menu summary');
            await page.click(`#example-list [data-example="${id}"]`);
            await page.waitForFunction(() => document.querySelector('.tab.active .dot.open'), { timeout: 10_000 });
            await stepThrough(page);
            const log = await readLog(page);
            try {
              EXPECT[id](log);
            } catch (e) {
              e.message = `${id}: ${e.message}\n${JSON.stringify(log, null, 1)}`;
              throw e;
            }
            if (serving.name === 'relay') {
              for (const scheme of ['light', 'dark']) {
                await page.evaluate((s) => { document.documentElement.dataset.theme = s; }, scheme);
                await screenshots(page, `example-${id}-${which.name}`, scheme);
              }
              await page.evaluate(() => { delete document.documentElement.dataset.theme; });
            }
          }
          assertClean(problems, `${which.name}, ${serving.name}`);
        } finally {
          await page.close();
        }
      });
    }

    test('the buffer view and the timeline after chunks arrive', { timeout: 60_000 }, async () => {
      const { page, problems } = await driver.open(SERVINGS[1].url);
      try {
        await waitReady(page);
        await page.$eval('#host', (i) => { i.value = 'echo.demo'; });
        await page.$eval('#port', (i) => { i.value = '7'; });
        await page.$eval('#limit', (i) => { i.value = '8'; });
        await page.click('#connect-form button[type=submit]');
        await page.waitForFunction(() => document.querySelector('.tab.active .dot.open'), { timeout: 10_000 });
        const write = async (data) => {
          await page.$eval('input[aria-label="write data"]', (i, d) => { i.value = d; }, data);
          await page.click('button[data-method=write]');
        };
        await write("b'012'");
        await page.waitForFunction(() => document.querySelector('#buffer .bytes .row'), { timeout: 5_000 });
        await write("b'3456789abcdef'");
        await page.$eval('input[aria-label="readexactly n"]', (i) => { i.value = '20'; });
        await page.click('button[data-method=readexactly]');
        await page.waitForFunction(() => /waiting: readexactly\(20\)/.test(document.querySelector('#buffer').textContent), { timeout: 5_000 });
        const view = await page.$eval('#buffer', (b) => ({
          hex: [...b.querySelectorAll('.hex span')].map((s) => s.textContent).join(' '),
          chunkAt: [...b.querySelectorAll('.hex span')].findIndex((s) => s.classList.contains('chunk')),
          marks: [...b.querySelectorAll('.mark')].map((m) => m.textContent),
          chips: b.querySelector('.chips').textContent,
        }));
        assert.equal(view.hex, '30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66');
        assert.equal(view.chunkAt, 3, 'the second chunk starts at byte 3');
        assert.ok(view.marks.some((m) => m.startsWith('limit = 8')), view.marks.join('|'));
        assert.match(view.chips, /16 bytes buffered/);
        // readuntil's scan offset: a waiting readuntil on a fresh reader (limit 8: the bytes stay).
        await page.click('#log .waiting button');
        await page.waitForFunction(() => !document.querySelector('#log .waiting'), { timeout: 5_000 });
        const timeline = await page.$$eval('#timeline li', (li) => li.map((x) => x.textContent));
        const order = ['chunk received · 3 B', 'chunk received · 13 B', 'readexactly(20) called', 'readexactly() waits', 'readexactly() raised CancelledError'];
        let at = -1;
        for (const want of order) {
          const i = timeline.findIndex((t, k) => k > at && t.includes(want));
          assert.ok(i > at, `timeline: ${want} after the previous one:\n${timeline.join('\n')}`);
          at = i;
        }
        assertClean(problems, which.name);
      } finally {
        await page.close();
      }
    });

    test('one example by the keyboard alone, with visible focus', { timeout: 60_000 }, async () => {
      const { page, problems } = await driver.open(SERVINGS[1].url);
      try {
        await waitReady(page);
        // Tab to the examples menu, open it with Enter, Tab to "Echo with readline", Enter.
        const focused = () => page.evaluate(() => document.activeElement?.closest('summary') ? 'summary' : document.activeElement?.dataset?.example ?? document.activeElement?.id);
        for (let i = 0; i < 10 && (await focused()) !== 'summary'; i++) await page.keyboard.press('Tab');
        assert.equal(await focused(), 'summary');
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
        assert.notEqual(outline, 'none', 'the focused control shows its focus');
        await page.keyboard.press('Enter');
        for (let i = 0; i < 10 && (await focused()) !== 'echo'; i++) await page.keyboard.press('Tab');
        assert.equal(await focused(), 'echo');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.activeElement?.id === 'example-step', { timeout: 10_000 });
        for (let i = 0; i < 6; i++) {
          await page.waitForFunction(() => !document.querySelector('#example-step').disabled, { timeout: 10_000 });
          await page.keyboard.press('Enter');
        }
        await page.waitForFunction(() => document.querySelector('#example-step').textContent === 'Done', { timeout: 10_000 });
        const values = (await readLog(page)).map((e) => e.value).filter(Boolean);
        assert.deepEqual(values, ["b'hello\\n'", "b'two\\n'", "b'lines\\n'"]);
        assertClean(problems, which.name);
      } finally {
        await page.close();
      }
    });
  });
}
