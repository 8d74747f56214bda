# The transcript differential's programs (tests/e2e/transcripts.test.mjs): each `### name`
# starts the body of an `async def main()`, run by `asyncio.run(main())` after the prelude
# of tests/oracle/transcripts.py — natively by CPython 3.13.0 straight to the loopback
# fixture servers, and by the page's script runner (Pyodide + streamlab) through the relay to
# the same servers. stdout and stderr must be identical.
#
# The prelude gives: `connect(server, script=None, **kw)` → (reader, writer) to a fixture
# (`script` is the script fixture's first line, see relay/examples/fixtures.rs), `show(e)`
# to print an exception with its attributes, `SERVERS`, and for a program's own server
# `LOCAL` (where to start it) and `address(server)` (where to reach it).

### read-all-at-eof
r, w = await connect("script", [{"send": "hello world"}, {"fin": True}])
print(await r.read())
print(await r.read())
print(r.at_eof())

### read-n-returns-what-is-there
r, w = await connect("script", [{"send": "abcdef"}, {"fin": True}])
print(await r.read(4))
print(await r.read(100))
print(await r.read(1))

### read-zero
r, w = await connect("script", [{"send": "abc"}, {"fin": True}])
print(await r.read(0))
print(await r.read())

### read-bad-argument
r, w = await connect("script", [{"send": "abc"}, {"fin": True}])
try:
    await r.read(1.5)
except TypeError as e:
    show(e)
print(await r.read())

### readline-lines
r, w = await connect("script", [{"send": "one\ntwo\nthree"}, {"fin": True}])
print(await r.readline())
print(await r.readline())
print(await r.readline())
print(await r.readline())

### readline-crlf
r, w = await connect("script", [{"send": "GET / HTTP/1.0\r\nHost: x\r\n\r\n"}, {"fin": True}])
while (line := await r.readline()) not in (b"", b"\r\n"):
    print(line)
print(line)

### readline-over-limit
r, w = await connect("script", [{"send": "abcdefghij\nok\n"}, {"fin": True}], limit=4)
try:
    await r.readline()
except ValueError as e:
    show(e)
print(await r.readline())

### readline-limit-1
r, w = await connect("script", [{"send": "\nx\n"}, {"fin": True}], limit=1)
print(await r.readline())
try:
    print(await r.readline())
except ValueError as e:
    show(e)

### readline-partial-at-eof
r, w = await connect("script", [{"send": "no newline"}, {"fin": True}])
print(await r.readline())
print(await r.readline())

### readexactly-frames
r, w = await connect("script", [{"send": "\u0000\u0000\u0000\u0005hello\u0000\u0000\u0000\u0002hi"}, {"fin": True}])
for _ in range(2):
    n = int.from_bytes(await r.readexactly(4), "big")
    print(n, await r.readexactly(n))

### readexactly-incomplete
r, w = await connect("script", [{"send": "abc"}, {"fin": True}])
try:
    await r.readexactly(10)
except asyncio.IncompleteReadError as e:
    show(e)
print(await r.read())

### readexactly-zero-and-negative
r, w = await connect("script", [{"send": "abc"}, {"fin": True}])
print(await r.readexactly(0))
try:
    await r.readexactly(-1)
except ValueError as e:
    show(e)

### readexactly-at-eof-empty
r, w = await connect("script", [{"fin": True}])
try:
    await r.readexactly(1)
except asyncio.IncompleteReadError as e:
    show(e)

### readexactly-large
r, w = await connect("script", [{"send_pattern": 300000}, {"fin": True}])
data = await r.readexactly(300000)
print(len(data), data[:5], data[-3:])
print(await r.read())

### readuntil-separator
r, w = await connect("script", [{"send": "key=value;rest"}, {"fin": True}])
print(await r.readuntil(b"="))
print(await r.readuntil(b";"))
try:
    await r.readuntil(b";")
except asyncio.IncompleteReadError as e:
    show(e)

### readuntil-multibyte
r, w = await connect("script", [{"send": "a\r\nb\r\n\r\nbody"}, {"fin": True}])
print(await r.readuntil(b"\r\n\r\n"))
print(await r.read())

### readuntil-tuple
r, w = await connect("script", [{"send": "one\r\ntwo\nthree|"}, {"fin": True}])
for _ in range(3):
    print(await r.readuntil((b"\r\n", b"\n", b"|")))

