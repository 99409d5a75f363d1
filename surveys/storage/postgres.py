"""PostgreSQL as the server back-end (DESIGN §7, issue 16): the same application on psycopg 3.

``QIPING_DATABASE_URL=postgresql://…`` turns every database the application would open as an SQLite
file into a schema of that PostgreSQL database named after the file (``data/qiping.db`` → schema
``qiping``; a county's ``qingchuan.db`` → ``qingchuan``), so a deployment of several counties keeps
each county in a schema of its own. ``PostgresDatabase`` offers the part of sqlite-utils' Database the
application uses — ``execute``, ``query``, ``conn.execute``/``executemany``, ``db[table].insert(_all)``,
``atomic`` — and says each statement in PostgreSQL's dialect (``surveys.storage.dialect``).

The test suite runs against PostgreSQL with ``QIPING_DATABASE_PER_FILE=1`` too: each file then
becomes a database of its own, so a fixture copies a county with ``CREATE DATABASE … TEMPLATE``.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors, sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from surveys.storage.dialect import COMPAT_FUNCTIONS, to_postgres

NAME = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class Address:
    """Where a county's data is: a PostgreSQL connection string and a schema in that database."""
    dsn: str
    schema: str

    def __str__(self) -> str:
        return f"{_without_password(self.dsn)}#{self.schema}"


def _without_password(dsn: str) -> str:
    parts = urlsplit(dsn)
    netloc = parts.netloc.rsplit("@", 1)
    if len(netloc) == 2 and ":" in netloc[0]:
        netloc[0] = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc="@".join(netloc)))


def is_url(value: str | Path) -> bool:
    return str(value).startswith(("postgresql://", "postgres://"))


def schema_name(path: str | Path) -> str:
    stem = NAME.sub("_", Path(path).stem.lower()).strip("_") or "county"
    return stem if stem[0].isalpha() else f"c_{stem}"


def address(url: str, path: str | Path | None = None, per_file: bool = False) -> Address:
    """The PostgreSQL place of the county whose SQLite file would be ``path``: a schema named after
    the file in ``url``'s database (or the ``schema`` the URL names); with ``per_file``, a database
    of its own named after the file's whole path (the test suite's copies)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None)
    parts = parts._replace(query=urlencode(query))
    if per_file and path is not None:
        digest = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:16]
        prefix = os.environ.get("QIPING_DATABASE_PREFIX", "")  # one test run's databases apart from another's
        return Address(urlunsplit(parts._replace(path=f"/q_{prefix}{digest}")), "public")
    return Address(urlunsplit(parts), schema or (schema_name(path) if path is not None else "public"))


class IntegrityError(sqlite3.IntegrityError):
    """A PostgreSQL constraint refusal, caught where the application catches SQLite's."""


class OperationalError(sqlite3.OperationalError):
    """A PostgreSQL error of the kind SQLite calls operational (lock timeouts among them)."""


def _as_sqlite_error(error: psycopg.Error) -> Exception:
    if isinstance(error, psycopg.IntegrityError):
        return IntegrityError(str(error))
    if isinstance(error, (errors.LockNotAvailable, errors.QueryCanceled, errors.DeadlockDetected,
                          errors.SerializationFailure)):
        return OperationalError(f"database is locked: {error}")
    return error


def _load_numeric(data: Any) -> int | float:
    """SUM over integers is NUMERIC in PostgreSQL and an integer in SQLite: read it as SQLite would."""
    text = bytes(data).decode()
    return int(text) if "." not in text and "e" not in text.lower() else float(text)


class _NumericLoader(psycopg.adapt.Loader):
    def load(self, data):
        return _load_numeric(data)


