# Length-prefixed frames with readexactly(): a 4-byte big-endian length, then the payload.
import asyncio


async def main():
    reader, writer = await asyncio.open_connection("echo.demo", 7)
    writer.write(b"\x00\x00\x00\x05hello\x00\x00\x00\x03abc")
    for _ in range(2):
        size = int.from_bytes(await reader.readexactly(4), "big")
        print(size, await reader.readexactly(size))
    writer.write_eof()
    try:
        await reader.readexactly(4)
    except asyncio.IncompleteReadError as e:
        print("no more frames:", e.partial, "of", e.expected, "bytes")
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
