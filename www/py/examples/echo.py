# Echo with readline(): one line at a time, whatever the chunks were.
import asyncio


async def main():
    reader, writer = await asyncio.open_connection("echo.demo", 7)
    writer.write(b"hello\n")
    await writer.drain()
    print(await reader.readline())
    writer.writelines([b"two\nli", b"nes\n"])
    print(await reader.readline())
    print(await reader.readline())
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