class Connection:
    """The part of ``sqlite3.Connection`` the application uses, over psycopg.

    With a pool, a PostgreSQL connection is borrowed for one statement, or for one transaction,
    and given back as soon as it is idle again: a page never closes the connection of its script
    run, and a connection held per run would leave a process's pool empty after a few clicks."""

    def __init__(self, where: Address, pool: "ConnectionPool | None" = None, file: str = ""):
        self.schema = where.schema
        self.file = file
        self.lock_wait_ms = 10_000  # PRAGMA busy_timeout sets it: how long BEGIN IMMEDIATE waits
        self._pool = pool
        self._own = None if pool is not None else configured(psycopg.connect(where.dsn, autocommit=True), where)
        self._lent: psycopg.Connection | None = None

    @property
    def raw(self) -> psycopg.Connection:
        """The connection for the next statement: its own, or the one lent for the transaction under way."""
        if self._own is not None:
            return self._own
        if self._lent is None:
            self._lent = self._pool.getconn()
        return self._lent

    def release(self) -> None:
        """The lent connection back to the pool unless a transaction is under way on it."""
        lent = self._lent
        if lent is not None and (lent.closed or lent.info.transaction_status == psycopg.pq.TransactionStatus.IDLE):
            self._lent = None
            self._pool.putconn(lent)

    def begin_immediate(self) -> None:
        """SQLite's BEGIN IMMEDIATE: a transaction holding the county's one write lock (an advisory
        lock on its schema, shared by every process), waiting at most ``lock_wait_ms`` for it."""
        raw = self.raw
        raw.execute("BEGIN")
        try:
            raw.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{max(1, self.lock_wait_ms)}ms")))
            raw.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
            raw.execute("SET LOCAL lock_timeout = 0")
        except psycopg.Error as error:
            raw.execute("ROLLBACK")
            self.release()
            raise _as_sqlite_error(error) from error

    @property
    def in_transaction(self) -> bool:
        raw = self._own or self._lent
        return raw is not None and raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, statement: str, parameters: Any = None) -> "_Rows":
        try:
            pragma = _pragma(self, statement)
            if pragma is not None:
                return pragma
            if statement.strip().upper() == "BEGIN IMMEDIATE":
                self.begin_immediate()
                return _Rows([])
            translated = _translate(statement, parameters)
            try:
                cursor = self.raw.execute(translated, _parameters(parameters), prepare=False)
                rows = _Rows.of(cursor)
            except psycopg.Error as error:
                raise _as_sqlite_error(error) from error
            view = VIEW.match(translated)
            if view:
                self.raw.execute("INSERT INTO qiping_views (name, definition) VALUES (%s, %s) ON CONFLICT (name) "
                                 "DO UPDATE SET definition = excluded.definition", (view.group(1), translated))
            return rows
        finally:
            self.release()

    def refresh_views(self) -> None:
        """SQLite reads a view's ``table.*`` anew at every query, PostgreSQL once when the view is made:
        after a migration added columns, the views are made again to show them."""
        for (definition,) in self.raw.execute("SELECT definition FROM qiping_views").fetchall():
            self.raw.execute(re.sub(r"^CREATE (OR REPLACE )?VIEW", "CREATE OR REPLACE VIEW", definition))
        self.release()

    def executemany(self, statement: str, rows: Iterable) -> "_Rows":
        try:
            cursor = self.raw.cursor()
            cursor.executemany(_translate(statement, True), [_parameters(r) for r in rows])
            return _Rows([], rowcount=cursor.rowcount)
        except psycopg.Error as error:
            raise _as_sqlite_error(error) from error
        finally:
            self.release()

    def executescript(self, script: str) -> None:
        self.execute(script)

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, kind, error, trace) -> None:
        """As sqlite3's ``with connection:`` commits or rolls back an open transaction."""
        if kind is None:
            self.commit()
        else:
            self.rollback()

    def commit(self) -> None:
        if self.in_transaction:
            self.raw.execute("COMMIT")
        self.release()

    def rollback(self) -> None:
        if self.in_transaction:
            self.raw.execute("ROLLBACK")
        self.release()

    def close(self) -> None:
        if self._own is not None:
            self._own.close()
        elif self._lent is not None:
            if not self._lent.closed:
                self.rollback()
            self.release()

    def iterdump(self) -> Iterator[str]:
        """Every row of every table as text, in a stable order (tests compare two dumps)."""
        tables = self.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                              "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()
        for (table,) in tables:
            rows = self.raw.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table))).fetchall()
            self.release()
            yield from (f"{table}: {row!r}" for row in sorted(rows, key=repr))


