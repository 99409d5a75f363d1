"""Proof at scale: several app processes behind nginx against one process on SQLite, in one run.

Each configuration gets a fresh demo county and is driven by the load generator of
bench/bench_load.py (simulated enterprises over Streamlit's websocket protocol,
bench/streamlit_client.py) at each offered rate in turn:

* the reference: one ``streamlit run`` on SQLite, reached directly;
* for each back-end and each process count: that many ``streamlit run`` processes on one
  database, behind Debian's nginx with sticky sessions (deploy/nginx.conf, run by
  deploy/proxy.py as a child process with its own prefix in a temporary directory).

The demo county is built once, by the first process, before the others start (each process
builds it at its first script run when the database is empty). On ``sqlite`` the processes
share one SQLite file; on ``postgres`` the bench starts a throw-away PostgreSQL 15 cluster
(Debian's initdb and pg_ctl, trust authentication, a free port, as the user ``postgres`` when
run as root), gives the processes ``QIPING_DATABASE_URL`` and stops the cluster at the end.
Afterwards the database the app used is read through the app's own ``connect`` (so on
PostgreSQL, from PostgreSQL): every save an enterprise was told had succeeded must be there.

    python bench/bench_scale.py --processes 2,3 --backends sqlite,postgres --rates 25,50,75 \\
        --seconds 20 --sessions 50

prints one row per configuration and offered rate: back-end, processes, offered and achieved
interactions per second, p50/p95 latency, errors (exceptions and other errors drawn on the
page), busy messages, timeouts (no answer in time), lost answers, the CPU the app processes
and nginx used (server_cpu, in cores: CPU seconds per second of the step), the CPU this
process, the load generator, used (client_cpu, likewise), and the achieved rate as a ratio of
the one-process SQLite reference's at the same offered rate; per_core is achieved ÷ server_cpu
(interactions per second of server CPU), which stays put when other work on a shared machine takes
CPU from the servers. The load generator runs on the same computer: its CPU is taken from the
servers'.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from unittest import mock

HERE = Path(__file__).resolve().parent
APP_DIR = HERE.parent
sys.path[:0] = [str(HERE), str(APP_DIR)]

import bench_load  # noqa: E402
from streamlit_client import StreamlitSession  # noqa: E402
from deploy.proxy import Nginx, free_port  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
BACKENDS = ("sqlite", "postgres")
COLUMNS = ["backend", "processes", "offered", "achieved", "p50", "p95", "errors", "busy", "timeouts", "lost",
           "server_cpu", "client_cpu", "per_core", "ratio"]


class ScaleError(RuntimeError):
    """A configuration could not be run (said why)."""


# --- PostgreSQL: a throw-away cluster ------------------------------------------------

@dataclass
class Cluster:
    data_dir: Path
    port: int
    as_user: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/qiping"

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, str(PG_BIN / program), *args], capture_output=True, text=True)


@contextlib.contextmanager
def postgres_cluster(work_dir: Path) -> Iterator[Cluster]:
    """initdb, pg_ctl start on a free port of the loopback (trust authentication), a database
    ``qiping``; stopped and removed at the end. Run as root, the cluster belongs to ``postgres``
    (initdb refuses root)."""
    if not (PG_BIN / "initdb").exists():
        raise ScaleError(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb): apt-get install postgresql")
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster_dir = work_dir / "postgres"
    cluster_dir.mkdir()
    if as_user:
        shutil.chown(cluster_dir, "postgres", "postgres")
        work_dir.chmod(0o755)  # the postgres user passes through to its own directory
    cluster = Cluster(cluster_dir / "data", free_port(), as_user)
    step = cluster.run("initdb", "-D", str(cluster.data_dir), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                       "--locale", "C.UTF-8")
    if step.returncode != 0:
        raise ScaleError(f"initdb failed:\n{step.stderr}")
    options = f"-p {cluster.port} -k {cluster_dir} -c listen_addresses=127.0.0.1 -c max_connections=400"
    step = cluster.run("pg_ctl", "-D", str(cluster.data_dir), "-o", options, "-l", str(cluster_dir / "log"),
                       "-w", "start")
    if step.returncode != 0:
        raise ScaleError(f"pg_ctl start failed:\n{step.stderr}\n{(cluster_dir / 'log').read_text()[-2000:]}")
    try:
        step = cluster.run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "qiping")
        if step.returncode != 0:
            raise ScaleError(f"createdb failed:\n{step.stderr}")
        yield cluster
    finally:
        cluster.run("pg_ctl", "-D", str(cluster.data_dir), "-m", "fast", "-w", "stop")


# --- CPU: how busy the servers and this process were ---------------------------------

def group_cpu_seconds(groups: set[int]) -> float:
    """CPU seconds (user + system) so far of every live process in the process groups ``groups``
    (each app process and nginx lead a group of their own)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # fields after the name: state, ppid, pgrp, …, utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / tick


