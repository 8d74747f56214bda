"""CPython's side of the transcript differential (tests/e2e/transcripts.test.mjs).

    python3 tests/oracle/transcripts.py --servers '{"echo": 4000, ...}' --relay ws://127.0.0.1:8765 OUT.json

Builds every program of tests/transcripts/programs.py into a whole script (the prelude below,
then the program as the body of ``async def main()``, then ``asyncio.run(main())``), runs each
with this interpreter as ``python script.py`` — straight to the loopback fixture servers — and
writes ``[{name, source, stdout, stderr, status}]``. The page runs the very same sources; in
Pyodide the prelude points ``streamlab`` at the relay, which reaches the same servers.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import textwrap

PROGRAMS = pathlib.Path(__file__).resolve().parent.parent / "transcripts" / "programs.py"

PRELUDE = '''\
import asyncio
import json

SERVERS = {servers}
# Where a program's own server listens (start_server): loopback natively, a name of the
# page's own in the page.
LOCAL = ("127.0.0.1", 0)
try:
    import streamlab  # in the page (Pyodide): through the relay to the same servers
    streamlab.RELAY = {relay!r}
    LOCAL = ("mine.demo", 8888)
except ImportError:
    pass  # CPython: straight to them


async def connect(server, script=None, **kwargs):
    reader, writer = await asyncio.open_connection(*SERVERS[server], **kwargs)
    if script is not None:
        writer.write(json.dumps(script).encode() + b"\\n")
    return reader, writer


def address(server):
    """Where a started server can be reached."""
    return server.sockets[0].getsockname()[:2]


def show(e):
    attrs = {{k: getattr(e, k) for k in ("partial", "expected", "consumed", "errno") if hasattr(e, k)}}
    print(type(e).__name__ + ":", e, attrs if attrs else "")


async def main():
'''


def programs():
    """``[(name, body)]`` from programs.py, in order."""
    out = []
    for block in PROGRAMS.read_text().split("\n### ")[1:]:
        name, _, body = block.partition("\n")
        out.append((name.strip(), body.strip("\n")))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", required=True, help="JSON: fixture name -> loopback port")
    parser.add_argument("--relay", required=True, help="the relay the page's programs go through")
    parser.add_argument("out")
    args = parser.parse_args()
    ports = json.loads(args.servers)
    servers = {name: ("127.0.0.1", port) for name, port in ports.items()}
    prelude = PRELUDE.format(servers=repr(servers), relay=args.relay)
    results = []
    for name, body in programs():
        source = prelude + textwrap.indent(body, "    ") + "\n\n\nasyncio.run(main())\n"
        run = subprocess.run(
            [sys.executable, "-c", source], capture_output=True, text=True, timeout=60
        )
        results.append(
            {"name": name, "source": source, "stdout": run.stdout, "stderr": run.stderr, "status": run.returncode}
        )
    pathlib.Path(args.out).write_text(json.dumps(results, indent=1))
    failed = [r["name"] for r in results if r["status"] != 0]
    print(f"{len(results)} programs run by CPython {sys.version.split()[0]}; exit status not 0: {failed or 'none'}")


if __name__ == "__main__":
    main()