def _parameters(parameters: Any) -> Any:
    if parameters is None or isinstance(parameters, dict):
        return parameters
    return tuple(parameters)


def _translate(statement: str, parameters: Any) -> str:
    head = statement.lstrip()[:20].upper()
    if head.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
        return "BEGIN" if head.startswith("BEGIN") else statement
    return to_postgres(statement, parameters is not None)


class _Rows:
    """A statement's answer, read whole, as sqlite3's cursor offers it: the connection that gave it
    may serve another statement meanwhile."""

    def __init__(self, rows: list, description=None, rowcount: int = -1):
        self.rows, self.description, self.rowcount = rows, description, rowcount
        self._next = 0

    @classmethod
    def of(cls, cursor) -> "_Rows":
        rows = cursor.fetchall() if cursor.description is not None else []
        return cls(rows, cursor.description, cursor.rowcount)

    def fetchone(self):
        if self._next >= len(self.rows):
            return None
        self._next += 1
        return self.rows[self._next - 1]

    def fetchall(self):
        rest, self._next = self.rows[self._next:], len(self.rows)
        return rest

    def fetchmany(self, size: int = 1):
        part = self.rows[self._next:self._next + size]
        self._next += len(part)
        return part

    def __iter__(self):
        while (row := self.fetchone()) is not None:
            yield row


VIEW = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)", re.I)
PRAGMA = re.compile(r"^\s*PRAGMA\s+(\w+)\s*(?:=\s*(\w+)|\((\w*)\))?\s*;?\s*$", re.I)


def _pragma(connection: Connection, statement: str):
    match = PRAGMA.match(statement)
    if not match:
        return None
    name, value = match.group(1).lower(), match.group(2)
    if name == "user_version":
        if value is None:
            row = connection.raw.execute("SELECT version FROM qiping_schema_version").fetchone()
            return _Rows([(row[0] if row else 0,)])
        connection.raw.execute("UPDATE qiping_schema_version SET version = %s", (int(value),))
        return _Rows([])
    if name == "database_list":  # the file it stands for: connect() on it opens this database again
        return _Rows([(0, "main", connection.file)])
    if name == "busy_timeout" and value is not None:
        connection.lock_wait_ms = int(value)
        return _Rows([])
    if name == "integrity_check":
        return _Rows([("ok",)])
    if name == "journal_mode":
        return _Rows([("wal",)])
    if name == "foreign_keys" and value is not None:  # off: a test that damages the data on purpose
        role = "origin" if value.upper() in ("ON", "1", "TRUE") else "replica"
        connection.raw.execute(sql.SQL("SET session_replication_role = {}").format(sql.Literal(role)))
        return _Rows([])
    if name == "defer_foreign_keys":
        connection.raw.execute("SET CONSTRAINTS ALL DEFERRED")
        return _Rows([])
    return _Rows([])  # busy_timeout, foreign_keys, synchronous, wal_checkpoint: SQLite's own