### readuntil-tuple-first-end-wins
r, w = await connect("script", [{"send": "abcd"}, {"fin": True}])
print(await r.readuntil((b"cd", b"b")))
print(await r.read())

### readuntil-empty-separator
r, w = await connect("script", [{"send": "abc"}, {"fin": True}])
try:
    await r.readuntil(b"")
except ValueError as e:
    show(e)
try:
    await r.readuntil(())
except ValueError as e:
    show(e)

### readuntil-overrun-found
r, w = await connect("script", [{"send": "abcdefgh\nxy\n"}, {"fin": True}], limit=4)
try:
    await r.readuntil(b"\n")
except asyncio.LimitOverrunError as e:
    show(e)
    print(await r.read(e.consumed))
print(await r.readuntil(b"\n"))
print(await r.readuntil(b"\n"))

### readuntil-overrun-not-found
r, w = await connect("script", [{"send": "abcdefgh"}, {"sleep": 50}, {"send": "ijk\n"}, {"fin": True}], limit=4)
try:
    await r.readuntil(b"\n")
except asyncio.LimitOverrunError as e:
    show(e)
print(len(await r.read()))

### readuntil-recover-loop
r, w = await connect("script", [{"send_repeat": ["x", 200]}, {"send": "\nshort\n"}, {"fin": True}], limit=16)
dropped = 0
while True:
    try:
        line = await r.readuntil(b"\n")
        break
    except asyncio.LimitOverrunError as e:
        dropped += len(await r.read(e.consumed))
print(dropped + len(line))
print(await r.readline())

### readuntil-incomplete-partial
r, w = await connect("script", [{"send": "abc"}, {"fin": True}])
try:
    await r.readuntil(b"\n")
except asyncio.IncompleteReadError as e:
    show(e)
print(r.at_eof())

### async-for-lines
r, w = await connect("script", [{"send": "a\nb\nc"}, {"fin": True}])
async for line in r:
    print(line)
print("done")

### async-for-chunked
r, w = await connect("script", [{"send": "al"}, {"sleep": 20}, {"send": "pha\nbe"}, {"sleep": 20}, {"send": "ta\n"}, {"fin": True}])
print([line async for line in r])

### lines-then-other-reads
# readline() takes the whole lines after its own in one call (lent); any other call first
# settles them, so what it sees is exactly what CPython's reader holds.
r, w = await connect("script", [{"send": "a\nb\nc\nd\ne\nrest"}, {"fin": True}])
await asyncio.sleep(0.2)  # everything is in
print(await r.readline(), await r.readline())
print(await r.read(3))
print(await r.readline())
print(await r.readexactly(2))
print(await r.readuntil(b"s"))
print(await r.read(), r.at_eof())

### lines-and-at-eof
r, w = await connect("script", [{"send": "1\n2\n3\n"}, {"fin": True}])
await asyncio.sleep(0.2)
while line := await r.readline():
    print(line, r.at_eof())
print(r.at_eof())

### lines-break-then-readexactly
r, w = await connect("script", [{"send": "x\ny\nz\n0123456789"}, {"fin": True}])
await asyncio.sleep(0.2)
async for line in r:
    print(line)
    if line == b"y\n":
        break
print(await r.readexactly(4))
print([line async for line in r])

### lines-up-to-an-overrun
r, w = await connect("script", [{"send": "ab\ncd\nlong line\nef\n"}, {"fin": True}], limit=4)
await asyncio.sleep(0.2)
for _ in range(4):
    try:
        print(await r.readline())
    except ValueError as e:
        show(e)

### lines-of-two-readers-interleaved
r1, w1 = await connect("script", [{"send": "a1\na2\na3\n"}, {"fin": True}])
r2, w2 = await connect("script", [{"send": "b1\nb2\nb3\n"}, {"fin": True}])
await asyncio.sleep(0.2)
async def drain(name, r):
    async for line in r:
        print(name, line)
        await asyncio.sleep(0)
await asyncio.gather(drain("one", r1), drain("two", r2))

### lines-of-one-reader-two-tasks
r, w = await connect("script", [{"send": "".join(f"{i}\n" for i in range(8))}, {"fin": True}])
await asyncio.sleep(0.2)
async def take(name, n):
    for _ in range(n):
        print(name, await r.readline())
        await asyncio.sleep(0)
await asyncio.gather(take("A", 4), take("B", 4))
print(await r.read())

