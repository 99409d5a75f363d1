"""A local SMS/WeChat gateway for the reminder tests: a real HTTP server on 127.0.0.1 that
records every POST and answers as told (a status, a status per message, or late)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    """A local SMS/WeChat gateway: records every POST; answers with ``status`` (a callable of the
    message's number may vary it), or sleeps ``delay`` seconds before answering."""

    def __init__(self, status=200, delay: float = 0.0):
        self.received: list[dict] = []
        self.headers: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append(json.loads(body.decode("utf-8")))
                gateway.headers.append(dict(self.headers))
                if delay:
                    time.sleep(delay)
                code = status(len(gateway.received)) if callable(status) else status
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}' if code < 400 else b'{"error": "x"}')
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
