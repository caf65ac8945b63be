"""The figures behind the dashboard's Health and Database pages, on every backend: the
per-minute history, percentiles, the slow-statement store, catalog sizes, what runs
now, SQLite's files, and the backups."""

from __future__ import annotations

import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell import create_app
from inkwell.extensions import db
from inkwell.models import HealthSample, SlowStatement
from inkwell.ops import catalog, samples, slow_statements
from inkwell.ops.backup.inventory import newest_backups
from inkwell.ops.traffic import BOUNDS, ZERO, Totals, figures, increase, quantile
from inkwell.transactions import own_connection
from tests.conftest import environ_for, migrated_app
from tests.databases import Backend
from tests.servers import gunicorn

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def totals(requests: int, errors: int = 0, fast: int | None = None) -> Totals:
    """`requests` timed: `fast` of them (all by default) in 10-25 ms, the rest in 1-2.5 s."""
    fast = requests if fast is None else fast
    buckets = tuple(0 if bound <= 0.01 else fast if bound <= 1 else requests for bound in BOUNDS)
    return Totals(requests, errors, buckets)


@pytest.fixture(scope="module")
def health_app(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a database of its own, whose samples commit for real."""
    instance = tmp_path_factory.mktemp(f"health-{backend.name}")
    with migrated_app(backend.fresh_url("inkwell_test_health", instance), instance) as app:
        yield app


@pytest.fixture
def health(health_app: Flask) -> Iterator[Flask]:
    """The app's context, with no samples, no slow statements and an empty buffer."""
    with health_app.app_context():
        with own_connection(writes=True) as connection:
            connection.execute(sa.delete(HealthSample))
            connection.execute(sa.delete(SlowStatement))
        slow_statements.drain()
        try:
            yield health_app
        finally:
            db.session.remove()


def stored_minutes() -> list[datetime]:
    """The minutes sampled, as committed now (a fresh read, not an earlier snapshot)."""
    minutes = db.session.scalars(sa.select(HealthSample.minute).order_by(HealthSample.minute))
    try:
        return list(minutes)
    finally:
        db.session.rollback()


def test_two_workers_sampling_the_same_minutes_leave_one_row_a_minute(
    health: Flask, backend: Backend, tmp_path: Path
) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    other = create_app(environ_for(url, tmp_path))
    outcomes: list[bool] = []

    def worker(app: Flask, moment: datetime) -> None:
        with app.app_context():
            outcomes.append(samples.sample(moment))

    try:
        for minute in (NOON, NOON + timedelta(minutes=1)):
            threads = [
                threading.Thread(target=worker, args=(app, minute + timedelta(seconds=second)))
                for app, second in ((health, 1), (other, 3))
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        with other.app_context():
            db.engine.dispose()
    assert sorted(outcomes) == [False, False, True, True]
    assert stored_minutes() == [NOON, NOON + timedelta(minutes=1)]


def test_samples_are_kept_for_a_day(health: Flask) -> None:
    samples.sample(NOON)
    samples.sample(NOON + timedelta(hours=23))
    assert len(stored_minutes()) == 2
    samples.sample(NOON + timedelta(hours=24, minutes=1))
    assert stored_minutes() == [NOON + timedelta(hours=23), NOON + timedelta(hours=24, minutes=1)]


def test_a_restart_between_samples_gives_no_negative_figures(health: Flask) -> None:
    readings = [totals(100, 1), totals(160, 3), totals(20, 0), totals(50, 2)]
    with own_connection(writes=True) as connection:
        for minute, reading in enumerate(readings):
            samples.record(connection, NOON + timedelta(minutes=minute), reading)
    stored = samples.history(NOON)
    assert [reading for _, reading in stored] == readings
    hour = increase([reading for _, reading in stored])
    # 60 before the restart, the 20 counted since it, 30 after.
    assert (hour.requests, hour.server_errors) == (110, 4)
    assert all(count >= 0 for count in hour.buckets)
    assert figures(hour).error_share == pytest.approx(4 / 110)


def test_percentiles_are_estimated_from_known_buckets() -> None:
    # 100 requests in 10-25 ms: the median halfway through that bucket.
    assert quantile(0.5, totals(100).buckets) == pytest.approx(0.0175)
    # 90 fast, 10 in 1-2.5 s: p95 halfway through the slow bucket.
    assert quantile(0.95, totals(100, fast=90).buckets) == pytest.approx(1.75)
    # Beyond the last bound the estimate is that bound, as Prometheus answers.
    beyond = Totals(10, 0, (0,) * (len(BOUNDS) - 1) + (10,))
    assert quantile(0.99, beyond.buckets) == 10.0
    assert quantile(0.5, ZERO.buckets) is None
    assert figures(ZERO).error_share is None


def test_the_slow_statement_store_stays_bounded_and_lists_the_slowest(health: Flask) -> None:
    for number in range(slow_statements.BUFFERED + 50):
        slow_statements.remember(NOON, 200 + number, f"SELECT {number}", "web.home")
    seen = slow_statements.drain()
    assert len(seen) == slow_statements.BUFFERED  # the oldest 50 dropped
    with own_connection(writes=True) as connection:
        slow_statements.store(connection, seen)
        slow_statements.store(
            connection,
            [slow_statements.Seen(NOON - timedelta(days=2), 99_999, "SELECT old", None)],
        )
    kept = db.session.scalar(sa.select(sa.func.count()).select_from(SlowStatement))
    assert kept == slow_statements.KEPT
    slowest = slow_statements.slowest(NOON - timedelta(days=1), limit=3)
    assert [s.statement for s in slowest] == ["SELECT 249", "SELECT 248", "SELECT 247"]
    assert slowest[0].duration_ms == 449 and slowest[0].endpoint == "web.home"


def test_slow_statements_reach_the_store_through_the_hook_and_the_sampler(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_health_hook", tmp_path)
    with migrated_app(url, tmp_path, INKWELL_SLOW_QUERY_MS="0") as app, app.app_context():
        slow_statements.drain()
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 42 AS answer"))
        samples.sample(NOON)
        stored = db.session.scalars(sa.select(SlowStatement.statement)).all()
        db.session.remove()
    assert "SELECT 42 AS answer" in stored


def test_long_statements_are_cut_to_fit(health: Flask) -> None:
    slow_statements.remember(NOON, 300, "SELECT\n   " + "x, " * 400, None)
    (seen,) = slow_statements.drain()
    assert len(seen.statement) == 500 and seen.statement.startswith("SELECT x, x,")


def test_sizes_list_the_real_tables_and_indexes(session: sa.orm.Session) -> None:
    sizes = catalog.sizes(session.connection())
    tables = {t.name: t for t in sizes.tables}
    assert set(db.metadata.tables) <= set(tables)
    assert (tables["articles"].total_bytes or 0) > 0
    indexes = {i.name: i.table for i in sizes.indexes}
    assert indexes["ix_users_created_at"] == "users"
    assert indexes["ix_comments_created_at_article_id"] == "comments"


def test_what_runs_in_another_connection_is_shown(
    session: sa.orm.Session, backend: Backend
) -> None:
    if backend.name == "sqlite":
        assert catalog.running(session.connection()) is None
        return
    sleep = "SELECT pg_sleep(2)" if backend.name == "postgresql" else "SELECT SLEEP(2)"
    engine = db.engine

    def run() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text(sleep))

    sleeper = threading.Thread(target=run)
    sleeper.start()
    try:
        found = []
        deadline = time.monotonic() + 1.5
        while not found and time.monotonic() < deadline:
            time.sleep(0.1)
            found = [
                r
                for r in catalog.running(session.connection()) or []
                if sleep in (r.statement or "")
            ]
    finally:
        sleeper.join()
    assert found, "the sleeping statement was not listed"
    (shown,) = found
    assert shown.seconds is not None and shown.seconds >= 0
    expected = "Timeout: PgSleep" if backend.name == "postgresql" else "User sleep"
    assert shown.waiting == expected


@pytest.mark.backends("sqlite")
def test_sqlite_files_show_the_log_and_the_recorded_checkpoint(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_health_files", tmp_path)
    with migrated_app(url, tmp_path) as app, app.app_context():
        database = Path(db.engine.url.database or "")
        with db.engine.begin() as connection:  # a write leaves the log open while connected
            connection.execute(sa.delete(SlowStatement))
            before = catalog.sqlite_files(database, tmp_path)
        assert before.database_bytes and before.database_bytes > 0
        assert before.wal_bytes is not None and before.checkpointed_at is None
        result = app.test_cli_runner().invoke(args=["db", "maintain"])
        assert result.exit_code == 0, result.output
        after = catalog.sqlite_files(database, tmp_path)
        db.session.remove()
    assert after.checkpointed_at is not None
    assert datetime.now(UTC) - after.checkpointed_at < timedelta(minutes=1)
    assert after.wal_bytes in (None, 0)


def backup_file(folder: Path, name: str, size: int, age: timedelta) -> None:
    path = folder / name
    path.write_bytes(b"x" * size)
    moment = (datetime.now(UTC) - age).timestamp()
    os.utime(path, (moment, moment))


def test_backups_are_listed_newest_first_with_a_warning_when_none_is_recent(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    missing = newest_backups(tmp_path / "none-yet")
    assert missing.newest == [] and "There is no backup" in (missing.warning(now) or "")
    assert newest_backups(tmp_path).warning(now) == f"There is no backup in {tmp_path}."
    backup_file(tmp_path, "inkwell-20260101T000000000000Z.sql", 300, timedelta(days=3))
    backup_file(tmp_path, "inkwell-20260102T000000000000Z.pgdump", 200, timedelta(days=2))
    backup_file(tmp_path, "inkwell-20260103T000000000000Z.sql.partial", 9, timedelta(0))
    backup_file(tmp_path, "notes.txt", 9, timedelta(0))
    old = newest_backups(tmp_path)
    assert [(b.name, b.bytes) for b in old.newest] == [
        ("inkwell-20260102T000000000000Z.pgdump", 200),
        ("inkwell-20260101T000000000000Z.sql", 300),
    ]
    assert old.warning(now) == "The newest backup is more than a day old."
    backup_file(tmp_path, "inkwell-20260104T000000000000Z.sqlite3", 100, timedelta(hours=2))
    fresh = newest_backups(tmp_path, limit=2)
    assert [b.name for b in fresh.newest] == [
        "inkwell-20260104T000000000000Z.sqlite3",
        "inkwell-20260102T000000000000Z.pgdump",
    ]
    assert fresh.warning(now) is None
    assert timedelta(hours=1) < now - fresh.newest[0].made_at < timedelta(hours=3)


@pytest.mark.backends("sqlite")
def test_inkwell_backup_writes_to_the_backup_folder_setting(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_health_backup", tmp_path)
    folder = tmp_path / "elsewhere"
    with migrated_app(url, tmp_path, INKWELL_BACKUP_DIR=str(folder)) as app:
        result = app.test_cli_runner().invoke(args=["backup"])
        assert result.exit_code == 0, result.output
    assert [b.name for b in newest_backups(folder).newest] == [p.name for p in folder.iterdir()]
    assert len(list(folder.iterdir())) == 1


@pytest.mark.backends("sqlite")
def test_every_gunicorn_worker_samples_and_shares_its_slow_statements(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_health_workers", tmp_path)
    every_statement = {"INKWELL_HEALTH_SAMPLE_SECONDS": "1", "INKWELL_SLOW_QUERY_MS": "0"}
    engine = sa.create_engine(url)
    try:
        with gunicorn(url, tmp_path, workers=3, **every_statement) as api:
            for _ in range(30):
                with urllib.request.urlopen(f"{api}/tags", timeout=10) as response:
                    assert response.status == 200
            deadline = time.monotonic() + 10
            endpoints: set[str] = set()
            minutes = 0
            while time.monotonic() < deadline and not ("api.tags" in endpoints and minutes):
                time.sleep(0.5)
                with engine.connect() as connection:
                    endpoints = set(
                        connection.scalars(sa.select(SlowStatement.endpoint).distinct())
                    )
                    minutes = (
                        connection.scalar(sa.select(sa.func.count()).select_from(HealthSample)) or 0
                    )
    finally:
        engine.dispose()
    assert "api.tags" in endpoints
    assert minutes >= 1
