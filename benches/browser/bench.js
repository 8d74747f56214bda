// The browser workloads of `cargo xtask bench`, run in a page that no DevTools client
// instruments (DevTools' network tracking handles every WebSocket frame and cuts throughput
// by 4×). Each figure is printed as a console line, `STREAMLAB_BENCH {json}`, which Chromium
// writes to its stderr (--enable-logging=stderr) and Firefox to its stdout
// (devtools.console.stdout.content); `STREAMLAB_BENCH_DONE` ends the run.
//
// bench.html?relay=ws://127.0.0.1:R&ports={"lines":P,…}&websockify={"lines":W,…}
//   &plan=lines:streamlab_js,lines:raw_js,…&rounds=3
// `websockify` maps each workload (but upload: websockify cannot half-close) to a websockify
// listening for that workload's server alone. Each workload's contenders run `rounds` times,
// interleaved, and each figure is the median of its rounds (this machine is shared and noisy).
//
// The contenders: the loops written in Rust inside the wasm module (`rust/`, from
// benches/wasm), in JS against streamlab's JS API, and in Python in Pyodide against the
// `streamlab` module the console uses (bench.py); Pyodide's own asyncio reader in memory;
// and a raw WebSocket, the ceiling. The same through websockify in the relay's place.

import init, * as streamlab from './streamlab.js';
import initRust, * as rust from './rust/streamlab_bench.js';

const { openConnection } = streamlab;

const params = new URLSearchParams(location.search);
const relay = params.get('relay');
const ports = JSON.parse(params.get('ports') ?? '{}');
const websockifies = JSON.parse(params.get('websockify') ?? '{}');
const plan = (params.get('plan') ?? '').split(',').filter(Boolean).map((p) => p.split(':'));
const rounds = Number(params.get('rounds') ?? 1);
const MIB = 1 << 20;

/** What each workload's server sends (or expects), in bytes; see xtask/src/bench_targets.rs. */
const FRAME = 1024;
/** 65,536 frames of a 4-byte length and 1 KiB; one line of 4 MiB, its newline included. */
const SIZES = { lines: 64 * MIB, bulk: 256 * MIB, frames: 65536 * (4 + FRAME), bigline: 4 * MIB, upload: 256 * MIB };
const ECHO_TRIPS = 1000;
// A page that is not cross-origin isolated reads performance.now() coarser than a round trip
// (Chromium to 100 µs, Firefox to 1 ms): echo times batches of ECHO_BATCH trips, and reports
// the median batch's mean.
const ECHO_BATCH = 100;
const LINE = new TextEncoder().encode(`${'x'.repeat(63)}\n`);

const report = (fields) => console.log(`STREAMLAB_BENCH ${JSON.stringify(fields)}`);

// Each loop keeps its writer until the end: as in CPython 3.13, a writer that is garbage
// collected closes its connection, reader and all.
function throughRelay(workload, limit) {
  return openConnection('127.0.0.1', ports[workload], { relay, ...(limit ? { limit } : {}) });
}

/** `trip` run ECHO_TRIPS times: each batch's mean per trip, in ms. */
async function timeTrips(trip) {
  const times = [];
  for (let b = 0; b < ECHO_TRIPS / ECHO_BATCH; b++) {
    const start = performance.now();
    for (let i = 0; i < ECHO_BATCH; i++) await trip();
    times.push((performance.now() - start) / ECHO_BATCH);
  }
  return times;
}

/** One LINE sent on a raw WebSocket, until as many data bytes came back (text is control). */
function rawTrip(ws) {
  const back = new Promise((resolve) => {
    let got = 0;
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') got += e.data.byteLength;
      if (got >= LINE.length) resolve();
    };
  });
  ws.send(LINE);
  return back;
}

/** The loops written against streamlab's JS API, opening connections with `open`. */
const streamlabJs = (open) => ({
  async lines() {
    const { reader, writer } = await open('lines');
    let n = 0;
    for await (const line of reader) n += line.length;
    writer.close();
    return n;
  },
  async bulk() {
    const { reader, writer } = await open('bulk');
    let n = 0;
    for (;;) {
      const chunk = await reader.read(65536);
      if (chunk.length === 0) break;
      n += chunk.length;
    }
    writer.close();
    return n;
  },
  async frames() {
    const { reader, writer } = await open('frames');
    let n = 0;
    for (;;) {
      let head;
      try {
        head = await reader.readexactly(4);
      } catch (e) {
        if (e.name !== 'IncompleteReadError' || e.partial.length !== 0) throw e;
        writer.close();
        return n;
      }
      const len = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      n += 4 + (await reader.readexactly(len)).length;
    }
  },
  async bigline() {
    const { reader, writer } = await open('bigline', 8 * MIB);
    const n = (await reader.readline()).length;
    writer.close();
    return n;
  },
  async echo() {
    const { reader, writer } = await open('echo');
    const times = await timeTrips(async () => {
      writer.write(LINE);
      await writer.drain();
      await reader.readline();
    });
    writer.close();
    return times;
  },
  async upload() {
    const { reader, writer } = await open('upload');
    const piece = new Uint8Array(65536).fill(0x61);
    for (let sent = 0; sent < SIZES.upload; sent += piece.length) {
      writer.write(piece);
      await writer.drain();
    }
    writer.writeEof();
    const ack = new TextDecoder().decode(await reader.readline());
    if (ack !== 'ok\n') throw new Error(`the sink said ${JSON.stringify(ack)}`);
    writer.close();
    return SIZES.upload;
  },
});

