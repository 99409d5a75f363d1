"""A small reverse proxy for the browser tests, doing what nginx does with
``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``: it passes each
request on to the app with the address it was reached from appended to whatever
X-Forwarded-For the client sent. WebSocket upgrades pass through; other requests
are sent one per connection, which keeps the proxy to reading request heads only.
"""
from __future__ import annotations

import asyncio
import threading

HEAD_END = b"\r\n\r\n"
DROPPED = {"x-forwarded-for", "connection", "keep-alive", "proxy-connection"}


def rewrite_head(head: bytes, peer: str) -> tuple[bytes, str]:
    """The request head to send on, and the X-Forwarded-For the client sent."""
    lines = head.decode("latin-1").split("\r\n")
    request_line, fields = lines[0], [line for line in lines[1:] if line]
    received, kept, upgrade = [], [], False
    for field in fields:
        name, _, value = field.partition(":")
        key = name.strip().lower()
        if key == "x-forwarded-for":
            received.append(value.strip())
        if key == "upgrade":
            upgrade = True
        if key not in DROPPED:
            kept.append(field)
    forwarded = ", ".join([*received, peer])
    kept.append(f"X-Forwarded-For: {forwarded}")
    kept.append("Connection: Upgrade" if upgrade else "Connection: close")
    return ("\r\n".join([request_line, *kept]) + "\r\n\r\n").encode("latin-1"), ", ".join(received)


class ForwardingProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.received: list[str] = []  # X-Forwarded-For as each request arrived from the browser
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None
        self.url = ""

    def start(self) -> str:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop).result(timeout=10)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            connections = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _handle(self, client_reader, client_writer) -> None:
        try:
            head = await client_reader.readuntil(HEAD_END)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_writer.close()
            return
        peer = client_writer.get_extra_info("peername")[0]
        head, received = rewrite_head(head, peer)
        self.received.append(received)
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        upstream_writer.write(head)
        await asyncio.gather(self._pipe(client_reader, upstream_writer),
                             self._pipe(upstream_reader, client_writer))

    @staticmethod
    async def _pipe(reader, writer) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
