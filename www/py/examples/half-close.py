# write_eof(): half-close on echo.demo; reading goes on until the echo's own EOF.
import asyncio


async def main():
    reader, writer = await asyncio.open_connection("echo.demo", 7)
    writer.write(b"all I have to say")
    writer.write_eof()
    print(await reader.read())
    print("at_eof():", reader.at_eof())
    try:
        writer.write(b"more")
    except RuntimeError as e:
        print("RuntimeError:", e)
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