/** The ceiling: a WebSocket to the same relay and server, counting bytes in onmessage. */
function rawSocket(workload) {
  const url = `${relay}/connect?host=127.0.0.1&port=${ports[workload]}`;
  const ws = new WebSocket(url, 'streamlab.v1');
  ws.binaryType = 'arraybuffer';
  return ws;
}

/** A macrotask later, without setTimeout's 4 ms clamp. */
const yielder = new MessageChannel();
const nextTask = () =>
  new Promise((resolve) => {
    yielder.port1.onmessage = () => resolve();
    yielder.port2.postMessage(null);
  });

const credit = (bytes) => JSON.stringify({ type: 'credit', bytes });

/**
 * Receives until the relay's eof, granting 16 MiB whenever 8 MiB were used; returns bytes.
 * With `copy`, each message is also copied into a fresh Uint8Array, as any API that returns
 * fresh bytes per read must (a JS `read()` returns one per call, as CPython's returns bytes).
 */
function rawReceive(workload, copy = false) {
  return new Promise((resolve, reject) => {
    const ws = rawSocket(workload);
    let n = 0;
    let used = 0;
    ws.onmessage = (e) => {
      if (typeof e.data === 'string') {
        if (JSON.parse(e.data).type === 'connected') ws.send(credit(16 * MIB));
        else if (JSON.parse(e.data).type === 'eof') {
          ws.close();
          resolve(n);
        }
        return;
      }
      n += copy ? new Uint8Array(e.data).slice().length : e.data.byteLength;
      used += e.data.byteLength;
      if (used >= 8 * MIB) {
        ws.send(credit(used));
        used = 0;
      }
    };
    ws.onclose = (e) => reject(new Error(`closed ${e.code} ${e.reason} after ${n} bytes`));
  });
}

function rawConnected(workload) {
  return new Promise((resolve, reject) => {
    const ws = rawSocket(workload);
    ws.onmessage = (e) => {
      if (typeof e.data === 'string' && JSON.parse(e.data).type === 'connected') resolve(ws);
    };
    ws.onclose = (e) => reject(new Error(`closed ${e.code} ${e.reason}`));
  });
}

const rawJs = {
  lines: () => rawReceive('lines'),
  bulk: () => rawReceive('bulk'),
  frames: () => rawReceive('frames'),
  bigline: () => rawReceive('bigline'),
  async echo() {
    const ws = await rawConnected('echo');
    ws.send(credit(16 * MIB));
    const times = await timeTrips(() => rawTrip(ws));
    ws.close();
    return times;
  },
  async upload() {
    const ws = await rawConnected('upload');
    ws.send(credit(1024));
    const done = new Promise((resolve) => {
      ws.onmessage = (e) => typeof e.data !== 'string' && resolve();
    });
    const piece = new Uint8Array(65536).fill(0x61);
    for (let sent = 0; sent < SIZES.upload; sent += piece.length) {
      // Keep a few pieces queued, as drain()'s high-water mark would.
      while (ws.bufferedAmount > 4 * piece.length) await nextTask();
      ws.send(piece);
    }
    ws.send(JSON.stringify({ type: 'eof' }));
    await done;
    ws.close();
    return SIZES.upload;
  },
};

/** A raw WebSocket to websockify: binary frames both ways, the close is the EOF. */
function websockifySocket(workload) {
  const ws = new WebSocket(`ws://127.0.0.1:${websockifies[workload]}`, ['binary']);
  ws.binaryType = 'arraybuffer';
  return ws;
}

function websockifyReceive(workload) {
  return new Promise((resolve, reject) => {
    const ws = websockifySocket(workload);
    let n = 0;
    ws.onmessage = (e) => {
      n += e.data.byteLength;
    };
    ws.onclose = () => resolve(n);
    ws.onerror = () => reject(new Error(`websockify failed after ${n} bytes`));
  });
}

