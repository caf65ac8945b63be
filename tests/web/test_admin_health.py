"""The dashboard's Health and Database pages through the test client: the guard, what
they show, the strict Content-Security-Policy, and the statements each runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from inkwell.models import Article, HealthSample, SlowStatement, User, utcnow
from inkwell.ops import database_report
from inkwell.ops.backup.inventory import newest_backups
from inkwell.ops.samples import minute_of
from inkwell.ops.traffic import BOUNDS, Totals
from tests.databases import Backend
from tests.web.conftest import as_a_new_request

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]
PAGES = ["/admin/health", "/admin/database"]


@pytest.fixture
def backups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A backup folder of the test's own in place of the app's (INKWELL_BACKUP_DIR)."""
    monkeypatch.setattr(database_report, "newest_backups", lambda _folder: newest_backups(tmp_path))
    return tmp_path


def add_samples(session: sa.orm.Session, count: int) -> None:
    """`count` minutes of samples ending at the current minute, 30 requests a minute."""
    now = minute_of(utcnow())
    for step in range(count):
        done = 30 * (step + 1)
        buckets = tuple(0 if bound < 0.05 else done for bound in BOUNDS)
        totals = Totals(done, step, buckets)
        session.merge(
            HealthSample(
                minute=now - timedelta(minutes=count - 1 - step),
                requests=done,
                server_errors=step,
                latency_buckets=totals.buckets_json(),
            )
        )
    session.commit()


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_the_pages_are_linked_and_keep_to_the_content_security_policy(
    client: Any, make_user: MakeUser, sign_in: Callable[[User], None], backups: Path, role: str
) -> None:
    sign_in(make_user(role=role))
    for page in PAGES:
        as_a_new_request()
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert f'href="{page}" aria-current="page"' in html
        assert "style=" not in html and "<script" not in html
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_health_shows_the_last_hour_minute_by_minute_and_the_slowest_statements(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    sign_in: Callable[[User], None],
) -> None:
    sign_in(make_user(role="editor"))
    empty = client.get("/admin/health").get_data(as_text=True)
    assert "No samples for the last hour yet" in empty
    assert "Since the app servers started" in empty
    assert "No slow statements in the last 24 hours." in empty
    add_samples(session, 5)
    session.add_all(
        [
            SlowStatement(
                seen_at=utcnow() - timedelta(hours=1),
                duration_ms=812.5,
                statement="SELECT count(*) FROM articles",
                endpoint="web.home",
            ),
            SlowStatement(
                seen_at=utcnow() - timedelta(days=2),
                duration_ms=9999,
                statement="SELECT too_old",
                endpoint=None,
            ),
        ]
    )
    session.commit()
    as_a_new_request()
    html = client.get("/admin/health").get_data(as_text=True)
    assert "Last hour (since" in html
    assert "histogram_quantile" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "Requests per minute, last hour: 120 in all, at most 30" in html
    # Every minute's figures are in the table too, p95 within the 25-50 ms bucket.
    assert html.count('<td class="number">30</td>') == 4
    assert "48.8 ms" in html
    assert "812.5 ms" in html and "SELECT count(*) FROM articles" in html
    assert "web.home" in html and "too_old" not in html
    assert "connections in use" in html


def test_database_shows_sizes_activity_migrations_backups_and_replicas(
    client: Any,
    make_user: MakeUser,
    sign_in: Callable[[User], None],
    backups: Path,
    backend: Backend,
) -> None:
    sign_in(make_user(role="admin"))
    html = client.get("/admin/database").get_data(as_text=True)
    assert "<code>articles</code>" in html and "<code>ix_users_created_at</code>" in html
    assert '<span class="badge">current</span>' in html
    assert "No replicas are configured" in html
    assert f"There is no backup in {backups}." in html
    product = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}[backend.name]
    assert f"<dd>{product} " in html
    if backend.name == "sqlite":
        assert "Write-ahead log" in html and "inkwell db maintain" in html
    else:
        assert "Now running" in html and "SQLite has no server" not in html

    old = backups / "inkwell-20260101T000000000000Z.sql"
    old.write_bytes(b"-- MariaDB dump")
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    os.utime(old, (two_days_ago, two_days_ago))
    as_a_new_request()
    html = client.get("/admin/database").get_data(as_text=True)
    assert "The newest backup is more than a day old." in html
    assert "inkwell-20260101T000000000000Z.sql" in html and "2 days ago" in html

    (backups / "inkwell-20260103T000000000000Z.sql").write_bytes(b"-- MariaDB dump")
    as_a_new_request()
    html = client.get("/admin/database").get_data(as_text=True)
    assert 'role="alert"' not in html and "15 bytes" in html


def test_pages_run_a_fixed_number_of_statements(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    make_article: MakeArticle,
    sign_in: Callable[[User], None],
    count_queries: Callable[..., Any],
    backups: Path,
    backend: Backend,
) -> None:
    sign_in(make_user("root", role="admin"))

    def costs(minutes: int) -> dict[str, int]:
        make_article(make_user(), tags=("t",))
        add_samples(session, minutes)
        session.add(
            SlowStatement(seen_at=utcnow(), duration_ms=300, statement="SELECT 1", endpoint=None)
        )
        session.commit()
        result = {}
        for page in PAGES:
            as_a_new_request()
            with count_queries() as statements:
                assert client.get(page).status_code == 200
            result[page.removeprefix("/admin/")] = statements()
        return result

    few = costs(1)
    assert costs(30) == few
    # The signed-in user (with their session) is one statement; the Health page reads
    # the samples and the slow statements; the Database page the migration and the
    # catalog's sizes (tables and indexes apart on MariaDB) and, on the servers, what runs.
    database = {"sqlite": 3, "postgresql": 4, "mysql": 5}[backend.name]
    assert few == {"health": 3, "database": database}
