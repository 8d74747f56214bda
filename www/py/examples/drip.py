# Partial reads on drip.demo: read(100) returns what has arrived; readline() waits for b'\n'.
import asyncio


async def main():
    reader, writer = await asyncio.open_connection("drip.demo", 9000)
    first = await reader.read(100)
    print("read(100) returned", len(first) > 0 and len(first) < 100, "- a piece, not 100 bytes")
    rest = await reader.readline()
    print((first + rest).decode().strip())
    async for line in reader:
        print(line.decode().strip())
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