### at-eof-progression
r, w = await connect("script", [{"send": "ab"}, {"fin": True}])
await asyncio.sleep(0.2)  # the bytes and the EOF are both in
print(r.at_eof())
print(await r.read(1))
print(r.at_eof())
print(await r.read(5))
print(r.at_eof())

### chunks-coalesce-for-readline
r, w = await connect("script", [{"send": "hel"}, {"sleep": 30}, {"send": "lo wor"}, {"sleep": 30}, {"send": "ld\n"}])
print(await r.readline())
w.close()
await w.wait_closed()

### read-waits-for-eof
r, w = await connect("script", [{"send": "part one, "}, {"sleep": 50}, {"send": "part two"}, {"sleep": 50}, {"fin": True}])
print(await r.read())

### echo-roundtrip
r, w = await connect("echo")
w.write(b"ping\n")
await w.drain()
print(await r.readline())
w.close()
await w.wait_closed()

### echo-writelines
r, w = await connect("echo")
w.writelines([b"a", b"b\n", b"c\n"])
print(await r.readline(), await r.readline())
w.close()
await w.wait_closed()

### echo-bytearray-and-memoryview
r, w = await connect("echo")
w.write(bytearray(b"ba\n"))
w.write(memoryview(b"mv\n"))
print(await r.readline(), await r.readline())
w.close()

### write-str-is-a-type-error
r, w = await connect("echo")
try:
    w.write("text")
except TypeError as e:
    show(e)
w.close()

### write-eof-half-close
r, w = await connect("count")
w.write(b"x" * 1000)
print(w.can_write_eof())
w.write_eof()
print(w.is_closing())
print(await r.readline())
print(await r.read())

### write-after-write-eof
r, w = await connect("echo")
w.write_eof()
try:
    w.write(b"late")
except RuntimeError as e:
    show(e)
print(await r.read())

### echo-half-close-echoes-eof
r, w = await connect("echo")
w.write(b"last words")
w.write_eof()
print(await r.read())
print(r.at_eof())

### drain-large
r, w = await connect("echo")
data = bytes(range(256)) * 4096
w.write(data)
await w.drain()
got = await r.readexactly(len(data))
print(len(got), got == data)
w.close()
await w.wait_closed()

### drain-many-writes
r, w = await connect("count")
for i in range(100):
    w.write(b"%05d\n" % i)
    await w.drain()
w.write_eof()
print(await r.read())

### write-buffer-limits
r, w = await connect("echo")
print(w.transport.get_write_buffer_limits())
w.close()

### close-and-wait-closed
r, w = await connect("echo")
print(w.is_closing())
w.close()
print(w.is_closing())
await w.wait_closed()
await w.wait_closed()
print("closed")

### close-twice
r, w = await connect("echo")
w.close()
w.close()
await w.wait_closed()
print(w.is_closing())

### peername
r, w = await connect("echo")
print(w.get_extra_info("peername") == SERVERS["echo"])
print(w.get_extra_info("nonexistent", "default"))
w.close()

### refused
try:
    await connect("closed")
except ConnectionRefusedError as e:
    print(type(e).__name__, e.errno)

### reset-while-reading
r, w = await connect("script", [{"send": "partial"}, {"sleep": 30}, {"rst": True}])
print(await r.read(7))
try:
    await r.read()
except ConnectionResetError as e:
    show(e)

### reset-after-line
r, w = await connect("reset")
w.write(b"hi\n")
print(await r.readline())
try:
    print(await r.read())
except ConnectionResetError as e:
    show(e)

### exception-after-reset-is-sticky
r, w = await connect("script", [{"rst": True}])
for _ in range(2):
    try:
        await r.readline()
    except ConnectionResetError as e:
        print(type(e).__name__, e.errno)
print(r.exception() is not None)

### write-to-closed-peer
r, w = await connect("script", [{"close": True}])
print(await r.read())
w.write(b"one")
await asyncio.sleep(0.1)
try:
    w.write(b"two")
    await w.drain()
    await asyncio.sleep(0.1)
    w.write(b"three")
    await w.drain()
except (ConnectionResetError, BrokenPipeError) as e:
    print(type(e).__name__)

### cancel-waiting-read-keeps-bytes
r, w = await connect("script", [{"send": "no newline yet"}, {"sleep": 300}, {"send": "\n"}, {"fin": True}])
task = asyncio.ensure_future(r.readline())
await asyncio.sleep(0.1)
task.cancel()
try:
    await task
except asyncio.CancelledError:
    print("cancelled")
