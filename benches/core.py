"""The core benchmark's CPython side: asyncio.StreamReader on in-memory data, the same work as
benches/core.rs. Run both with `cargo xtask bench-core`.

Prints one JSON object per workload: the best of REPEAT runs, and the process's peak RSS.
"""

import asyncio
import json
import resource
import sys
import time

REPEAT = 3
CHUNK = 64 * 1024


def split(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


async def drive(reader, chunks, consumer):
    """A feeder task: one chunk each time the consumer has had a turn, then EOF."""
    task = asyncio.ensure_future(consumer)
    await asyncio.sleep(0)
    for chunk in chunks:
        reader.feed_data(chunk)
        await asyncio.sleep(0)
    reader.feed_eof()
    return await task


def best(loop, make):
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        items = loop.run_until_complete(make())
        runs.append((time.perf_counter() - start, items))
    return min(runs)


def lines(loop):
    line = bytes(ord('a') + i % 26 for i in range(63)) + b"\n"
    chunks = split(line * (64 * 1024 * 1024 // 64), CHUNK)

    async def run():
        reader = asyncio.StreamReader()

        async def consume():
            n = 0
            async for _ in reader:
                n += 1
            return n
        count = await drive(reader, chunks, consume())
        assert count == 1024 * 1024
        return count
    return best(loop, run)


def frames(loop):
    data = bytearray()
    for i in range(64 * 1024 * 1024 // 1028):
        data += (1024).to_bytes(4, "big") + bytes([i % 251]) * 1024
    chunks = split(bytes(data), CHUNK)

    async def run():
        reader = asyncio.StreamReader()

        async def consume():
            n = 0
            while True:
                try:
                    head = await reader.readexactly(4)
                except asyncio.IncompleteReadError:
                    return n
                body = await reader.readexactly(int.from_bytes(head, "big"))
                assert len(body) == 1024
                n += 1
        return await drive(reader, chunks, consume())
    return best(loop, run)


def long_line(loop, mib):
    chunks = split(b"x" * (mib * 1024 * 1024) + b"\n", 64)

    async def run():
        reader = asyncio.StreamReader(limit=8 * 1024 * 1024)
        return len(await drive(reader, chunks, reader.readline()))
    return best(loop, run)


def main():
    if sys.version_info[:3] != (3, 13, 0):
        sys.exit("benches/core.py: needs CPython 3.13.0 (PYENV_VERSION=3.13.0 python3)")
    loop = asyncio.new_event_loop()

    def report(name, result, nbytes):
        secs, items = result
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"impl": "cpython-3.13.0", "workload": name, "seconds": round(secs, 6),
                          "items": items, "bytes": nbytes, "peak_rss_kib": peak}), flush=True)

    report("lines", lines(loop), 64 << 20)
    report("frames", frames(loop), (64 << 20) // 1028 * 1028)
    report("long_line_1mib", long_line(loop, 1), (1 << 20) + 1)
    report("long_line_4mib", long_line(loop, 4), (4 << 20) + 1)
    loop.close()


if __name__ == "__main__":
    main()