class Table:
    """``db[name]`` as the application uses it: insert, insert_all, columns_dict."""

    def __init__(self, db: "PostgresDatabase", name: str):
        self.db, self.name = db, name

    def insert(self, record: dict, **options) -> "Table":
        return self.insert_all([record], **options)

    def insert_all(self, records: Iterable[dict], ignore: bool = False, **_options) -> "Table":
        records = list(records)
        if not records:
            return self
        columns = list(dict.fromkeys(c for r in records for c in r))
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}){}").format(
            sql.Identifier(self.name), sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            sql.SQL(" ON CONFLICT DO NOTHING" if ignore else ""))
        with self.db.atomic():
            try:
                self.db.conn.raw.cursor().executemany(statement, [tuple(r.get(c) for c in columns) for r in records])
            except psycopg.Error as error:
                raise _as_sqlite_error(error) from error
        return self

    def update(self, key: Any, updates: dict) -> "Table":
        """sqlite-utils' ``update``: the row whose primary key is ``key`` (a one-column key)."""
        (primary,) = [r[0] for r in self.db.conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST(? AS regclass) AND i.indisprimary", [self.name])]
        statement = sql.SQL("UPDATE {} SET {} WHERE {} = %s").format(
            sql.Identifier(self.name),
            sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in updates),
            sql.Identifier(primary))
        try:
            self.db.conn.raw.execute(statement, [*updates.values(), key])
        except psycopg.Error as error:
            raise _as_sqlite_error(error) from error
        finally:
            self.db.conn.release()
        return self

    @property
    def columns_dict(self) -> dict[str, type]:
        kinds = {"integer": int, "bigint": int, "smallint": int, "double precision": float, "real": float,
                 "numeric": float}
        rows = self.db.conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position", [self.name])
        return {name: kinds.get(kind, str) for name, kind in rows}

    def exists(self) -> bool:
        return self.name in self.db.table_names()


class PostgresDatabase:
    """The sqlite-utils ``Database`` surface the application uses, over PostgreSQL."""

    dialect = "postgres"

    def __init__(self, where: Address, pool: "ConnectionPool | None" = None, file: str | Path = ""):
        self.address = where
        self.conn = Connection(where, pool, str(file))

    def __getitem__(self, name: str) -> Table:
        return Table(self, name)

    def execute(self, statement: str, parameters: Any = None):
        return self.conn.execute(statement, parameters)

    def query(self, statement: str, parameters: Any = None) -> Iterator[dict]:
        try:
            cursor = self.conn.raw.cursor(row_factory=dict_row)
            cursor.execute(_translate(statement, parameters), _parameters(parameters), prepare=False)
            rows = cursor.fetchall()
        except psycopg.Error as error:
            raise _as_sqlite_error(error) from error
        finally:
            self.conn.release()
        yield from rows

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'qiping%'")]

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """All of the block or nothing: a transaction, or a savepoint inside one."""
        try:
            with self.conn.raw.transaction():
                yield
        finally:
            self.conn.release()

    @contextlib.contextmanager
    def read_only(self) -> Iterator[None]:
        """A transaction in which the server refuses every write; rolled back at the end."""
        self.conn.raw.execute("BEGIN READ ONLY")
        try:
            yield
        finally:
            self.conn.rollback()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "PostgresDatabase":
        return self

    def __exit__(self, *error) -> None:
        """As sqlite-utils' ``with Database(…) as db``: closed at the end of the block."""
        self.close()

    def __del__(self) -> None:
        """A transaction left open by a page that never closed its connection ends with it."""
        try:
            self.conn.close()
        except Exception:  # at interpreter exit the pool may be gone already
            pass


def configured(raw: psycopg.Connection, where: Address) -> psycopg.Connection:
    raw.adapters.register_loader("numeric", _NumericLoader)
    raw.execute(sql.SQL("SET search_path = {}, qiping_compat").format(sql.Identifier(where.schema)))
    return raw


def prepare_schema(where: Address) -> None:
    """The county's schema and the two tables that stand in for SQLite's own (its version, its views)."""
    with psycopg.connect(where.dsn, autocommit=True) as raw:
        raw.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(where.schema)))
        configured(raw, where)
        raw.execute("CREATE TABLE IF NOT EXISTS qiping_schema_version (version INTEGER NOT NULL)")
        raw.execute("CREATE TABLE IF NOT EXISTS qiping_views (name TEXT PRIMARY KEY, definition TEXT NOT NULL)")
        raw.execute("INSERT INTO qiping_schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM qiping_schema_version)")


