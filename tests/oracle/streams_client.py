"""The streams differential suite, CPython's side: every scenario of
tests/fixtures/streams_scenarios.json run by CPython 3.13.0's own asyncio.open_connection,
straight to the loopback fixtures (relay/examples/fixtures.rs). Prints one JSON object,
{name: [outcome, ...]}; the browser suite (tests/browser/differential.rs) runs the same
scenarios through the JS API and the relay and must print the same outcomes.

    PYENV_VERSION=3.13.0 python3 tests/oracle/streams_client.py [--fixtures JSON] [--only TEXT]... [--pretty]

The fixtures' ports come from --fixtures (the JSON line the fixtures print), else from
$STREAMLAB_FIXTURES, else it starts target/release/examples/fixtures itself (build it with
`cargo build --release -p streamlab-relay --example fixtures`). --only runs the scenarios
whose name contains TEXT; --pretty prints one outcome a line, for reading.

A scenario: {"name", "server", "limit"?, "steps"}. "server" is a script for the `script`
fixture (a list of actions, sent as the first line; not part of the transcript), or "closed"
(nothing listens: refused) or "echo" (the echo fixture). Outcome 0 is the connection
("connected", or the exception); then one per step, written as Python prints it: bytes by
repr (or `<N bytes crc32=X>` for steps with "summary"), None, True/False, and an exception
as its repr, then its attributes (partial, expected, consumed, errno, strerror), then
`str=` when str(exc) is not the repr's one argument, and `line=` when the traceback's last
line is not `Name: str` (asyncio.exceptions.IncompleteReadError: …). Bytes in the JSON are latin-1 strings.

It refuses to run on any CPython but 3.13.0, the reference.
"""

import argparse
import asyncio
import json
import os
import pathlib
import subprocess
import sys
import traceback
import zlib

REFERENCE = (3, 13, 0)
ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "fixtures" / "streams_scenarios.json"
FIXTURES_BIN = ROOT / "target" / "release" / "examples" / "fixtures"
MISSING = object()


def data_of(spec):
    """Bytes from a latin-1 string, or {"pattern": N} (byte i is i % 251)."""
    if isinstance(spec, str):
        return spec.encode("latin-1")
    if isinstance(spec, dict) and set(spec) == {"pattern"}:
        n = spec["pattern"]
        return (bytes(range(251)) * (n // 251 + 1))[:n]
    raise ValueError(f"bad data {spec!r}")


def show_bytes(b, summary):
    b = bytes(b)
    if summary:
        return f"<{len(b)} bytes crc32={zlib.crc32(b):08x}>"
    return repr(b)


def show_exc(e, summary=False):
    name = type(e).__name__
    r = repr(e)
    out = r if r.startswith(name + "(") else f"{name}!{r}"
    partial = getattr(e, "partial", MISSING)
    if partial is not MISSING:
        out += " partial=" + show_bytes(partial, summary)
    expected = getattr(e, "expected", MISSING)
    if expected is not MISSING:
        out += f" expected={expected!r}"
    consumed = getattr(e, "consumed", MISSING)
    if consumed is not MISSING:
        out += f" consumed={consumed!r}"
    for attr in ("errno", "strerror"):
        value = getattr(e, attr, None)
        if value is not None:
            out += f" {attr}={value!r}"
    s = str(e)
    if not (r == f"{name}({s!r})" or (s == "" and r == f"{name}()")):
        out += f" str={s!r}"
    # The traceback's last line, when it is more than `Name: str` (a module before the name).
    line = traceback.format_exception_only(e)[-1].rstrip("\n")
    if line != (f"{name}: {s}" if s else name):
        out += f" line={line!r}"
    return out


def show(value, summary=False):
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (bytes, bytearray)):
        return show_bytes(value, summary)
    return repr(value)


def awaitable(step, reader, writer):
    op = step["op"]
    if op == "read":
        return reader.read(step.get("n", -1))
    if op == "readline":
        return reader.readline()
    if op == "readexactly":
        return reader.readexactly(step["n"])
    if op == "readuntil":
        if "sep" not in step:
            return reader.readuntil()
        sep = step["sep"]
        return reader.readuntil(tuple(data_of(s) for s in sep) if isinstance(sep, list) else data_of(sep))
    if op == "drain":
        return writer.drain()
    if op == "wait_closed":
        return writer.wait_closed()
    raise ValueError(f"not an awaitable step: {step!r}")


def extra_info(step, writer, port):
    name = step["name"]
    value = writer.get_extra_info(name, step["default"]) if "default" in step else writer.get_extra_info(name)
    if name == "sockname" and isinstance(value, tuple) and len(value) == 2:
        # The relay's socket, not the page's (a documented difference): only its shape.
        host, p = value
        if isinstance(p, int) and 0 < p < 65536 and p != port:
            return f"({host!r}, <port>)"
    return show(value)


async def run_step(step, reader, writer, state, port):
    op = step["op"]
    summary = step.get("summary", False)
    try:
        if op in ("read", "readline", "readexactly", "readuntil", "drain", "wait_closed"):
            return show(await awaitable(step, reader, writer), summary)
        if op == "write":
            return show(writer.write(data_of(step["data"])))
        if op == "writelines":
            return show(writer.writelines([data_of(d) for d in step["data"]]))
        if op == "write_eof":
            return show(writer.write_eof())
        if op == "can_write_eof":
            return show(writer.can_write_eof())
        if op == "close":
            return show(writer.close())
        if op == "is_closing":
            return show(writer.is_closing())
        if op == "at_eof":
            return show(reader.at_eof())
        if op == "exception":
            exc = reader.exception()
            return "None" if exc is None else show_exc(exc, summary)
        if op == "sleep":
            await asyncio.sleep(step["ms"] / 1000)
            return "None"
        if op == "wait_for":
            call = step["call"]
            return show(await asyncio.wait_for(awaitable(call, reader, writer), step["timeout"]), summary)
        if op == "cancel_after":
            # JS: an AbortController aborted after `ms` (a no-op if the call ended first).
            task = asyncio.ensure_future(awaitable(step["call"], reader, writer))
            done, _ = await asyncio.wait({task}, timeout=step["ms"] / 1000)
            if not done:
                task.cancel()
            return show(await task, summary)
        if op == "start":
            # Runs the call in the background (until it waits); await_pending gets its outcome.
            state["pending"] = asyncio.ensure_future(awaitable(step["call"], reader, writer))
            await asyncio.sleep(0)
            return "None"
        if op == "await_pending":
            task = state.pop("pending")
            return show(await task, summary)
        if op == "get_extra_info":
            return extra_info(step, writer, port)
        raise ValueError(f"unknown op {op!r}")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: B036 - CancelledError is an outcome here
        return show_exc(e, summary)


async def run_scenario(scenario, ports):
    server = scenario["server"]
    if server in ("closed", "echo"):
        port = ports[server]
    elif isinstance(server, list):
        port = ports["script"]
    else:
        raise ValueError(f"{scenario['name']}: bad server {server!r}")
    kwargs = {"limit": scenario["limit"]} if "limit" in scenario else {}
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, **kwargs)
    except Exception as e:
        return [show_exc(e)]
    out = ["connected"]
    state = {}
    try:
        if isinstance(server, list):
            writer.write(json.dumps(server).encode("ascii") + b"\n")
            await writer.drain()
        for step in scenario["steps"]:
            out.append(await run_step(step, reader, writer, state, port))
    finally:
        pending = state.get("pending")
        if pending is not None and not pending.done():
            pending.cancel()
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 2)
        except BaseException:  # noqa: B036 - the transcript is done
            pass
    return out


