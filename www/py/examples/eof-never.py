# read() waits for an EOF that silent.demo never sends (as HTTP/1.1 keep-alive does).
import asyncio


async def main():
    reader, writer = await asyncio.open_connection("silent.demo", 9002)
    try:
        await asyncio.wait_for(reader.read(), timeout=0.5)
    except TimeoutError:
        print("read() was still waiting after 0.5 s: no EOF came")
    print("at_eof():", reader.at_eof())
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
