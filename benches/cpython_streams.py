"""CPython's own asyncio streams on the browser benchmark's workloads, straight to the same
loopback TCP servers (no browser, no relay) — the `cpython` contender of `cargo xtask bench`.

    PYENV_VERSION=3.13.0 python3 benches/cpython_streams.py '{"lines": PORT, ...}' ROUNDS

Runs the workloads named in the ports' object, in its order, ROUNDS times interleaved as the
page's contenders are; prints one JSON object of the medians:
{"<workload>": {"mib_s": X} | {"rtt_us_median": X}}.
"""

import asyncio
import json
import statistics
import sys
import time

MIB = 1 << 20
SIZES = {"lines": 64 * MIB, "bulk": 256 * MIB, "frames": 65536 * 1028, "bigline": 4 * MIB, "upload": 256 * MIB}
LINE = b"x" * 63 + b"\n"


async def lines(reader, writer):
    n = 0
    async for line in reader:
        n += len(line)
    return n


async def bulk(reader, writer):
    n = 0
    while chunk := await reader.read(65536):
        n += len(chunk)
    return n


async def frames(reader, writer):
    n = 0
    while True:
        try:
            head = await reader.readexactly(4)
        except asyncio.IncompleteReadError as e:
            assert not e.partial
            return n
        n += 4 + len(await reader.readexactly(int.from_bytes(head, "big")))


async def bigline(reader, writer):
    return len(await reader.readline())


async def echo(reader, writer):
    times = []
    for _ in range(1000):
        start = time.perf_counter()
        writer.write(LINE)
        await writer.drain()
        await reader.readline()
        times.append(time.perf_counter() - start)
    return times


async def upload(reader, writer):
    piece = b"a" * 65536
    for _ in range(SIZES["upload"] // len(piece)):
        writer.write(piece)
        await writer.drain()
    writer.write_eof()
    assert await reader.readline() == b"ok\n"
    return SIZES["upload"]


async def run(name, port):
    """One run of workload `name`: MiB/s, or the median round trip in µs."""
    loop = LOOPS[name]
    limit = 8 * MIB if name == "bigline" else 2**16
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=limit)
    got = await loop(reader, writer)
    seconds = time.perf_counter() - start
    writer.close()
    await writer.wait_closed()
    if isinstance(got, list):
        return statistics.median(got) * 1e6
    assert got == SIZES[name], (name, got)
    return got / MIB / seconds


LOOPS = {"lines": lines, "bulk": bulk, "frames": frames, "bigline": bigline, "echo": echo, "upload": upload}


async def main(ports, rounds):
    runs = {name: [] for name in ports}
    for _ in range(rounds):
        for name, port in ports.items():
            runs[name].append(await run(name, port))
    results = {}
    for name, figures in runs.items():
        median = statistics.median(figures)
        results[name] = {"rtt_us_median": round(median)} if name == "echo" else {"mib_s": round(median, 1)}
    print(json.dumps(results))


if len(sys.argv) != 3 or not sys.argv[2].isdigit() or int(sys.argv[2]) < 1:
    sys.exit(f"usage: {sys.argv[0]} PORTS_JSON ROUNDS")
asyncio.run(main(json.loads(sys.argv[1]), int(sys.argv[2])))
