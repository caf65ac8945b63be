"""SQLite connections are tuned the same way every time one opens."""

from __future__ import annotations

from pathlib import Path

from inkwell import create_app
from inkwell.extensions import db
from tests.conftest import environ_for


def test_sqlite_connections_get_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    app = create_app(
        environ_for(
            f"sqlite:///{tmp_path / 'tuned.sqlite3'}",
            tmp_path,
            INKWELL_SQLITE_BUSY_TIMEOUT_MS="1234",
        )
    )
    with app.app_context(), db.engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == 1234
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    with app.app_context():
        db.engine.dispose()
