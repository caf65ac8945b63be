"""One view per reader, article and hour, counted off the request path and written in
batches: on every backend, through the site and the API, on real commits."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pymysql
import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.dialects import is_lock_conflict
from inkwell.extensions import db
from inkwell.models import RecentView
from inkwell.models.base import ANALYTICS
from inkwell.scaling.views import write
from inkwell.services import views
from inkwell.services.views import Sighting
from inkwell.transactions import unit_of_work
from tests.views.conftest import Site, analytics_rows, signed_in_page

READERS = 24


def test_each_reader_counts_once_an_hour_through_the_site_and_the_api(site: Site) -> None:
    _, author = site.author("hourly")
    article_id, slug = site.article(author, "Read by a few")
    for reader in ("Firefox", "Chromium", "Safari"):
        for _ in range(3):
            assert site.read(f"/article/{slug}", reader).status_code == 200
            assert site.read(f"/api/articles/{slug}", reader).status_code == 200
    assert site.views(article_id) == 0  # nothing is written on the request path
    assert site.flush() == 3
    assert site.views(article_id) == 3
    assert site.read(f"/article/{slug}", "Firefox").status_code == 200
    assert site.flush() == 0
    assert site.views(article_id) == 3


def test_a_reader_counts_again_the_next_hour_and_each_article_apart(site: Site) -> None:
    _, author = site.author("clockwork")
    first, _ = site.article(author, "First of two")
    second, _ = site.article(author, "Second of two")
    ten = datetime.now(UTC).replace(minute=10, second=0, microsecond=0) - timedelta(hours=2)
    with site.app.app_context():
        for moment in (ten, ten + timedelta(minutes=40), ten + timedelta(minutes=55)):
            site.counter.see(first, "203.0.113.9\nFirefox", now=moment)
        site.counter.see(second, "203.0.113.9\nFirefox", now=ten)
    assert site.flush() == 3  # 10:10 and 10:50 are one hour, 11:05 the next; another article
    assert site.views(first) == 2
    assert site.views(second) == 1


def test_concurrent_readers_end_as_as_many_views_while_batches_are_written(site: Site) -> None:
    """Readers on threads of their own, while another thread flushes as fast as it can:
    no view is lost between a batch taken and the next, none counted twice."""
    _, author = site.author("popular")
    article_id, slug = site.article(author, "Read by many at once")
    start = threading.Barrier(READERS + 1)
    reading = threading.Event()
    failures: list[int] = []

    def read(number: int) -> None:
        start.wait()
        for path in (f"/article/{slug}", f"/api/articles/{slug}", f"/article/{slug}"):
            status = site.read(path, f"reader-{number}").status_code
            if status != 200:
                failures.append(status)

    def flush_meanwhile() -> None:
        start.wait()
        while reading.is_set():
            site.flush()

    readers = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    flusher = threading.Thread(target=flush_meanwhile)
    reading.set()
    for thread in (*readers, flusher):
        thread.start()
    for thread in readers:
        thread.join()
    reading.clear()
    flusher.join()
    site.flush()
    assert failures == []
    assert site.views(article_id) == READERS


def test_authors_own_reads_are_not_counted_and_only_they_see_the_figure(site: Site) -> None:
    _, author = site.author("proud")
    _, other = site.author("curious")
    article_id, slug = site.article(author, "Mine to count")
    assert site.app.test_client().get(f"/api/articles/{slug}", headers=author).status_code == 200
    assert site.app.test_client().get(f"/api/articles/{slug}", headers=other).status_code == 200
    site.read(f"/article/{slug}", "Lynx")
    site.flush()
    assert site.views(article_id) == 2  # the other member and the signed-out reader
    own = signed_in_page(site, "proud", f"/article/{slug}")
    assert '<span class="views"' in own and "2 views" in own
    assert '<span class="views"' not in signed_in_page(site, "curious", f"/article/{slug}")
    assert '<span class="views"' not in site.read(f"/article/{slug}", "Lynx").get_data(as_text=True)


def test_the_dashboard_shows_views_per_day_and_the_most_read(site: Site) -> None:
    _, author = site.author("bestseller")
    site.author("overseer", role="admin")
    most_id, most = site.article(author, "Read the most")
    _, less = site.article(author, "Read a little")
    for number in range(3):
        site.read(f"/article/{most}", f"reader-{number}")
    site.read(f"/article/{less}", "reader-0")
    site.flush()
    page = signed_in_page(site, "overseer", "/admin/views")
    today = datetime.now(UTC).date().isoformat()
    assert f'<td>{today}</td><td class="number">{_views_on(site, today)}</td>' in page
    ranked = page.index("Read the most"), page.index("Read a little")
    assert ranked[0] < ranked[1]
    assert f'<td class="number">{site.views(most_id)}</td>' in page
    assert signed_in_page(site, "overseer", "/admin/views?days=365").count("<tr><td>") >= 365


def _views_on(site: Site, day: str) -> int:
    """Every article's views on `day` (ISO), as stored: (article_id, day, views) rows."""
    rows = analytics_rows(site.app, "article_views")
    return sum(int(views) for _, stored, views in rows if str(stored)[:10] == day)


