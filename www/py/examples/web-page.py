# Download a web page: the status line and headers with readline(), then the body by its
# Content-Length (read() would wait for an EOF that HTTP/1.1 keep-alive never sends).
import asyncio


async def main():
    reader, writer = await asyncio.open_connection("example.demo", 80)
    writer.write(b"GET / HTTP/1.1\r\nHost: example.demo\r\n\r\n")
    print(await reader.readline())
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        print(line)
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    print(len(body), "bytes of body:", body[:40])
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
