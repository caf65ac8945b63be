"""The database servers the suite runs against, and fresh databases on them.

SQLite always runs. PostgreSQL and MariaDB run when their URLs are set and the
server answers; otherwise their tests are skipped with a one-line note, except
on CI (`CI` set), where an absent server fails the run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from inkwell.config import SUPPORTED_DRIVERS

TEST_DATABASE = "inkwell_test"
# Appended to every database the suite creates, so that two runs on one server
# (two checkouts, say) do not drop each other's databases.
SUFFIX = os.environ.get("INKWELL_TEST_DATABASE_SUFFIX", "")


@dataclass(frozen=True)
class Backend:
    """One database server the suite can use."""

    name: str
    label: str
    setting: str | None
    server_url: sa.URL | None = None
    problem: str | None = None

    def fresh_url(self, database: str, folder: Path) -> str:
        """An empty database called `database`, dropped and created anew."""
        database += SUFFIX
        if self.server_url is None:
            path = folder / f"{database}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return f"sqlite:///{path}"
        engine = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                if self.name == "postgresql":
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                    connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
                else:
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{database}`")
                    connection.exec_driver_sql(
                        f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                    )
        finally:
            engine.dispose()
        return self.server_url.set(database=database).render_as_string(hide_password=False)


def _server(name: str, label: str, setting: str) -> Backend:
    raw = os.environ.get(setting, "").strip()
    if not raw:
        return Backend(name, label, setting, problem=f"{setting} is not set")
    url = sa.make_url(raw)
    url = url.set(drivername=SUPPORTED_DRIVERS.get(url.drivername, url.drivername))
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as err:
        reason = str(err.orig).strip().splitlines()[0]
        return Backend(name, label, setting, url, problem=f"cannot connect ({reason})")
    finally:
        engine.dispose()
    return Backend(name, label, setting, url)


def discover() -> dict[str, Backend]:
    """Every backend, with why it cannot be used where that is so."""
    return {
        "sqlite": Backend("sqlite", "SQLite", None),
        "postgresql": _server("postgresql", "PostgreSQL", "INKWELL_TEST_POSTGRES_URL"),
        "mysql": _server("mysql", "MariaDB", "INKWELL_TEST_MYSQL_URL"),
    }


def emptied_redis(url: str) -> str:
    """`url`, a Redis database number the tests own, emptied of what earlier runs left;
    the test is skipped when Redis cannot be reached (failed on CI)."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI requires Redis at {url}: {error}")
        pytest.skip(f"Redis not available at {url}")
    return url