print(await r.readline())

### wait-for-timeout-keeps-bytes
r, w = await connect("script", [{"send": "abc"}, {"sleep": 300}, {"send": "\n"}, {"fin": True}])
try:
    await asyncio.wait_for(r.readline(), 0.1)
except TimeoutError as e:
    print("timeout", repr(e))
print(await r.readline())

### wait-for-in-time
r, w = await connect("script", [{"send": "quick\n"}, {"fin": True}])
print(await asyncio.wait_for(r.readline(), 5))

### timeout-context
r, w = await connect("script", [{"send": "x"}, {"sleep": 500}, {"fin": True}])
try:
    async with asyncio.timeout(0.1):
        await r.readexactly(2)
except TimeoutError:
    print("timed out")
print(await r.read(1))
w.close()

### concurrent-reads-runtime-error
r, w = await connect("script", [{"sleep": 100}, {"send": "late\n"}, {"fin": True}])
first = asyncio.ensure_future(r.readline())
await asyncio.sleep(0)
try:
    await r.read(1)
except RuntimeError as e:
    show(e)
print(await first)

### gather-three-connections
async def fetch(tag):
    r, w = await connect("echo")
    w.write(tag + b"\n")
    line = await r.readline()
    w.close()
    await w.wait_closed()
    return line
print(await asyncio.gather(fetch(b"a"), fetch(b"b"), fetch(b"c")))

### gather-with-exception
async def ok():
    r, w = await connect("script", [{"send": "fine\n"}, {"fin": True}])
    return await r.readline()
async def bad():
    r, w = await connect("script", [{"send": "x"}, {"fin": True}])
    return await r.readexactly(5)
results = await asyncio.gather(ok(), bad(), return_exceptions=True)
print(results[0])
show(results[1])

### task-group
async def one(i):
    r, w = await connect("echo")
    w.write(b"%d\n" % i)
    got = await r.readline()
    w.close()
    return got
async with asyncio.TaskGroup() as tg:
    tasks = [tg.create_task(one(i)) for i in range(4)]
print([t.result() for t in tasks])

### http-get
r, w = await connect("script", [{"read": 18}, {"send": "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"}, {"fin": True}])
w.write(b"GET / HTTP/1.0\r\n\r\n")
status = await r.readline()
headers = {}
while (line := await r.readline()) != b"\r\n":
    k, _, v = line.decode().partition(":")
    headers[k.strip().lower()] = v.strip()
print(status, headers)
print(await r.readexactly(int(headers["content-length"])))

### report-crc
r, w = await connect("script", [{"read_eof": True}, {"report": True}])
w.write(b"abc" * 1000)
w.write_eof()
print(await r.readline())

### limit-default
r, w = await connect("echo")
print(r._limit if hasattr(r, "_limit") else 65536)
w.close()

### big-line-default-limit
r, w = await connect("script", [{"send_repeat": ["y", 70000]}, {"send": "\n"}, {"fin": True}])
# All of it buffered first: whether the "\n" came with the first read decides what readline
# drops (through the "\n", or only what was there), in CPython as through a relay.
await asyncio.sleep(0.2)
try:
    await r.readline()
except ValueError as e:
    print(type(e).__name__)
print(await r.read())

### feed-data-bare-reader
reader = asyncio.StreamReader(limit=4)
reader.feed_data(b"ab\ncd")
print(await reader.readline())
reader.feed_eof()
print(await reader.read())
print(reader.at_eof())

### bare-reader-overrun
reader = asyncio.StreamReader(limit=3)
reader.feed_data(b"abcdef\n")
try:
    await reader.readuntil(b"\n")
except asyncio.LimitOverrunError as e:
    show(e)
print(await reader.read(7))

### bare-reader-exception
reader = asyncio.StreamReader()
reader.feed_data(b"data")
exc = ConnectionResetError(104, "Connection reset by peer")
reader.set_exception(exc)
try:
    await reader.read()
except ConnectionResetError as e:
    print(e is exc, e)
print(reader.exception() is exc)

### bare-reader-lines-then-state
reader = asyncio.StreamReader(limit=8)
reader.feed_data(b"1\n2\n3\n4\n")
print(await reader.readline())
print(reader)
print(await reader.readline())
reader.feed_data(b"5\n")
print(reader)
exc = ConnectionResetError(104, "Connection reset by peer")
reader.set_exception(exc)
try:
    await reader.readline()
except ConnectionResetError as e:
    print(e is exc)