# --- one configuration ----------------------------------------------------------------

def warm_up(url: str) -> None:
    """One session's first run on the process at ``url``: its imports and caches are made then."""
    async def once():
        session = StreamlitSession(url, timeout=120)
        try:
            await session.open()
        finally:
            await session.close()
    asyncio.run(once())


@contextlib.contextmanager
def processes_on(work_dir: Path, db_path: Path, count: int, env: dict[str, str]) -> Iterator[list]:
    """``count`` app processes on the database ``db_path``, warmed up: the first builds the demo
    county alone, then the others start on the built county."""
    if str(APP_DIR / "tests") not in sys.path:
        sys.path.append(str(APP_DIR / "tests"))  # browser_support imports the tests' conftest
    from browser_support import start_server

    servers = []
    try:
        for n in range(count):
            log_dir = work_dir / f"process-{n + 1}"
            log_dir.mkdir()
            servers.append(start_server(log_dir, {**env, "QIPING_DB": str(db_path)}))
            if n == 0:
                warm_up(servers[0].url)  # builds the demo county
                if env.get("QIPING_DATABASE_URL") and db_path.exists():
                    raise ScaleError("the app wrote an SQLite file although QIPING_DATABASE_URL names PostgreSQL:"
                                     " this checkout has no PostgreSQL back-end (issue 16 item 3, branch postgres)")
        for server in servers[1:]:
            warm_up(server.url)
        yield servers
    finally:
        for server in servers:
            server.stop()


def measure(backend: str, count: int, behind_proxy: bool, work_dir: Path, sessions: int, rates: list[float],
            seconds: float, agencies: int, env: dict[str, str]) -> list[dict]:
    """One configuration: its processes (behind nginx or not), a step per offered rate."""
    db_path = work_dir / f"scale_{backend}_{count}{'_proxied' if behind_proxy else ''}.db"
    rows = []
    with mock.patch.dict(os.environ, env), processes_on(work_dir, db_path, count, env) as servers:
        proxy = Nginx([int(s.url.rsplit(":", 1)[1]) for s in servers], work_dir).start() if behind_proxy else None
        try:
            url = proxy.url if proxy else servers[0].url
            groups = {s.process.pid for s in servers} | ({proxy.process.pid} if proxy else set())
            for step, rate in enumerate(rates):
                started, server_cpu, client_cpu = time.monotonic(), group_cpu_seconds(groups), time.process_time()
                ledger = asyncio.run(bench_load.drive(url, db_path, sessions, rate, seconds,
                                                      first_code=1 + step * sessions, agencies=agencies))
                wall = time.monotonic() - started
                cpu = {"server_cpu": (group_cpu_seconds(groups) - server_cpu) / wall,
                       "client_cpu": (time.process_time() - client_cpu) / wall}
                summary = bench_load.summarise(ledger, sessions, rate, bench_load.check_database(db_path, ledger))
                rows.append({"backend": backend, "processes": count, "proxied": behind_proxy, **summary, **cpu})
                for detail, times in collections.Counter(
                        f"{i.outcome}: {i.detail}" for i in ledger.interactions
                        if i.outcome not in ("ok", "confirmed")).most_common(3):
                    print(f"#   {times} x {detail[:300]}", file=sys.stderr, flush=True)
        finally:
            if proxy:
                proxy.stop()
    return rows


# --- the run ----------------------------------------------------------------------------

def with_ratios(rows: list[dict]) -> list[dict]:
    """Each row's achieved rate against the reference's (the first configuration) at its offered rate."""
    reference = {r["offered"]: r["achieved"] for r in rows if r["backend"] == "sqlite" and r["processes"] == 1
                 and not r["proxied"]}
    for row in rows:
        base = reference.get(row["offered"])
        row["ratio"] = row["achieved"] / base if base else None
    return rows


