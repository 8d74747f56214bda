// The transcript differential: every program of tests/transcripts/programs.py, run by
// CPython 3.13.0 straight to loopback TCP servers (tests/oracle/transcripts.py, run by
// `cargo xtask test-e2e` before this) and by the page's script runner — Pyodide with the
// streamlab module — through the relay to the same servers, in Chromium and in Firefox.
// stdout and stderr must be identical, save for the documented differences below
// (docs/asyncio-streams.md §9).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { BROWSERS, assertClean, launch, servings, waitReady } from './browsers.mjs';

const file = process.env.STREAMLAB_TRANSCRIPTS;
if (!file) throw new Error('STREAMLAB_TRANSCRIPTS is not set: run `cargo xtask test-e2e`, which makes it');
const EXPECTED = JSON.parse(readFileSync(file, 'utf8'));
const RELAY = servings().find((s) => s.name === 'relay');

/**
 * Where the page cannot be CPython, what it prints instead, and why (§9 of
 * docs/asyncio-streams.md says the same).
 */
const DOCUMENTED = {
  'write-to-closed-peer': {
    why: 'a write that fails beyond the relay fails a round trip later: CPython\'s drain() right ' +
      'after the failing send raises ConnectionResetError (\'Connection lost\'); the page learns of ' +
      'the EPIPE when the relay reports it, and the next drain() raises BrokenPipeError',
    stdout: "b''\nBrokenPipeError\n",
  },
};

test('the transcript differential has at least 60 programs, CPython ran them all', () => {
  assert.ok(EXPECTED.length >= 60, `${EXPECTED.length} programs`);
  assert.deepEqual(EXPECTED.filter((p) => p.status !== 0).map((p) => p.name), []);
  for (const name of Object.keys(DOCUMENTED)) assert.ok(EXPECTED.some((p) => p.name === name), name);
});

for (const which of BROWSERS) {
  describe(`transcripts in ${which.name}`, () => {
    let driver;
    let page;
    let problems;
    before(async () => {
      driver = await launch(which);
      ({ page, problems } = await driver.open(RELAY.url));
      await waitReady(page);
      await page.evaluate(() => window.streamlab.python.start());
    });
    after(async () => {
      await driver?.close();
    });

    test(`${EXPECTED.length} programs print what CPython prints`, { timeout: 600_000 }, async () => {
      const differences = [];
      for (const program of EXPECTED) {
        const got = await page.evaluate((source) => window.streamlab.python.runScript(source), program.source);
        const documented = DOCUMENTED[program.name];
        const want = documented ? { stdout: documented.stdout, stderr: program.stderr } : program;
        if (got.stdout !== want.stdout || got.stderr !== want.stderr) {
          differences.push(`--- ${program.name}\n` +
            `CPython stdout:\n${want.stdout}page stdout:\n${got.stdout}` +
            `CPython stderr:\n${want.stderr}page stderr:\n${got.stderr}`);
        }
        // The documented difference is still a difference: CPython's side is what it says.
        if (documented) assert.notEqual(program.stdout, documented.stdout, `${program.name} is no longer different`);
      }
      assert.deepEqual(differences, [], differences.join('\n'));
      assertClean(problems, which.name);
    });
  });
}
