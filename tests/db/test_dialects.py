"""Behaviour that must hold the same way on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell import dialects
from inkwell.extensions import db
from inkwell.models import Article, Tag, User
from inkwell.queries import articles as q
from inkwell.services import accounts, totals
from inkwell.services.accounts import UNIQUE_COLUMNS, register
from inkwell.services.articles import (
    ArticleDraft,
    ArticleEdit,
    create_article,
    delete_article,
    publish_article,
    update_article,
)
from inkwell.services.errors import Conflict
from inkwell.transactions import unit_of_work


def test_timestamps_round_trip_aware_in_utc_with_microseconds(
    make_article: Callable[..., Article], session: sa.orm.Session
) -> None:
    article = make_article()
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    article.published_at = moment
    session.flush()
    session.expunge_all()
    loaded = session.scalar(sa.select(Article).where(Article.id == article.id))
    assert loaded is not None
    assert loaded.published_at == moment
    assert loaded.published_at.tzinfo is UTC
    assert loaded.created_at.tzinfo is UTC


def test_tag_names_compare_with_case(
    make_article: Callable[..., Article], session: sa.orm.Session
) -> None:
    make_article(tags=("Python", "python"))
    assert sorted(session.scalars(sa.select(Tag.name))) == ["Python", "python"]


def test_byte_length_counts_utf8_bytes(
    make_article: Callable[..., Article], session: sa.orm.Session
) -> None:
    article = make_article(body="é🎉a")
    length = session.scalar(
        sa.select(dialects.byte_length(Article.body)).where(Article.id == article.id)
    )
    assert length == len("é🎉a".encode()) == 7


def test_name_list_carries_any_names_sorted_and_none_as_empty(
    make_article: Callable[..., Article], session: sa.orm.Session
) -> None:
    names = ["c++", "C#", "\u05e9\u05dc\u05d5\u05dd", "a b", "Zebra", "émigré", "日本"]
    tagged, bare = make_article(tags=names), make_article()
    names = [tag.name for tag in tagged.tags]
    query = sa.select(Article.id, q.tag_list()).where(Article.id.in_([tagged.id, bare.id]))
    lists = {article_id: tags for article_id, tags in session.execute(query)}
    assert lists == {tagged.id: sorted(names), bare.id: []}


def test_concurrent_registrations_cannot_both_succeed(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests race past the friendly check; the database lets only one in."""
    monkeypatch.setattr(accounts, "_ensure_available", lambda **_kwargs: None)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(email: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                with unit_of_work():
                    register("racer", email, "long-enough")
                outcomes.append("created")
            except Conflict as err:
                outcomes.append(f"conflict:{err.field}")

    threads = [threading.Thread(target=attempt, args=(f"r{n}@example.com",)) for n in (1, 2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["conflict:username", "created"]
    finally:
        with app.app_context():
            with unit_of_work():
                db.session.execute(sa.delete(User).where(User.username_key == "racer"))
            db.engine.dispose()


def test_concurrent_writers_keep_the_totals_exact_without_deadlocks(app: Flask) -> None:
    """Writers publishing, retagging and deleting articles that share tags, all at once."""
    writers = 4
    with app.app_context(), unit_of_work():
        ids = [
            register(f"busy{n}", f"busy{n}@example.com", "long-enough").id for n in range(writers)
        ]
    barrier = threading.Barrier(writers)
    errors: list[str] = []

    def write(user_id: int) -> None:
        # Each unit of work below declares that it writes, so SQLite takes its
        # write lock up front as requests that write do.
        with app.app_context():
            try:
                user = db.session.get_one(User, user_id)
                db.session.commit()  # SQLite: let go of the write lock before waiting
                barrier.wait(timeout=30)
                for number in range(5):
                    title = f"Busy {user_id} {number}"
                    with unit_of_work():
                        kept = create_article(user, ArticleDraft(title, "d", "b", ("shared", "x")))
                        slug = kept.article.slug
                    with unit_of_work():
                        update_article(user, slug, ArticleEdit(tags=["shared", "y"]))
                    with unit_of_work():
                        draft = ArticleDraft(f"{title} draft", "d", "b", ("y", "shared"))
                        later = create_article(user, draft, publish=False).article.slug
                    with unit_of_work():
                        publish_article(user, later)
                    with unit_of_work():
                        delete_article(user, slug)
            except Exception as err:
                errors.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write, args=(user_id,)) for user_id in ids]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        with app.app_context():
            published = sa.select(sa.func.count()).select_from(Article).where(q.published())
            assert totals.published_total() == db.session.scalar(published) == writers * 5
            for name, expected in {"shared": 20, "x": 0, "y": 20}.items():
                assert totals.tag_total(name) == db.session.scalar(published.where(q.tagged(name)))
                assert totals.tag_total(name) == expected
    finally:
        with app.app_context():
            with unit_of_work():
                db.session.execute(sa.delete(User).where(User.id.in_(ids)))
                db.session.execute(sa.delete(Tag).where(Tag.name.in_(["shared", "x", "y"])))
                totals.recount()
            db.engine.dispose()


@pytest.mark.backends("postgresql", "mysql")  # SQLite has no isolation levels to choose
def test_server_connections_read_committed_rows(app: Flask) -> None:
    """A request that loses a race to insert a row must be able to read the winner's."""
    with app.app_context(), db.engine.connect() as connection:
        assert connection.get_isolation_level() == "READ COMMITTED"


def test_a_unique_violation_names_its_field(
    make_user: Callable[..., User], session: sa.orm.Session
) -> None:
    taken = make_user()
    duplicate = User(username=taken.username.upper(), email="other@example.com", password_hash="x")
    with pytest.raises(sa.exc.IntegrityError) as caught, session.begin_nested():
        session.add(duplicate)
    assert dialects.violated_field(caught.value, "users", UNIQUE_COLUMNS) == "username"
    assert dialects.violated_field(caught.value, "articles", {"slug": "slug"}) is None
    # Reported as the server's own sentence, on one line, on every driver.
    said = dialects.driver_message(caught.value)
    assert "\n" not in said and not said.startswith("(") and "users" in said.lower()


def test_ids_written_explicitly_do_not_collide_with_new_ones(
    make_user: Callable[..., User], session: sa.orm.Session
) -> None:
    explicit = make_user().id + 100
    session.execute(
        sa.insert(User).values(
            id=explicit,
            username="explicit",
            username_key="explicit",
            email="explicit@example.com",
            email_key="explicit@example.com",
            password_hash="x",
        )
    )
    dialects.sync_id_sequences(session.connection(), User)
    assert make_user().id > explicit
