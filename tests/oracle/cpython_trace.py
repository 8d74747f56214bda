"""The oracle: run trace scenarios against CPython's own asyncio.StreamReader.

Reads scenarios (JSON, one a line) on stdin and prints one result line each, in the format of
streamlab's trace runner (see src/trace/). Each read op is an asyncio task; after every step
the loop runs until every woken task has run (`sleep(0)`), as asyncio-streams.md §8 describes.

    PYENV_VERSION=3.13.0 python3 tests/oracle/cpython_trace.py [--messages] < scenarios.jsonl

It refuses to run on any CPython but 3.13.0, the reference.
"""

import asyncio
import json
import sys

REFERENCE = (3, 13, 0)


def hexes(data):
    return bytes(data).hex()


def error_result(exc, messages):
    out = {"error": type(exc).__name__}
    if isinstance(exc, asyncio.IncompleteReadError):
        out["partial"] = hexes(exc.partial)
        out["expected"] = exc.expected
    elif isinstance(exc, asyncio.LimitOverrunError):
        out["consumed"] = exc.consumed
    if messages:
        out["message"] = str(exc)
    return out


def call(reader, step):
    op = step["op"]
    if op == "read":
        return reader.read(step["n"])
    if op == "readline":
        return reader.readline()
    if op == "readexactly":
        return reader.readexactly(step["n"])
    if op == "readuntil":
        sep = step["sep"]
        sep = tuple(bytes.fromhex(s) for s in sep) if isinstance(sep, list) else bytes.fromhex(sep)
        return reader.readuntil(sep)
    raise ValueError(f"unknown op {op!r}")


async def settle():
    # A woken task runs on the next tick; a few ticks leave nothing runnable.
    for _ in range(4):
        await asyncio.sleep(0)


async def run(scenario, messages):
    reader = asyncio.StreamReader(limit=scenario.get("limit", 65536))
    events = []
    tasks = {}

    async def task(i, coro):
        try:
            result = {"ok": hexes(await coro)}
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                RuntimeError, ConnectionResetError) as exc:
            result = error_result(exc, messages)
        events.append({"step": i, "result": result})

    for i, step in enumerate(scenario["steps"]):
        op = step["op"]
        if op == "feed":
            reader.feed_data(bytes.fromhex(step["data"]))
        elif op == "eof":
            reader.feed_eof()
        elif op == "set_exception":
            reader.set_exception(ConnectionResetError("Connection lost"))
        elif op == "at_eof":
            events.append({"step": i, "result": {"ok": reader.at_eof()}})
        else:
            tasks[i] = asyncio.ensure_future(task(i, call(reader, step)))
        await settle()

    pending = [i for i, t in tasks.items() if not t.done()]
    for i in pending:
        tasks[i].cancel()
    await settle()
    return {"events": events, "pending": pending, "buffer": hexes(reader._buffer),
            "at_eof": reader.at_eof()}


def main():
    if sys.version_info[:3] != REFERENCE:
        sys.exit(f"cpython_trace.py: needs CPython 3.13.0, this is {sys.version.split()[0]} "
                 "(run it with PYENV_VERSION=3.13.0 python3)")
    messages = "--messages" in sys.argv[1:]
    loop = asyncio.new_event_loop()
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        result = loop.run_until_complete(run(json.loads(line), messages))
        out.write(json.dumps(result, separators=(",", ":")) + "\n")
    out.flush()
    loop.close()


if __name__ == "__main__":
    main()
