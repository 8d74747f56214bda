"""The browser workloads of ``cargo xtask bench`` with their loops written in Python, run by
Pyodide in the bench page against the ``streamlab`` module the playground's console uses (the
``streamlab_python`` contender), and Pyodide's own ``asyncio.StreamReader`` fed the ``lines``
bytes in memory (``pyodide_asyncio``: the ceiling for Python in the page).

Each loop returns the bytes it read or wrote (``echo``: each batch's mean round trip, in ms);
the page times it. See ``xtask/src/bench_targets.rs`` for what each server sends."""

import asyncio
import time

import streamlab

LINE = b"x" * 63 + b"\n"
MIB = 1 << 20
#: The ``lines`` workload's bytes, made once (outside any timing).
LINES = LINE * (64 * MIB // len(LINE))


async def _open(relay, port, limit=2**16):
    return await streamlab.open_connection("127.0.0.1", port, relay=relay, limit=limit)


async def lines(relay, port):
    reader, writer = await _open(relay, port)
    n = 0
    async for line in reader:
        n += len(line)
    writer.close()
    return n


async def bulk(relay, port):
    reader, writer = await _open(relay, port)
    n = 0
    while chunk := await reader.read(65536):
        n += len(chunk)
    writer.close()
    return n


async def frames(relay, port):
    reader, writer = await _open(relay, port)
    n = 0
    while True:
        try:
            head = await reader.readexactly(4)
        except asyncio.IncompleteReadError as e:
            if e.partial:
                raise
            break
        n += 4 + len(await reader.readexactly(int.from_bytes(head, "big")))
    writer.close()
    return n


async def bigline(relay, port):
    reader, writer = await _open(relay, port, limit=8 * MIB)
    n = len(await reader.readline())
    writer.close()
    return n


async def echo(relay, port, trips, batch):
    reader, writer = await _open(relay, port)
    times = []
    for _ in range(trips // batch):
        start = time.perf_counter()
        for _ in range(batch):
            writer.write(LINE)
            await writer.drain()
            await reader.readline()
        times.append((time.perf_counter() - start) * 1000 / batch)
    writer.close()
    return times


async def upload(relay, port, size):
    reader, writer = await _open(relay, port)
    piece = b"a" * 65536
    for _ in range(size // len(piece)):
        writer.write(piece)
        await writer.drain()
    writer.write_eof()
    ack = await reader.readline()
    if ack != b"ok\n":
        raise RuntimeError(f"the sink said {ack!r}")
    writer.close()
    return size


async def pyodide_lines():
    """Pyodide's own reader (``streamlab.install()`` was not called), the same bytes."""
    reader = asyncio.StreamReader(limit=2**16)
    reader.feed_data(LINES)
    reader.feed_eof()
    n = 0
    async for line in reader:
        n += len(line)
    return n
