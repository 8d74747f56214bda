# What a Pyodide user does with streamlab's wheel: a server of the page's own, a demo host with
# no relay, and a relay's demo server over real TCP. RELAY is the relay's ws:// URL (given by
# the page). Every line it prints is the test's expected output (tests/packages/wheel.test.mjs).
import asyncio
import errno
import socket
import sys

import streamlab

await streamlab.install()
print(asyncio.open_connection is streamlab.open_connection, asyncio.StreamReader)
try:
    socket.socket().connect(("example.demo", 80))
except OSError as e:
    print(type(e).__name__, e.errno == errno.EOPNOTSUPP, "asyncio.open_connection can" in e.__notes__[0])


async def handle(reader, writer):
    writer.write((await reader.readline()).upper())
    await writer.drain()
    writer.close()


server = await asyncio.start_server(handle, "mine.demo", 8888)
reader, writer = await asyncio.open_connection("mine.demo", 8888)
writer.write(b"hello\n")
print(await reader.readline(), await reader.read(), reader.at_eof())
try:
    await reader.readexactly(1)
except asyncio.IncompleteReadError as e:
    print(repr(e), e.partial, e.expected)
writer.close()
await writer.wait_closed()
server.close()
await server.wait_closed()

reader, writer = await asyncio.open_connection("example.demo", 80)
writer.write(b"GET / HTTP/1.0\r\nHost: example.demo\r\n\r\n")
print(await reader.readline())
writer.close()

bare = asyncio.StreamReader(limit=4)
bare.feed_data(b"abcdef\n")
try:
    await bare.readuntil(b"\n")
except asyncio.LimitOverrunError as e:
    print(type(e).__name__, e, e.consumed)

streamlab.RELAY = RELAY  # noqa: F821 (set by the page)
reader, writer = await asyncio.open_connection("echo.demo", 7)
writer.write(b"over real TCP\n")
print(await asyncio.wait_for(reader.readline(), 5), writer.get_extra_info("peername")[0])
writer.write_eof()
print(await reader.read())
writer.close()
await writer.wait_closed()
streamlab.uninstall()
print(asyncio.StreamReader is streamlab.StreamReader, "connect" in vars(socket.socket))
print("done on", sys.implementation.name)
