# LimitOverrunError on big.demo, and recovering with read(consumed).
import asyncio


async def main():
    reader, writer = await asyncio.open_connection("big.demo", 9003)
    dropped = 0
    while True:
        try:
            line = await reader.readuntil(b"\n")
            break
        except asyncio.LimitOverrunError as e:
            dropped += len(await reader.read(e.consumed))
    print("dropped", dropped + len(line), "bytes of an overlong line")
    print(await reader.readline())
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
