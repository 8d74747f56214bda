// The release page (dist/) in both browsers, served by the relay and by a plain static host:
// it loads with no page error, console error, failed or off-origin request, becomes ready
// within 10 s, and is photographed at desktop and phone widths in light and dark
// (target/screenshots/smoke-<browser>-<serving>-<width>x<height>-<scheme>.png). Every page
// names an icon that is there (so no browser asks for a /favicon.ico that is not).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';

import { BROWSERS, SCHEMES, assertClean, launch, screenshots, servings, waitReady } from './browsers.mjs';

const SERVINGS = servings();

/** The pages a visitor opens. */
const PAGES = ['index.html', 'embed.html', 'learn.html', 'embed-demo.html', 'pyodide-app.html'];

for (const serving of SERVINGS) {
  test(`every page names its icon, and it is there (${serving.name})`, async () => {
    for (const name of PAGES) {
      const url = new URL(name, serving.url);
      const html = await (await fetch(url)).text();
      const href = html.match(/<link rel="icon" href="([^"]+)" type="image\/svg\+xml">/)?.[1];
      assert.ok(href, `${name} names no icon`);
      const icon = await fetch(new URL(href, url));
      assert.equal(icon.status, 200, `${name}'s icon ${href}`);
      assert.match(icon.headers.get('content-type') ?? '', /^image\/svg\+xml/, `${name}'s icon ${href}`);
    }
  });
}

for (const which of BROWSERS) {
  describe(`smoke in ${which.name}`, () => {
    let driver;
    before(async () => {
      driver = await launch(which);
    });
    after(async () => {
      await driver?.close();
    });

    for (const serving of SERVINGS) {
      for (const scheme of SCHEMES) {
        test(`loads clean and gets ready, ${scheme} (${serving.name}: ${serving.url})`, { timeout: 60_000 }, async () => {
          const { page, problems } = await driver.open(serving.url, { scheme });
          try {
            await waitReady(page, 10_000);
            const shots = await screenshots(page, `smoke-${which.name}-${serving.name}`, scheme);
            for (const shot of shots) assert.ok(statSync(shot).size > 0, `${shot} is empty`);
            assertClean(problems, `${which.name}, ${serving.name}, ${scheme}`);
          } finally {
            await page.close();
          }
        });
      }
    }
  });
}
