# drain() with large writes: write() queues, drain() waits until the queue is short.
import asyncio


async def main():
    reader, writer = await asyncio.open_connection("echo.demo", 7)
    writer.write(b"x" * 1048576)
    await writer.drain()
    print("queued after drain():", writer.transport.get_write_buffer_size() <= 16384)
    echoed = await reader.readexactly(1048576)
    print(len(echoed), echoed == b"x" * 1048576)
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
