"""The database engine: pooled, tuned SQLite by default, PostgreSQL when configured; one transaction per request."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

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
    """A Piccolo SQLite transaction that starts at its first query (a request that runs no SQL costs
    nothing and takes no lock) and hands its connection back to the pool instead of closing it."""

    __slots__ = ("started",)

    async def __aenter__(self) -> "PooledSQLiteTransaction":
        if self._parent is not None:
            return self._parent
        self.started = False
        self.context = self.engine.current_transaction.set(self)
        return self

    @property
    def writes(self) -> bool:
        return self.transaction_type is not TransactionType.deferred

    async def ensure_started(self) -> aiosqlite.Connection:
        if not self.started:
            if self.writes:
                # Writers of this process queue here in arrival order (and without holding a pool
                # connection) instead of in SQLite's busy loop, whose growing sleeps leave the lock
                # idle and let unlucky writers wait for seconds (scripts/bench). Other processes
                # still meet at busy_timeout.
                await self.engine.write_queue.acquire()
            try:
                connection = await self.engine.get_connection()
                try:
                    await connection.execute(f"BEGIN {self.transaction_type.value}")
                except BaseException:
                    await self.engine.release_connection(connection)
                    raise
            except BaseException:
                if self.writes:
                    self.engine.write_queue.release()
                raise
            self.connection = connection
            self.started = True
        return self.connection

    async def begin(self) -> None:
        await self.ensure_started()

    async def commit(self) -> None:
        if self.started:
            try:
                await self.connection.execute("COMMIT")
            finally:
                await self._finish()
        self._committed = True

    async def rollback(self) -> None:
        if self.started:
            try:
                await self.connection.execute("ROLLBACK")
            finally:
                await self._finish()
        self._rolled_back = True

    async def _finish(self) -> None:
        """Hand back the connection and the place in the write queue as soon as the transaction ends
        (the request commits before its response is sent; the next writer need not wait for that)."""
        self.started = False
        await self.engine.release_connection(self.connection)
        if self.writes:
            self.engine.write_queue.release()

    async def savepoint(self, name=None):
        await self.ensure_started()
        return await super().savepoint(name)

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
            if self.started:  # ended neither by commit nor rollback (their own failure)
                await self._finish()
            self.engine.current_transaction.reset(self.context)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLiteEngine opens a connection (and a thread) per query, sets no pragmas and makes
    three thread hops per query; this keeps a bounded pool of tuned connections open and runs each
    query in one hop (figures in the README and from scripts/bench)."""

    def __init__(self, path: str, max_connections: int = 16, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self.max_connections = max_connections
        self._idle: list[aiosqlite.Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self.write_queue = asyncio.Lock()  # FIFO: fair among this process's writers

    async def get_connection(self) -> aiosqlite.Connection:
        # Waiting for a free connection beats opening more: each one is an OS thread.
        await self._slots.acquire()
        try:
            if self._idle:
                return self._idle.pop()
            connection = await aiosqlite.connect(**self.connection_kwargs)
            connection.row_factory = dict_factory  # type: ignore[assignment]
            for pragma in SQLITE_PRAGMAS:
                await connection.execute(pragma)
            return connection
        except BaseException:
            self._slots.release()
            raise

    async def release_connection(self, connection: aiosqlite.Connection) -> None:
        try:
            if connection.in_transaction:
                await connection.close()  # something went wrong mid-transaction: never reuse it
            else:
                self._idle.append(connection)
        finally:
            self._slots.release()

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

    async def _execute(self, query: str, args: list) -> list[dict]:
        transaction = self.current_transaction.get()
        if transaction is not None:
            connection = await transaction.ensure_started()
            return await connection.execute_fetchall(query, args)
        connection = await self.get_connection()
        try:
            return await connection.execute_fetchall(query, args)
        finally:
            await self.release_connection(connection)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        query, args = querystring.compile_string(engine_type=self.engine_type)
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=str(querystring))
        return await self._execute(query, args)

    async def run_ddl(self, ddl: str, in_pool: bool = False):
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=ddl)
        return await self._execute(ddl, [])


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


def raw_migration(migration_id: str, description: str, statements: tuple[str, ...]):
    """A Piccolo migration manager that runs SQL that Piccolo's auto migrations cannot express
    portably (unique indexes over several columns: SQLite has no ALTER TABLE ADD CONSTRAINT)."""
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager
    from piccolo.table import Table

    class RawTable(Table):
        pass

    manager = MigrationManager(migration_id=migration_id, app_name="leokop", description=description)

    async def run() -> None:
        for statement in statements:
            await RawTable.raw(statement)

    manager.add_raw(run)
    return manager