def test_a_kept_page_and_a_304_count_like_a_fresh_page(site: Site) -> None:
    _, author = site.author("cached")
    article_id, slug = site.article(author, "Kept for readers")
    first = site.read(f"/article/{slug}", "first")
    assert first.status_code == 200 and first.headers["ETag"]
    kept = site.read(f"/article/{slug}", "second")
    assert kept.status_code == 200
    revalidated = site.read(f"/article/{slug}", "third", **{"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304
    site.flush()
    assert site.views(article_id) == 3


def test_missing_articles_and_other_methods_count_nothing(site: Site) -> None:
    _, author = site.author("quiet")
    article_id, slug = site.article(author, "Seldom read")
    assert site.read("/article/no-such-article", "ghost").status_code == 404
    assert site.app.test_client().head(f"/article/{slug}").status_code == 200
    assert site.flush() == 0
    assert site.views(article_id) == 0


def test_the_address_is_never_stored_and_a_finished_days_key_is_deleted(site: Site) -> None:
    _, author = site.author("private")
    article_id, slug = site.article(author, "Read in private")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    with site.app.app_context():
        with unit_of_work():
            db.session.execute(
                sa.text("INSERT INTO reader_keys (day, secret) VALUES (:day, :secret)"),
                {"day": yesterday, "secret": "ab" * 32},
                bind_arguments={"bind": db.engines[ANALYTICS]},
            )
        today_hash = site.counter.reader("198.51.100.23\nFirefox", datetime.now(UTC).date())
        yesterday_hash = site.counter.reader("198.51.100.23\nFirefox", yesterday)
    assert today_hash != yesterday_hash  # the key rotates: days cannot be linked
    site.app.test_client().get(
        f"/article/{slug}",
        headers={"User-Agent": "Firefox"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    site.flush()
    stored = repr(
        analytics_rows(site.app, "recent_views") + analytics_rows(site.app, "reader_keys")
    )
    assert "198.51.100.23" not in stored and "Firefox" not in stored
    assert (today_hash[:32]) in stored
    assert [day for day, _ in analytics_rows(site.app, "reader_keys")] != [yesterday]
    assert len(analytics_rows(site.app, "reader_keys")) == 1
    assert site.views(article_id) == 1


def test_a_batch_written_twice_counts_once_and_a_stale_one_is_dropped(
    counting_app: Flask, site: Site
) -> None:
    _, author = site.author("twice")
    article_id, _ = site.article(author, "Counted once")
    now = datetime.now(UTC)
    hour = views.hour_of(now)
    batch = [Sighting(hour, article_id, f"{n:032x}") for n in range(5)]
    stale = [Sighting(hour - views.KEPT - timedelta(hours=1), article_id, "f" * 32)]
    with counting_app.app_context():
        for _ in range(2):
            with unit_of_work():
                views.record(batch + stale, now)
        db.session.remove()
    assert site.views(article_id) == 5


def test_deleting_an_article_deletes_its_views_and_those_still_waiting(site: Site) -> None:
    _, author = site.author("tidy")
    article_id, slug = site.article(author, "Soon gone")
    site.read(f"/article/{slug}", "reader")
    site.flush()
    assert site.views(article_id) == 1
    site.read(f"/article/{slug}", "another")  # waits for the next flush
    client = site.app.test_client()
    assert client.delete(f"/api/articles/{slug}", headers=author).status_code == 204
    assert site.views(article_id) == 0
    assert site.flush() == 0
    assert site.views(article_id) == 0


def test_maintenance_forgets_hashes_and_keys_past_keeping(site: Site) -> None:
    _, author = site.author("forgetful")
    article_id, _ = site.article(author, "Read long ago")
    now = datetime.now(UTC)
    old = views.hour_of(now) - views.KEPT - timedelta(hours=2)
    with site.app.app_context():
        with unit_of_work():
            db.session.execute(
                sa.text("INSERT INTO reader_keys (day, secret) VALUES (:day, :secret)"),
                {"day": old.date(), "secret": "cd" * 32},
                bind_arguments={"bind": db.engines[ANALYTICS]},
            )
            db.session.add(RecentView(hour=old, article_id=article_id, reader="e" * 32))
        db.session.remove()
    result = site.app.test_cli_runner().invoke(args=["db", "maintain"])
    assert result.exit_code == 0, result.output
    assert "delete readers' hashes older than a day" in result.output
    assert [row for row in analytics_rows(site.app, "recent_views") if "e" * 32 in row] == []
    assert [row for row in analytics_rows(site.app, "reader_keys") if "cd" * 32 in row] == []


def test_a_batch_that_loses_a_deadlock_is_written_again(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, author = site.author("persistent")
    article_id, _ = site.article(author, "Written at the second go")
    batch = [Sighting(views.hour_of(datetime.now(UTC)), article_id, "a" * 32)]
    record = views.record
    tries: list[int] = []

    def lose_once(*args: object, **kwargs: object) -> int:
        tries.append(1)
        if len(tries) == 1:
            deadlock = pymysql.err.OperationalError(1213, "Deadlock found")
            raise sa.exc.OperationalError("INSERT", None, deadlock)
        return record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "record", lose_once)
    with site.app.app_context():
        assert write(batch) == 1
    assert len(tries) == 2
    assert site.views(article_id) == 1


def test_views_written_when_the_database_comes_back(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flush that fails keeps its batch for the next."""
    _, author = site.author("patient")
    article_id, slug = site.article(author, "Waits for the database")
    site.read(f"/article/{slug}", "reader")
    record = views.record

    def refuse(*_args: object, **_kwargs: object) -> int:
        raise sa.exc.OperationalError("INSERT", None, Exception("the database went away"))

    monkeypatch.setattr(views, "record", refuse)
    assert site.flush() == 0
    monkeypatch.setattr(views, "record", record)
    assert site.flush() == 1
    assert site.views(article_id) == 1


def test_batches_written_at_once_all_count(counting_app: Flask, site: Site) -> None:
    """Workers stopping together write their batches at once: on MariaDB two such
    inserts may deadlock, and the loser is written again, not lost."""
    _, author = site.author("simultaneous")
    article_id, _ = site.article(author, "Written by all at once")
    hour = views.hour_of(datetime.now(UTC))
    writers, rounds, each = 4, 5, 40
    failures: list[BaseException] = []

    def write_batch(number: int, round_: int, start: threading.Barrier) -> None:
        batch = [
            Sighting(hour, article_id, f"{number:08x}{round_:08x}{n:016x}") for n in range(each)
        ]
        start.wait()
        try:
            with counting_app.app_context():
                write(batch)
        except BaseException as error:
            failures.append(error)

    for round_ in range(rounds):
        start = threading.Barrier(writers)
        threads = [
            threading.Thread(target=write_batch, args=(n, round_, start)) for n in range(writers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert site.views(article_id) == writers * rounds * each


@pytest.mark.parametrize(
    "cause",
    [
        pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock"),
        pymysql.err.OperationalError(1205, "Lock wait timeout exceeded"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
        sqlite3.OperationalError("database is locked"),
    ],
)
def test_a_lost_lock_conflict_is_tried_again(cause: Exception) -> None:
    assert is_lock_conflict(sa.exc.OperationalError("INSERT", None, cause))


@pytest.mark.parametrize(
    "cause",
    [
        pymysql.err.OperationalError(2003, "Can't connect to MySQL server"),
        psycopg.errors.UndefinedTable("relation does not exist"),
        sqlite3.OperationalError("no such table: recent_views"),
    ],
)
def test_other_failures_are_not_lock_conflicts(cause: Exception) -> None:
    assert not is_lock_conflict(sa.exc.OperationalError("INSERT", None, cause))
