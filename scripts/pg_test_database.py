"""Create or drop a throw-away PostgreSQL database for one test run (used by scripts/test and the e2e tests)."""

from __future__ import annotations

import asyncio
import secrets
import sys
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def create(admin_url: str, prefix: str = "leokop_test") -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(admin_url, timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(admin_url, name)


async def drop(admin_url: str, database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    connection = await asyncpg.connect(admin_url, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


if __name__ == "__main__":
    command, admin = sys.argv[1], sys.argv[2]
    if command == "create":
        print(asyncio.run(create(admin)))
    else:
        asyncio.run(drop(admin, sys.argv[3]))
