"""The index changes in the same transaction as the article: a committed article
is found by the next search, an unpublished or deleted one never again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db
from inkwell.models import Article, SearchDocument, User
from inkwell.services.articles import ArticleEdit, delete_article, publish_article, update_article
from inkwell.services.search_index import missing_and_extra, stale_batch
from tests.search.conftest import Writer, committed, find, titles


def edit(
    app: Flask, author_id: int, slug: str, change: ArticleEdit, *, publish: bool = False
) -> None:
    with committed(app):
        author = db.session.get(User, author_id)
        assert author is not None
        update_article(author, slug, change, publish=publish)


def index_agrees(app: Flask) -> None:
    with committed(app):
        assert missing_and_extra() == []
        assert stale_batch(0, 1000)[0] == []


def test_a_published_article_is_found_once_committed(writer: Writer, search_app: Flask) -> None:
    ada = writer.author("ada")
    writer.article(ada, "Zeppelins at dawn", "Airships over **Friedrichshafen**.", tags=("flight",))
    assert titles(find(search_app, "friedrichshafen")) == ["Zeppelins at dawn"]
    assert titles(find(search_app, "flight")) == ["Zeppelins at dawn"]
    index_agrees(search_app)


def test_markup_is_not_indexed_only_the_words(writer: Writer, search_app: Flask) -> None:
    ada = writer.author("ada")
    writer.article(
        ada, "Links", 'See [the docs](https://example.com/strong) and <em class="x">this</em>.'
    )
    assert find(search_app, "strong").total == 0  # a URL's path, not a word shown
    assert find(search_app, "class").total == 0
    assert find(search_app, "docs").total == 1


def test_an_edit_changes_what_is_found(writer: Writer, search_app: Flask) -> None:
    ada = writer.author("ada")
    slug = writer.article(ada, "Old title", "Bananas.", tags=("fruit",))
    edit(
        search_app,
        ada,
        slug,
        ArticleEdit(title="Fresh headline", body="Mangoes.", tags=["tropics"]),
    )
    assert find(search_app, "bananas").total == 0
    assert find(search_app, "fruit").total == 0
    assert titles(find(search_app, "mangoes")) == ["Fresh headline"]
    assert titles(find(search_app, "tropics")) == ["Fresh headline"]
    assert titles(find(search_app, "headline")) == ["Fresh headline"]
    index_agrees(search_app)


def test_a_draft_is_found_only_once_published(writer: Writer, search_app: Flask) -> None:
    ada = writer.author("ada")
    slug = writer.article(ada, "Quietly drafted", "Armadillos.", publish=False)
    edit(search_app, ada, slug, ArticleEdit(body="Armadillos and pangolins."))
    assert find(search_app, "armadillos").total == 0
    with committed(search_app):
        author = db.session.get(User, ada)
        assert author is not None
        publish_article(author, slug)
    assert titles(find(search_app, "pangolins")) == ["Quietly drafted"]
    index_agrees(search_app)


def test_a_deleted_article_is_never_found(writer: Writer, search_app: Flask) -> None:
    ada = writer.author("ada")
    slug = writer.article(ada, "Ephemeral", "Mayflies.")
    with committed(search_app):
        author = db.session.get(User, ada)
        assert author is not None
        delete_article(author, slug)
    assert find(search_app, "mayflies").total == 0
    index_agrees(search_app)


def test_an_account_deleted_takes_its_articles_out_of_search(
    writer: Writer, search_app: Flask
) -> None:
    ada = writer.author("ada")
    writer.article(ada, "Gone with the account", "Narwhals.")
    with committed(search_app):
        db.session.execute(sa.delete(User).where(User.id == ada))
    assert find(search_app, "narwhals").total == 0
    with committed(search_app):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument)) == 0


def test_a_failed_write_leaves_the_index_as_it_was(writer: Writer, search_app: Flask) -> None:
    ada = writer.author("ada")
    slug = writer.article(ada, "Steady", "Tortoises.")
    with pytest.raises(RuntimeError), committed(search_app):
        author = db.session.get(User, ada)
        assert author is not None
        update_article(author, slug, ArticleEdit(body="Hares."))
        raise RuntimeError("the request failed after the edit")
    assert titles(find(search_app, "tortoises")) == ["Steady"]
    assert find(search_app, "hares").total == 0


def test_the_check_finds_rows_that_drifted(writer: Writer, search_app: Flask) -> None:
    ada = writer.author("ada")
    writer.article(ada, "Kept", "Otters.")
    writer.article(ada, "Tampered", "Beavers.")
    with committed(search_app):
        tampered = db.session.scalar(sa.select(Article.id).where(Article.title == "Tampered"))
        db.session.execute(
            sa.update(SearchDocument)
            .where(SearchDocument.article_id == tampered)
            .values(body="something else")
        )
    with committed(search_app):
        assert stale_batch(0, 1000)[0] == [tampered]


def test_a_snippet_quotes_the_description_where_only_it_matched(
    writer: Writer, search_app: Flask
) -> None:
    ada = writer.author("ada")
    writer.article(
        ada, "Rivers", "Nothing about that here.", description="Otters hold hands while asleep."
    )
    (hit,) = find(search_app, "otters").hits
    assert "<mark>Otters</mark> hold hands" in hit.snippet
    (hit,) = find(search_app, "rivers").hits  # the title matched: the body is quoted
    assert hit.snippet == "Nothing about that here."