async def run_all(scenarios, ports, parallel):
    gate = asyncio.Semaphore(parallel)

    async def one(sc):
        async with gate:
            return sc["name"], await run_scenario(sc, ports)

    return dict(await asyncio.gather(*(one(sc) for sc in scenarios)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", help="the JSON line the fixtures print (their ports)")
    parser.add_argument("--only", action="append", default=[], help="run the scenarios whose name contains this")
    parser.add_argument("--pretty", action="store_true", help="one outcome a line")
    parser.add_argument("--parallel", type=int, default=8, help="scenarios at a time (default 8)")
    parser.add_argument("--scenarios", default=str(SCENARIOS))
    args = parser.parse_args()
    if sys.version_info[:3] != REFERENCE:
        sys.exit(f"streams_client.py: CPython {'.'.join(map(str, REFERENCE))} is the reference, not {sys.version.split()[0]}")
    scenarios = json.loads(pathlib.Path(args.scenarios).read_text(encoding="utf-8"))
    if args.only:
        scenarios = [s for s in scenarios if any(o in s["name"] for o in args.only)]
    names = [s["name"] for s in scenarios]
    if len(set(names)) != len(names):
        sys.exit("streams_client.py: scenario names must be unique")
    fixtures = None
    line = args.fixtures or os.environ.get("STREAMLAB_FIXTURES")
    if not line:
        if not FIXTURES_BIN.exists():
            sys.exit(f"streams_client.py: no --fixtures, no $STREAMLAB_FIXTURES and no {FIXTURES_BIN}: "
                     "cargo build --release -p streamlab-relay --example fixtures")
        fixtures = subprocess.Popen([str(FIXTURES_BIN)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = fixtures.stdout.readline().decode()
    try:
        ports = json.loads(line)
        results = asyncio.run(run_all(scenarios, ports, max(1, args.parallel)))
    finally:
        if fixtures is not None:
            fixtures.stdin.close()
            fixtures.wait()
    results = {name: results[name] for name in names}
    if args.pretty:
        for name, outcomes in results.items():
            print(name)
            steps = next(s for s in scenarios if s["name"] == name)["steps"]
            for i, outcome in enumerate(outcomes):
                what = "open" if i == 0 else json.dumps(steps[i - 1])
                print(f"  {i:2} {what}\n       -> {outcome}")
    else:
        print(json.dumps(results, separators=(",", ":")))


if __name__ == "__main__":
    main()
