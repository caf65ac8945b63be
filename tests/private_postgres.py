"""Throwaway PostgreSQL servers of the tests' own: a primary, and hot standbys of it.

Each runs as the `postgres` system user from a temporary folder outside
pytest's root-only tree (so that user can reach it), on a free port, and
never touches the machine's shared server. A standby is a `pg_basebackup -R`
copy of its primary, streaming from it as production standbys do.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.servers import free_port

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
# Statement counts per server, for tests that show where reads went.
COUNTING = "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"


class PrivatePostgres:
    """A PostgreSQL server in a folder of its own."""

    def __init__(self, folder: Path, options: str = "") -> None:
        self.bin = Path(BINARIES[-1])
        self.data = folder / "data"
        self.port = free_port()
        self.folder = folder
        self.options = options

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._own_folder()
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"
        )

    def copy_of(self, primary: PrivatePostgres) -> None:
        """Make this server a hot standby of `primary`: a base backup that, with `-R`,
        also writes the settings to stream from it."""
        self._own_folder()
        self._as_postgres(
            str(self.bin / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast"),
        )

    def _own_folder(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            + self.options
        )
        self._as_postgres(
            str(self.bin / "pg_ctl"),
            *("-D", str(self.data), "-o", options, "-w", "-l", str(self.folder / "log")),
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"
        )

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def engine(self, database: str) -> sa.Engine:
        """An engine for the test's own statements: autocommit, no pool."""
        return sa.create_engine(
            self.url(database), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )

    def first_row(self, database: str, statement: str) -> sa.Row[Any] | None:
        """Run `statement` on `database` by itself (autocommit): its first row, if any."""
        engine = self.engine(database)
        try:
            with engine.connect() as connection:
                result = connection.execute(sa.text(statement))
                return result.first() if result.returns_rows else None
        finally:
            engine.dispose()


def require_binaries() -> None:
    """Skip without PostgreSQL's server programs; on CI, fail."""
    if not BINARIES:
        if os.environ.get("CI"):
            pytest.fail("CI requires the PostgreSQL server binaries")
        pytest.skip("PostgreSQL server binaries not installed")


@contextmanager
def running(server: PrivatePostgres) -> Iterator[PrivatePostgres]:
    """Keep `server` running for the block, then stop it and remove its folder."""
    try:
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


def new_server(prefix: str, options: str = "") -> PrivatePostgres:
    """A server in a new temporary folder, not yet made."""
    return PrivatePostgres(Path(tempfile.mkdtemp(prefix=prefix)), options)


@contextmanager
def primary_with_database(database: str, options: str = "") -> Iterator[PrivatePostgres]:
    """A new running primary holding an empty `database`."""
    require_binaries()
    server = new_server("inkwell-pg-", options)
    server.init()
    with running(server):
        admin = server.engine("postgres")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {database}")
        admin.dispose()
        yield server