### bare-reader-feed-after-eof
reader = asyncio.StreamReader()
reader.feed_eof()
print(await reader.read())
print(reader.at_eof())

### bare-reader-waits-then-fed
reader = asyncio.StreamReader()
async def later():
    await asyncio.sleep(0.05)
    reader.feed_data(b"late\n")
asyncio.ensure_future(later())
print(await reader.readline())

### bare-reader-incomplete-attributes
reader = asyncio.StreamReader()
reader.feed_data(b"12345")
reader.feed_eof()
try:
    await reader.readexactly(9)
except asyncio.IncompleteReadError as e:
    print(e.partial, e.expected, len(e.partial))
    print(str(e))

### print-to-stderr
import sys
r, w = await connect("script", [{"send": "err\n"}, {"fin": True}])
print("to stdout")
print((await r.readline()).decode().strip(), file=sys.stderr)
print("again")

### many-small-chunks
r, w = await connect("script", [{"send": "a"}, {"sleep": 5}, {"send": "b"}, {"sleep": 5}, {"send": "c"}, {"sleep": 5}, {"send": "\n"}, {"fin": True}])
print(await r.readline())

### readline-then-readexactly-mix
r, w = await connect("script", [{"send": "LEN 4\nabcdLEN 2\nxy"}, {"fin": True}])
while line := await r.readline():
    n = int(line.split()[1])
    print(line, await r.readexactly(n))

### read-minus-one-large
r, w = await connect("script", [{"send_pattern": 200000}, {"fin": True}])
data = await r.read(-1)
print(len(data), sum(data) % 1000)

### start-server-echo
async def echo(reader, writer):
    while line := await reader.readline():
        writer.write(line.upper())
        await writer.drain()
    writer.close()
server = await asyncio.start_server(echo, *LOCAL)
print(server.is_serving())
r, w = await asyncio.open_connection(*address(server))
for word in (b"alpha\n", b"beta\n"):
    w.write(word)
    print(await r.readline())
w.write_eof()
print(await r.read())
w.close()
await w.wait_closed()
server.close()
await server.wait_closed()
print(server.is_serving(), server.sockets)

### start-server-handler-prints
async def shout(reader, writer):
    line = await reader.readline()
    print("server got", line)
    writer.write(line.upper())
    await writer.drain()
    writer.close()
server = await asyncio.start_server(shout, *LOCAL)
r, w = await asyncio.open_connection(*address(server))
w.write(b"quiet\n")
print("client got", await r.readline())
w.close()
await w.wait_closed()
server.close()
await server.wait_closed()

### start-server-async-with
async def count(reader, writer):
    data = await reader.read()
    writer.write(b"got %d\n" % len(data))
    writer.close()
async with await asyncio.start_server(count, *LOCAL) as server:
    r, w = await asyncio.open_connection(*address(server))
    w.write(b"x" * 100000)
    w.write_eof()
    print(await r.readline())
    w.close()
    await w.wait_closed()
print(server.is_serving())

### start-server-serve-forever
async def hello(reader, writer):
    writer.write(b"hello\n")
    await writer.drain()
    writer.close()
server = await asyncio.start_server(hello, *LOCAL)
forever = asyncio.ensure_future(server.serve_forever())
await asyncio.sleep(0)
r, w = await asyncio.open_connection(*address(server))
print(await r.readline(), await r.read())
w.close()
await w.wait_closed()
forever.cancel()
try:
    await forever
except asyncio.CancelledError:
    print("serve_forever() cancelled; serving:", server.is_serving())

### start-server-concurrent-clients
async def double(reader, writer):
    n = int(await reader.readline())
    writer.write(b"%d\n" % (2 * n))
    writer.close()
server = await asyncio.start_server(double, *LOCAL)
async def ask(n):
    r, w = await asyncio.open_connection(*address(server))
    w.write(b"%d\n" % n)
    answer = await r.readline()
    w.close()
    await w.wait_closed()
    return answer
print(await asyncio.gather(*(ask(n) for n in range(5))))
server.close()
await server.wait_closed()

### the-classes-are-asyncio-streams
print(asyncio.StreamReader, asyncio.StreamWriter)
print(asyncio.StreamReader.readuntil.__doc__)
print(asyncio.open_connection.__doc__.split("\n\n")[0])
server = await asyncio.start_server(lambda r, w: w.close(), *LOCAL)
print(type(server))
server.close()
await server.wait_closed()