def cell(row: dict, column: str) -> str:
    if column == "processes":
        return f"{row['processes']}{' behind nginx' if row['proxied'] else ''}"
    if column == "errors":
        value = row["exceptions"] + row["errors"]
    elif column == "timeouts":
        value = row["no_answer"]
    elif column == "lost":
        value = row["lost"] + row["stored_refused"] + row["duplicated"]
    elif column == "per_core":  # interactions served per second of server CPU: the app's cost, whatever CPU it got
        value = row["achieved"] / row["server_cpu"] if row["server_cpu"] else None
    else:
        value = row.get(column)
    if column == "ratio" and value is not None:
        return f"{value:.2f}x"
    return f"{value:.2f}" if isinstance(value, float) else ("-" if value is None else str(value))


def print_table(rows: list[dict]) -> None:
    print(" | ".join(COLUMNS))
    for row in rows:
        print(" | ".join(cell(row, c) for c in COLUMNS), flush=True)


def run(processes: list[int], backends: list[str], rates: list[float], seconds: float, sessions: int,
        agencies: int = 3) -> tuple[list[dict], list[str]]:
    """Every configuration's rows (with ratios), and why a back-end could not be measured."""
    if sessions * len(rates) > 300:
        raise ValueError("the demo county has 300 access codes: sessions x rates must be <= 300")
    common = {"QIPING_TRUSTED_PROXY": "1"}  # nginx appends the browser's address to X-Forwarded-For
    rows: list[dict] = []
    failures: list[str] = []

    def step(backend: str, count: int, proxied: bool, env: dict[str, str]) -> None:
        label = f"{backend}, {count} process{'es' if count > 1 else ''}{' behind nginx' if proxied else ''}"
        print(f"# {label} ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="qiping-scale-") as tmp:
            found = measure(backend, count, proxied, Path(tmp), sessions, rates, seconds, agencies,
                            {**common, **env} if proxied else env)
        rows.extend(found)
        for row in found:
            print("#   " + " | ".join(cell(row, c) for c in COLUMNS[:-1]),
                  file=sys.stderr, flush=True)

    step("sqlite", 1, False, {})  # the reference
    for backend in backends:
        if backend == "sqlite":
            for count in processes:
                step("sqlite", count, True, {})
        else:
            try:
                with tempfile.TemporaryDirectory(prefix="qiping-pg-") as tmp, postgres_cluster(Path(tmp)) as cluster:
                    for count in processes:
                        step("postgres", count, True, {"QIPING_DATABASE_URL": cluster.url})
            except ScaleError as error:  # what was measured is still printed
                failures.append(f"{backend}: {error}")
    return with_ratios(rows), failures


def table_rows(rows: list[dict]) -> list[dict]:
    """The configurations behind nginx as rows of bench/run_all.py's table (against the reference)."""
    reference = {r["offered"]: r for r in rows if r["ratio"] is not None and not r["proxied"]}
    return [{"name": f"{r['processes']} {r['backend']} processes behind nginx, offered {r['offered']:g}/s: achieved",
             "figure": r["achieved"], "unit": "/s", "reference": reference[r["offered"]]["achieved"],
             "ratio": r["ratio"],
             "target": f"p95 {r['p95']:.1f} s, lost {r['lost']}, errors {r['exceptions'] + r['errors']}, "
                       f"server CPU {r['server_cpu']:.2f} cores (about proportional to processes, lost = 0)"}
            for r in rows if r["proxied"] and r["offered"] in reference]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="2,3", help="app processes behind nginx, one configuration each")
    parser.add_argument("--backends", default="sqlite,postgres", help=f"comma-separated, of {', '.join(BACKENDS)}")
    parser.add_argument("--rates", default="25,50,75", help="offered interactions per second, one step each")
    parser.add_argument("--seconds", type=float, default=20, help="length of each step")
    parser.add_argument("--sessions", type=int, default=50, help="simulated enterprises per step")
    parser.add_argument("--agencies", type=int, default=3, help="agencies each enterprise rates")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - set(BACKENDS):
        parser.error(f"unknown back-end {', '.join(sorted(unknown))}: choose from {', '.join(BACKENDS)}")
    started = time.monotonic()
    try:
        rows, failures = run([int(p) for p in args.processes.split(",")], backends,
                             [float(r) for r in args.rates.split(",")], args.seconds, args.sessions, args.agencies)
    except ValueError as error:
        parser.error(str(error))
    print_table(rows)
    print(f"({time.monotonic() - started:.0f} s; {os.cpu_count()} CPUs; ratio: achieved against one process on"
          " SQLite reached directly, at the same offered rate)")
    if failures:
        sys.exit("bench_scale: not measured: " + "; ".join(failures))


if __name__ == "__main__":
    main()
