"""Writers racing on one article, comment, slug or tag, each in its own transaction."""

from __future__ import annotations

import fcntl
import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db
from inkwell.models import Article, User
from inkwell.queries import articles as q
from inkwell.services import articles as article_service
from inkwell.services import totals
from inkwell.services.accounts import register
from inkwell.services.articles import (
    ArticleDraft,
    ArticleEdit,
    create_article,
    publish_article,
    update_article,
)
from inkwell.transactions import unit_of_work
from tests.transactions.conftest import BUSY_TIMEOUT_MS, database_file
from tests.transactions.test_units_of_work import publish
from tests.transactions.test_units_of_work import register as register_by_api

RACERS = 12


def race(count: int, attempt: Callable[[int], Any]) -> list[Any]:
    """Run `attempt(n)` in `count` threads released together; their results, in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(number: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[number] = attempt(number)
        except Exception as error:  # reported through the results
            results[number] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_only_the_request_that_deleted_an_article_gets_204(
    committing_app: Flask, http: Any, read_back: Callable[..., Any]
) -> None:
    _name, headers = register_by_api(http)
    slug = publish(http, headers, "Deleted once")

    def delete(_number: int) -> int:
        response = committing_app.test_client().delete(f"/api/articles/{slug}", headers=headers)
        return int(response.status_code)

    statuses = Counter(race(RACERS, delete))
    assert statuses == {204: 1, 404: RACERS - 1}
    assert read_back("SELECT count(*) FROM articles WHERE slug = :slug", slug=slug) == 0
    assert http.get("/api/articles?tag=kept").json["articlesCount"] == 0


def test_only_the_request_that_deleted_a_comment_gets_204(committing_app: Flask, http: Any) -> None:
    _name, headers = register_by_api(http)
    slug = publish(http, headers, "Commented once")
    comment = {"comment": {"body": "Soon gone"}}
    created = http.post(f"/api/articles/{slug}/comments", json=comment, headers=headers)
    path = f"/api/articles/{slug}/comments/{created.json['comment']['id']}"

    def delete(_number: int) -> int:
        return int(committing_app.test_client().delete(path, headers=headers).status_code)

    assert Counter(race(RACERS, delete)) == {204: 1, 404: RACERS - 1}


def test_a_retag_waits_for_a_concurrent_publish(
    committing_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One writer reads a draft; another publishes it; the first then retags it.

    The first must decide draft or published from the row as it is when it
    writes, or the tags' kept totals count an article a tag no longer has.
    """
    with committing_app.app_context(), unit_of_work():
        author = register("retagger", "retagger@example.com", "long-enough")
        draft = ArticleDraft("Retagged draft", "d", "b", ("before",))
        slug = create_article(author, draft, publish=False).article.slug
    read, published = threading.Event(), threading.Event()
    found = article_service.find_own_article

    def find_then_let_the_publisher_in(*args: Any, **kwargs: Any) -> Article:
        article = found(*args, **kwargs)
        if threading.current_thread().name == "retag":
            read.set()
            # With the row locked the publisher waits, so this wait times out.
            published.wait(timeout=BUSY_TIMEOUT_MS / 1000 / 2)
        return article

    monkeypatch.setattr(article_service, "find_own_article", find_then_let_the_publisher_in)

    def retag() -> None:
        with committing_app.app_context(), unit_of_work():
            user = db.session.get_one(User, author.id)
            update_article(user, slug, ArticleEdit(tags=["after"]))

    def publisher() -> None:
        with committing_app.app_context():
            with unit_of_work():
                publish_article(db.session.get_one(User, author.id), slug)
            published.set()

    first = threading.Thread(target=retag, name="retag")
    first.start()
    assert read.wait(timeout=30)
    second = threading.Thread(target=publisher, name="publish")
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)
    with committing_app.app_context():
        counted = sa.select(sa.func.count()).select_from(Article).where(q.published())
        for name in ("before", "after"):
            assert totals.tag_total(name) == db.session.scalar(counted.where(q.tagged(name)))
        assert totals.tag_total("after") == 1


@pytest.mark.backends("sqlite")  # only SQLite queues writers in the process
def test_writers_in_threads_take_turns_instead_of_meeting_a_locked_database(
    committing_app: Flask,
) -> None:
    """Many threads publishing at once all succeed, and every total stays exact."""
    with committing_app.app_context(), unit_of_work():
        author_id = register("queued", "queued@example.com", "long-enough").id

    def write(number: int) -> list[str]:
        slugs = []
        with committing_app.app_context():
            author = db.session.get_one(User, author_id)
            db.session.commit()
            for round_ in range(3):
                with unit_of_work():
                    draft = ArticleDraft(f"Queued {number} {round_}", "d", "b", ("queue",))
                    slugs.append(create_article(author, draft).article.slug)
        return slugs

    results = race(RACERS, write)
    assert [r for r in results if isinstance(r, BaseException)] == []
    with committing_app.app_context():
        published = sa.select(sa.func.count()).select_from(Article).where(q.tagged("queue"))
        assert db.session.scalar(published) == totals.tag_total("queue") == RACERS * 3


class Refused(Exception):
    """A unit of work's own failure, after it wrote."""


def fail_after_writing(how: str) -> None:
    """Write in a unit of work that then fails: by an exception of its own, a
    unique violation, a statement the database refuses, or a lost connection."""
    with unit_of_work():
        author = register(f"failing-{how}", f"failing-{how}@example.com", "long-enough")
        if how == "exception":
            raise Refused(how)
        if how == "integrity":
            db.session.add(User(username=author.username, email="x@example.com", password_hash="-"))
            db.session.flush()
        if how == "database":
            db.session.execute(sa.text("UPDATE no_such_table SET x = 1"))
        if how == "invalidated":
            db.session.connection().invalidate()
            raise Refused(how)


@pytest.mark.backends("sqlite")  # only SQLite queues writers in the process
@pytest.mark.parametrize("how", ["exception", "integrity", "database", "invalidated"])
def test_a_failed_write_lets_the_next_writer_in(committing_app: Flask, how: str) -> None:
    """Whatever ends a writing unit, its turn ends with it: a writer in another
    thread then gets in, where a turn kept would leave it to time out."""
    with committing_app.app_context():
        with pytest.raises((Refused, sa.exc.IntegrityError, sa.exc.OperationalError)):
            fail_after_writing(how)
        db.session.remove()

    def write(_number: int) -> str:
        with committing_app.app_context(), unit_of_work():
            return register(f"next-{how}", f"next-{how}@example.com", "long-enough").username

    assert race(1, write) == [f"next-{how}"]


@pytest.mark.backends("sqlite")  # only SQLite queues writers across processes
def test_other_processes_writers_wait_on_the_lock_file_until_a_unit_ends(
    committing_app: Flask,
) -> None:
    lock_file = f"{database_file(committing_app)}-writers"

    def taken() -> bool:
        """Whether another process's writer would find the lock file locked."""
        descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)  # and with it the lock, if it was taken here

    with committing_app.app_context():
        with unit_of_work():
            register("filed", "filed@example.com", "long-enough")
            assert taken()
        assert not taken()
        with pytest.raises(Refused):
            fail_after_writing("exception")
        assert not taken()