const rawWebsockify = {
  lines: () => websockifyReceive('lines'),
  bulk: () => websockifyReceive('bulk'),
  frames: () => websockifyReceive('frames'),
  bigline: () => websockifyReceive('bigline'),
  async echo() {
    const ws = websockifySocket('echo');
    await new Promise((resolve) => {
      ws.onopen = resolve;
    });
    const times = await timeTrips(() => rawTrip(ws));
    ws.close();
    return times;
  },
};

/** Pyodide with streamlab's module (as the console has it) and bench.py, loaded once. */
let python = null;
async function benchPy() {
  if (!python) {
    const { loadPyodide } = await import('./pyodide/pyodide.mjs');
    const pyodide = await loadPyodide({ indexURL: new URL('./pyodide/', location.href).href });
    pyodide.registerJsModule('_streamlab_js', streamlab);
    for (const name of ['streamlab.py', 'bench.py']) {
      pyodide.FS.writeFile(`/home/pyodide/${name}`, await (await fetch(`./${name}`)).text());
    }
    python = pyodide.runPython('import sys; sys.path.insert(0, "/home/pyodide"); import bench; bench');
  }
  return python;
}

/** A bench.py loop's result as JS (`echo`'s list of times as an array). */
async function py(name, ...args) {
  const result = await (await benchPy())[name](...args);
  return typeof result?.toJs === 'function' ? result.toJs() : result;
}

/**
 * A contender whose loop for each workload is `call(workload, ...extra)` (benches/wasm's Rust
 * functions and bench.py's share their names and arguments): `echo` takes its trips and
 * batch and gives each batch's mean, `upload` takes its size.
 */
const loops = (call) => ({
  lines: () => call('lines'),
  bulk: () => call('bulk'),
  frames: () => call('frames'),
  bigline: () => call('bigline'),
  echo: async () => Array.from(await call('echo', ECHO_TRIPS, ECHO_BATCH)),
  upload: () => call('upload', SIZES.upload),
});

/** The loops written in Rust (benches/wasm), through the relay or a websockify. */
const streamlabRust = (websockify) =>
  loops((w, ...extra) => {
    const via = websockify ? [`ws://127.0.0.1:${websockifies[w]}`, true] : [relay, false];
    return rust[w](...via, ports[w], ...extra);
  });

const streamlabPython = loops((w, ...extra) => py(w, relay, ports[w], ...extra));

const CONTENDERS = {
  streamlab_rust: streamlabRust(false),
  streamlab_js: streamlabJs(throughRelay),
  streamlab_python: streamlabPython,
  pyodide_asyncio: { lines: () => py('pyodide_lines') },
  raw_js: rawJs,
  raw_js_copying: { bulk: () => rawReceive('bulk', true) },
  websockify_streamlab_rust: streamlabRust(true),
  websockify: rawWebsockify,
};

/** One run of `contender`'s loop: MiB/s, or the round trips' median in ms (`echo`). */
async function once(workload, contender) {
  const loop = CONTENDERS[contender]?.[workload];
  if (!loop) throw new Error(`no ${contender} loop for ${workload}`);
  const start = performance.now();
  const result = await loop();
  const seconds = (performance.now() - start) / 1000;
  if (Array.isArray(result)) return median(result);
  if (result !== SIZES[workload]) {
    throw new Error(`${workload}/${contender}: ${result} bytes, expected ${SIZES[workload]}`);
  }
  return result / MIB / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

try {
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 99) throw new Error(`bad rounds=${params.get('rounds')}`);
  await Promise.all([init(), initRust()]);
  // Pyodide (and bench.py's 64 MiB of lines) load before any timing.
  if (plan.some(([, c]) => c === 'streamlab_python' || c === 'pyodide_asyncio')) await benchPy();
  // Each workload's contenders, `rounds` times interleaved; a contender that fails once fails.
  const workloads = [...new Set(plan.map(([w]) => w))];
  for (const workload of workloads) {
    const contenders = plan.filter(([w]) => w === workload).map(([, c]) => c);
    const seen = Object.fromEntries(contenders.map((c) => [c, []]));
    const failed = {};
    for (let round = 0; round < rounds; round++) {
      for (const contender of contenders) {
        if (failed[contender]) continue;
        try {
          seen[contender].push(await once(workload, contender));
        } catch (e) {
          failed[contender] = `${e.name}: ${e.message}`;
        }
      }
    }
    for (const contender of contenders) {
      if (failed[contender]) {
        report({ workload, contender, error: failed[contender] });
      } else if (workload === 'echo') {
        report({ workload, contender, rtt_us_median: Math.round(median(seen[contender]) * 1000), rounds });
      } else {
        report({ workload, contender, mib_s: +median(seen[contender]).toFixed(1), rounds });
      }
    }
  }
} catch (e) {
  // Not a figure: the run itself failed (a module that did not load, say).
  console.log(`STREAMLAB_BENCH_FATAL ${e.name}: ${e.message}`);
} finally {
  console.log('STREAMLAB_BENCH_DONE');
}
