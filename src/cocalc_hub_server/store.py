"""The hub's state: one SQLite database under ``--root``, written one transaction at a time.

Durability: WAL with ``synchronous=NORMAL``. A commit appends the transaction to the WAL file
with write(2) before COMMIT returns, so once a call is answered its writes are in the
operating system's hands and survive ``kill -9`` of the hub; only a crash of the machine
itself may lose the last commits ("WAL mode ... synchronous=NORMAL ... durable across
application crashes", https://www.sqlite.org/pragma.html#pragma_synchronous). FULL would add
an fsync per commit, which a local emulator does not need.

All database work runs on the event loop's thread, in synchronous ``with store.transaction()``
blocks that never await: transactions cannot interleave, and each is committed before the
call that made it is answered.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .schema import ddl, decode_row, encode


class SiteLockedError(Exception):
    """Another hub process is serving the same ``--root``."""


class Tx:
    """The statements of one transaction, with rows decoded by their table's column kinds."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._connection.execute(sql, params)

    def rows(self, table: str, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._connection.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [decode_row(table, dict(zip(names, row, strict=True))) for row in cursor]

    def row(self, table: str, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        found = self.rows(table, sql, params)
        return found[0] if found else None

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        found = self._connection.execute(sql, params).fetchone()
        return None if found is None else found[0]

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """Insert one row; its rowid (the serial ``id`` of tables that have one)."""
        columns = ", ".join(f'"{c}"' for c in values)
        marks = ", ".join("?" for _ in values)
        cursor = self._connection.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",
            [encode(table, c, v) for c, v in values.items()],
        )
        return int(cursor.lastrowid or 0)

    def update(
        self, table: str, values: dict[str, Any], where: str, params: Sequence[Any] = ()
    ) -> int:
        """``UPDATE table SET values WHERE where``; the number of rows changed."""
        if not values:
            return 0
        assignments = ", ".join(f'"{c}" = ?' for c in values)
        cursor = self._connection.execute(
            f"UPDATE {table} SET {assignments} WHERE {where}",
            [*(encode(table, c, v) for c, v in values.items()), *params],
        )
        return cursor.rowcount


class Store:
    """The open database of one site, locked against a second hub on the same root."""

    def __init__(self, connection: sqlite3.Connection, lock_fd: int) -> None:
        self._connection = connection
        self._lock_fd: int | None = lock_fd
        self._depth = 0

    @classmethod
    def open(cls, database: Path, lock_file: Path) -> Store:
        lock_fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            raise SiteLockedError(
                f"another cocalc-hub-server is serving {database.parent}"
            ) from None
        # Autocommit mode: transactions are begun and committed explicitly below.
        connection = sqlite3.connect(database, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        store = cls(connection, lock_fd)
        with store.transaction() as tx:
            for statement in ddl():
                tx.execute(statement)
        return store

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction, committed on leaving the block (rolled back on an exception).

        A block inside another joins it: helpers can open one whoever calls them.
        """
        tx = Tx(self._connection)
        if self._depth:
            self._depth += 1
            try:
                yield tx
            finally:
                self._depth -= 1
            return
        self._connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield tx
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        else:
            self._connection.execute("COMMIT")
        finally:
            self._depth = 0

    def close(self) -> None:
        self._connection.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
