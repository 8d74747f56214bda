// The benchmarks' browser: Debian's headless Chromium through puppeteer-core, kept on loopback
// (no background traffic; every name but 127.0.0.1 unresolvable; anything proxied goes to a
// closed loopback port).

import puppeteer from 'puppeteer-core';

/** Launches headless Chromium for a benchmark; close it when done. */
export function launchChromium() {
  return puppeteer.launch({
    protocolTimeout: 900_000,
    browser: 'chrome',
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--proxy-server=127.0.0.1:9', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });
}
