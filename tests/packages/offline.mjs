// What tries to leave loopback while a test runs. browsers.mjs sends every request a browser
// would make off loopback to a proxy at 127.0.0.1:9; this listens there, so it sees what the
// page's own listeners may not — through WebDriver BiDi (Firefox ESR 153, puppeteer-core 25) a
// Web Worker's requests are not reported to the page at all, and Pyodide kernels and apps run
// in workers — and it sees the browsers' own background requests, listed apart.

import { createServer } from 'node:net';

/**
 * Listens where browsers.mjs sends every request that would leave loopback (its proxy,
 * 127.0.0.1:9) and records each one's request line ("CONNECT host:443 ..." or "GET http://...").
 * This sees what the page's own listeners may not: through WebDriver BiDi (Firefox ESR 153,
 * puppeteer-core 25) a Web Worker's fetch of http://127.0.0.2:9/ was not reported to the page at
 * all, and the kernel runs in a worker. It also sees the browsers' own background requests (see
 * `BROWSER_OWN`). Answers 502; nothing leaves the machine either way.
 * Returns { seen: [{host, line}], close() }; throws when the port cannot be had.
 */
export async function proxySink(port = 9) {
  const seen = [];
  const sockets = new Set();
  const server = createServer((sock) => {
    sockets.add(sock);
    let head = '';
    let recorded = false;
    sock.on('data', (d) => {
      head += d.toString('latin1');
      const eol = head.indexOf('\r\n');
      if (recorded || eol < 0) return;
      recorded = true;
      const line = head.slice(0, eol);
      // "CONNECT host:443 HTTP/1.1" or "GET http://host/path HTTP/1.1"
      const target = line.split(' ')[1] ?? '';
      let host = target.replace(/:\d+$/, '');
      try {
        if (/^[a-z]+:\/\//.test(target)) host = new URL(target).hostname;
      } catch {}
      seen.push({ host, line: `request to leave loopback (held at the proxy 127.0.0.1:${port}): ${line}` });
      sock.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    sock.setTimeout(5_000, () => {
      if (!recorded) seen.push({ host: '', line: `connection to the proxy 127.0.0.1:${port} with no request line` });
      sock.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(resolve);
      }),
  };
}

/**
 * The browsers' own background services, which try the network whatever the page does, even with
 * browsers.mjs's flags and prefs (seen here: Chromium 14x asks clients2.google.com,
 * update.googleapis.com, accounts.google.com, content-autofill.googleapis.com; Firefox ESR asks
 * firefox.settings.services.mozilla.com). The closed proxy holds them; they are listed, not failed.
 */
export const BROWSER_OWN = [
  /^clients\d*\.google\.com$/,
  /^accounts\.google\.com$/,
  /^(update|content-autofill|optimizationguide-pa|safebrowsing|android\.clients|www)\.googleapis\.com$/,
  /\.gvt1\.com$/,
  /\.services\.mozilla\.com$/,
  /(^|\.)mozilla\.(org|net)$/,
];

/**
 * What `sink` saw since it was last asked, apart from the browsers' own background requests:
 * `{ problems, own }` (request lines); the sink starts afresh.
 */
export function leftLoopback(sink) {
  const problems = [];
  const own = [];
  for (const { host, line } of sink.seen.splice(0)) (BROWSER_OWN.some((re) => re.test(host)) ? own : problems).push(line);
  return { problems, own };
}
