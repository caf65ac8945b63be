"""A suspension and its author's writes at the same moment, on real commits."""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db
from inkwell.models import Article, User
from inkwell.services import totals
from inkwell.services.articles import ArticleDraft, create_article
from inkwell.services.audit import COMMAND_LINE
from inkwell.services.errors import Suspended
from inkwell.services.moderation import suspend_user
from inkwell.transactions import begin_unit, end_unit, unit_of_work
from tests.moderation.conftest import Writer


def test_an_article_written_while_its_author_is_suspended_is_refused_or_withheld(
    search_app: Flask, writer: Writer
) -> None:
    ada = writer.author("ada")
    writer.article(ada, "Before", tags=("sea",))
    outcome: dict[str, Any] = {}

    def write() -> None:
        with search_app.app_context():
            try:
                with unit_of_work():
                    author = db.session.get(User, ada)
                    assert author is not None
                    create_article(author, ArticleDraft("During", "d", "b", ("sea",)))
            except Suspended as refused:
                outcome["refused"] = refused
            finally:
                db.session.remove()

    with search_app.app_context():
        token = begin_unit(writes=True)
        suspend_user(COMMAND_LINE, "ada", "spam")
        racer = threading.Thread(target=write)
        racer.start()
        time.sleep(0.5)
        # The article waits for the suspension: it cannot slip past the withholding.
        assert racer.is_alive()
        end_unit(token, commit=True)
        racer.join(timeout=30)
        db.session.remove()
    assert "refused" in outcome
    with search_app.app_context(), unit_of_work(writes=False):
        titles = db.session.scalars(sa.select(Article.title).where(Article.author_id == ada))
        assert titles.all() == ["Before"]
        assert totals.published_total() == 0
        assert totals.tag_total("sea") == 0