POOL_SIZE_DEFAULT = 8
_POOLS: dict[Address, ConnectionPool] = {}
_POOLS_GUARD = threading.RLock()


def pool_for(where: Address) -> ConnectionPool:
    """This process's connections to one county, kept open between script runs (a connection per
    click would cost a sign-on each time and, at 75 clicks a second, more than the server allows).
    QIPING_DATABASE_POOL sets how many a process may hold."""
    with _POOLS_GUARD:
        if where not in _POOLS:
            size = int(os.environ.get("QIPING_DATABASE_POOL") or POOL_SIZE_DEFAULT)
            _POOLS[where] = ConnectionPool(
                where.dsn, min_size=1, max_size=size, kwargs={"autocommit": True},
                configure=lambda raw: configured(raw, where), check=ConnectionPool.check_connection,
                name=f"qiping-{where.schema}", open=True)
        return _POOLS[where]


def ensure_compat_functions(dsn: str) -> None:
    """The SQLite functions the application's SQL uses, defined once per PostgreSQL database."""
    with psycopg.connect(dsn, autocommit=True) as raw:
        raw.execute("SELECT pg_advisory_lock(7470001)")
        try:
            version = hashlib.sha1(COMPAT_FUNCTIONS.encode()).hexdigest()
            made = raw.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace "
                               "WHERE nspname = 'qiping_compat'").fetchone()
            if made is None or made[0] != version:  # new, or made by an older release: made again
                raw.execute(COMPAT_FUNCTIONS)
                raw.execute(sql.SQL("COMMENT ON SCHEMA qiping_compat IS {}").format(sql.Literal(version)))
        finally:
            raw.execute("SELECT pg_advisory_unlock(7470001)")


def _server(dsn: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/postgres"))


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


def ensure_database(dsn: str, template: str | None = None) -> bool:
    """Create the database ``dsn`` names (as a copy of ``template`` when given) unless it exists;
    whether it was created."""
    name = database_name(dsn)
    with _server_connection(dsn) as raw:
        if raw.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {} STRATEGY FILE_COPY").format(sql.Identifier(template))
        try:
            raw.execute(statement)
        except (errors.DuplicateDatabase, errors.UniqueViolation):
            return False
        return True


_SERVER_CONNECTIONS: dict[str, psycopg.Connection] = {}


@contextlib.contextmanager
def _server_connection(dsn: str) -> Iterator[psycopg.Connection]:
    """One connection per server and process for creating databases (held under a lock: a
    connection serves one thread at a time)."""
    server = _server(dsn)
    with _POOLS_GUARD:
        raw = _SERVER_CONNECTIONS.get(server)
        if raw is None or raw.closed or raw.broken:
            raw = _SERVER_CONNECTIONS[server] = psycopg.connect(server, autocommit=True)
        yield raw


@contextlib.contextmanager
def server_lock(dsn: str) -> Iterator[None]:
    """One process at a time across the PostgreSQL server (making a shared template database)."""
    with psycopg.connect(_server(dsn), autocommit=True) as raw:
        raw.execute("SELECT pg_advisory_lock(7470002)")
        try:
            yield
        finally:
            raw.execute("SELECT pg_advisory_unlock(7470002)")


def copy_database(source_dsn: str, target_dsn: str) -> None:
    """A whole database copied (the test suite's county copies; nobody may be connected to the source)."""
    with psycopg.connect(_server(source_dsn), autocommit=True) as raw:
        raw.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(target_dsn))))
    ensure_database(target_dsn, template=database_name(source_dsn))


def drop_database(dsn: str) -> None:
    with psycopg.connect(_server(dsn), autocommit=True) as raw:
        raw.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(dsn))))
