#!/usr/bin/env python3
"""Benchmark fixture server (not a service under test).

Serves, on loopback ports the kernel picks:
  - HTTP_DELAY: every request is answered `200 ok` after DELAY seconds
    (asyncio, so any number of requests wait at the same time);
  - HTTP_FAST:  every request is answered `200 ok` at once;
  - N plain TCP listeners that accept and close (for port checks).
Writes `export BENCH_...=...` lines to ENV_FILE once everything listens,
then serves until killed.

Usage: delay_server.py ENV_FILE [DELAY=0.2] [N_PORTS=20]
"""

import asyncio
import sys


async def http_handler(reader, writer, delay):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            if delay:
                await asyncio.sleep(delay)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 2\r\n\r\nok"
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def closer(reader, writer):
    writer.close()


async def main():
    env_file = sys.argv[1]
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
    n_ports = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    servers = []

    async def listen(handler):
        s = await asyncio.start_server(handler, "127.0.0.1", 0, backlog=4096)
        servers.append(s)
        return s.sockets[0].getsockname()[1]

    slow = await listen(lambda r, w: http_handler(r, w, delay))
    fast = await listen(lambda r, w: http_handler(r, w, 0))
    ports = [await listen(closer) for _ in range(n_ports)]
    with open(env_file, "w") as f:
        f.write(f"export BENCH_DELAY_PORT={slow}\n")
        f.write(f"export BENCH_FAST_PORT={fast}\n")
        f.write(f"export BENCH_TCP_PORTS='{' '.join(map(str, ports))}'\n")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
