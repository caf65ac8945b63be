"""Behaviour that must hold the same way on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.database import unit_of_work
from inkwell.extensions import db
from inkwell.models import Article, Tag, User
from inkwell.services import accounts
from inkwell.services.accounts import register
from inkwell.services.errors import Conflict


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
