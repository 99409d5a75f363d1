"""nginx in front of several app processes, from the template deploy/nginx.conf.

``render`` fills the template in; ``Nginx`` runs Debian's nginx with it as a child process
(not a daemon), with its own prefix in a directory of its own, touching no system
configuration: the benchmark (bench/bench_scale.py) and the sticky-session test
(tests/browser/test_sticky_sessions.py) use it.

    python -m deploy.proxy --listen 80 --upstream 8501,8502,10.0.0.12:8501 --prefix /var/lib/qiping-nginx

prints a filled-in configuration for a deployment.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
NGINX = "/usr/sbin/nginx"
START_TIMEOUT_S = 20


def render(upstream_ports: list[int | str], listen: str, prefix: str | Path, user: str | None = None) -> str:
    """The template with its places filled: the app processes at ``upstream_ports`` (a port: on
    this computer; or host:port, on another machine of the deployment), nginx listening on
    ``listen`` (a port, or address:port), its pid file, logs and temporary files under ``prefix``,
    its workers running as ``user`` (None: no ``user`` line, nginx's default)."""
    if not upstream_ports:
        raise ValueError("nginx needs at least one app process behind it")
    servers = "\n".join(f"        server {port if ':' in str(port) else f'127.0.0.1:{port}'};"
                         for port in upstream_ports)
    text = TEMPLATE.read_text(encoding="utf-8")
    # the comment at the top names the places: only what follows it is filled in
    header, body = text.split("\n{{user}}\n", 1)
    for place, value in {"{{prefix}}": str(prefix), "{{listen}}": str(listen), "{{servers}}": servers}.items():
        body = body.replace(place, value)
    return f"{header}\n{'user ' + user + ';' if user else ''}\n{body}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx on 127.0.0.1:``port`` in front of the app processes at ``upstream_ports``;
    ``work_dir`` holds its configuration, logs and temporary files."""

    def __init__(self, upstream_ports: list[int], work_dir: Path, port: int | None = None):
        self.port = port or free_port()
        self.upstream_ports = list(upstream_ports)
        self.work_dir = Path(work_dir)
        self.conf = self.work_dir / "nginx.conf"
        # As root, nginx's workers would run as nobody and could not write in a private
        # temporary directory: they stay root here (a throw-away proxy on the loopback).
        user = "root" if os.geteuid() == 0 else None
        self.conf.write_text(render(upstream_ports, f"127.0.0.1:{self.port}", self.work_dir, user),
                             encoding="utf-8")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *extra: str) -> list[str]:
        return [NGINX, "-p", str(self.work_dir), "-c", str(self.conf), "-e", str(self.work_dir / "error.log"),
                *extra]

    def error_log(self) -> str:
        try:
            return (self.work_dir / "error.log").read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def start(self) -> "Nginx":
        if not os.path.exists(NGINX):
            raise RuntimeError(f"Debian's nginx is not installed at {NGINX} (apt-get install nginx)")
        checked = subprocess.run(self.command("-t", "-q"), capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refuses {self.conf}:\n{checked.stderr}")
        self.process = subprocess.Popen(self.command("-g", "daemon off;"), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.error_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"nginx not listening after {START_TIMEOUT_S} s:\n{self.error_log()}")
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop nginx and its workers (their process group)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # a worker that outlived its master
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> "Nginx":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Print deploy/nginx.conf filled in for a deployment.")
    parser.add_argument("--listen", default="80", help="what nginx listens on: a port or address:port")
    parser.add_argument("--upstream", required=True,
                        help="the app processes, comma-separated: a port (on this machine) or host:port")
    parser.add_argument("--prefix", default="/var/lib/qiping-nginx",
                        help="directory for nginx's pid file, logs and temporary files")
    parser.add_argument("--user", default="www-data", help="the user nginx's workers run as")
    args = parser.parse_args()
    print(render([p.strip() for p in args.upstream.split(",")], args.listen, args.prefix, args.user or None), end="")


if __name__ == "__main__":
    main()
