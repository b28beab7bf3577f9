"""The database engine: pooled, tuned SQLite by default, PostgreSQL when configured; one transaction per request."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from leokop.settings import Settings

# Chosen for a legal record: an acknowledged approval must survive a power cut, so every commit is
# synced (FULL). WAL lets readers run beside the one writer; busy_timeout lets writers queue instead
# of failing with "database is locked".
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA temp_store = MEMORY",
)


class PooledSQLiteTransaction(SQLiteTransaction):
    """A Piccolo SQLite transaction that hands its connection back to the pool instead of closing it."""

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            await self.engine.release_connection(self.connection)
            self.engine.current_transaction.reset(self.context)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLiteEngine opens a connection (and a thread) per query and sets no pragmas; this
    keeps a few tuned connections open and reuses them (see the figures in the README)."""

    def __init__(self, path: str, pool_size: int = 4, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self.pool_size = pool_size
        self._idle: list[aiosqlite.Connection] = []

    async def get_connection(self) -> aiosqlite.Connection:
        if self._idle:
            return self._idle.pop()
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in SQLITE_PRAGMAS:
            await connection.execute(pragma)
        return connection

    async def release_connection(self, connection: aiosqlite.Connection) -> None:
        if len(self._idle) < self.pool_size and not connection.in_transaction:
            self._idle.append(connection)
        else:
            await connection.close()

    async def close_pool(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(connection.close() for connection in idle))

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> PooledSQLiteTransaction:
        return PooledSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):
        connection = await self.get_connection()
        try:
            async with connection.execute(query, args or []) as cursor:
                return await cursor.fetchall()
        finally:
            await self.release_connection(connection)

    async def _run_in_existing_connection(
        self, connection, query, args=None, query_type="generic", table=None
    ):
        # Piccolo re-sends "PRAGMA foreign_keys" before every query; ours is set once per connection.
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()


def create_engine(settings: Settings) -> Engine:
    """Build the engine the settings ask for (no connection is opened yet)."""
    if settings.uses_postgres:
        return PostgresEngine(config={"dsn": settings.database_url}, log_queries=settings.log_sql)
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return PooledSQLiteEngine(path=str(settings.sqlite_path), log_queries=settings.log_sql)


async def open_engine(engine: Engine, settings: Settings) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=settings.database_pool_size)


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool:
            await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


def request_transaction(engine: Engine, write: bool):
    """The transaction a request runs in: SQLite writers take the write lock up front (a deferred
    read-then-write fails with "database is locked" under load)."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(TransactionType.immediate if write else TransactionType.deferred)
    return engine.transaction()


def bind_tables(engine: Engine) -> None:
    """Point every leokop table at this engine (Piccolo binds tables when they are imported)."""
    from leokop.tables import ALL_TABLES

    for table in ALL_TABLES:
        table._meta._db = engine
