"""Test set-up: a migrated database (SQLite by default, PostgreSQL when LEOKOP_DATABASE_URL says so),
reset to the demo data before every test, and helpers to act as a signed-in browser."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile

import pytest

os.environ.setdefault("LEOKOP_VAR_DIR", tempfile.mkdtemp(prefix="leokop-test-"))
os.environ.setdefault("LEOKOP_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("LEOKOP_LOG_LEVEL", "WARNING")
# Push rounds run when a test asks (with its own clock), never in the background of other tests.
os.environ.setdefault("LEOKOP_PUSH_WORKER", "false")
os.environ.setdefault("LEOKOP_REMINDERS", "false")  # tests write reminders with their own clock
os.environ.setdefault("LEOKOP_EXPORT_WORKER", "false")  # PDF export tests run the job themselves
os.environ.setdefault("LEOKOP_DATA_EXPORT_WORKER", "false")  # data export tests run the job themselves

from litestar.testing import TestClient  # noqa: E402

from leokop.accounts.service import hash_password  # noqa: E402
from leokop.app import create_app  # noqa: E402
from leokop.curriculum.service import load_occupations  # noqa: E402
from leokop.db import request_transaction  # noqa: E402
from leokop.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from leokop.settings import load_settings  # noqa: E402
from leokop.tables import ALL_TABLES  # noqa: E402

from tests.helpers import CSRF_COOKIE  # noqa: E402

DEMO_HASH = asyncio.run(hash_password(DEMO_PASSWORD))


def pytest_report_header(config):
    url = os.environ.get("LEOKOP_DATABASE_URL", "")
    return f"leokop database: {'PostgreSQL' if url else 'SQLite'} ({url.rsplit('/', 1)[-1] if url else os.environ['LEOKOP_VAR_DIR']})"


@pytest.fixture(scope="session")
def migrated() -> None:
    subprocess.run([sys.executable, "-m", "leokop.cli", "migrate"], check=True, env=os.environ, capture_output=True)


@pytest.fixture(scope="session")
def app(migrated):
    return create_app(load_settings())


async def reset_database() -> None:
    """Empty every table and load occupations and demo data again, in one transaction."""
    engine = ALL_TABLES[0]._meta.db
    async with request_transaction(engine, write=True):
        for table in reversed(ALL_TABLES):
            await table.delete(force=True)
        await load_occupations()
        await seed_demo(password_hash=DEMO_HASH)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://127.0.0.1:8000") as test_client:
        test_client.blocking_portal.call(reset_database)
        yield test_client


@pytest.fixture
def run(client):
    """Await a query, or call a coroutine function, on the app's event loop (services, DB checks)."""

    def call(target, *args, **kwargs):
        async def wrapped():
            return await (target(*args, **kwargs) if callable(target) else target)

        return client.blocking_portal.call(wrapped)

    return call


@pytest.fixture
def csrf_cookie_name() -> str:
    return CSRF_COOKIE


@pytest.fixture
def count_queries(app, monkeypatch):
    """Every SQL statement the app runs (PostgresEngine has __slots__: patch the class)."""
    engine_class = type(app.state.engine)
    original = engine_class.run_querystring
    seen = []

    async def counting(self, querystring, in_pool=False):
        seen.append(str(querystring)[:80])
        return await original(self, querystring, in_pool=in_pool)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    return seen
