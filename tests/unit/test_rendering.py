"""Article HTML: rendered and stored when the body is written, never on a plain read."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from inkwell.markdown import RENDERER_VERSION, render_markdown
from inkwell.models import Article, User
from inkwell.models.articles import BODY_MAX
from inkwell.services import rendering
from inkwell.services.articles import ArticleEdit, get_article, update_article
from inkwell.services.rendering import body_html

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]

UNSAFE = (
    "Hello <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
    "[bad](javascript:alert(1)) [good](https://example.com)"
)


def stored(session: sa.orm.Session, article: Article) -> tuple[str, int]:
    """The HTML and renderer version in the article's row, as the database holds them."""
    row = session.execute(
        sa.select(Article.body_html, Article.body_html_version).where(Article.id == article.id)
    ).one()
    return row.body_html, row.body_html_version


def test_writing_an_article_stores_its_sanitised_html(
    make_article: MakeArticle, session: sa.orm.Session, renders: list[str]
) -> None:
    article = make_article(body=UNSAFE)
    assert renders == [UNSAFE]
    html, version = stored(session, article)
    assert version == RENDERER_VERSION
    assert "<script" not in html and "onerror" not in html and 'href="javascript:' not in html
    assert '<a href="https://example.com" rel="nofollow noopener">good</a>' in html


def test_editing_the_body_renders_it_again_and_other_edits_do_not(
    make_article: MakeArticle, session: sa.orm.Session, renders: list[str]
) -> None:
    article = make_article(body="*before*")
    author = article.author
    update_article(author, article.slug, ArticleEdit(title="A new title", body="*before*"))
    assert renders == ["*before*"]  # the creation's only
    update_article(author, article.slug, ArticleEdit(body="**after**"))
    assert renders == ["*before*", "**after**"]
    assert stored(session, article) == ("<p><strong>after</strong></p>\n", RENDERER_VERSION)


def test_an_edit_renders_html_an_older_renderer_stored(
    make_article: MakeArticle, session: sa.orm.Session
) -> None:
    article = make_article(body="same")
    session.execute(
        sa.update(Article).where(Article.id == article.id).values(body_html="", body_html_version=0)
    )
    update_article(article.author, article.slug, ArticleEdit(title="Retitled", body="same"))
    assert stored(session, article) == ("<p>same</p>\n", RENDERER_VERSION)


def test_reading_an_article_renders_nothing_but_a_stale_row(
    make_article: MakeArticle, session: sa.orm.Session, renders: list[str]
) -> None:
    article = make_article(body="# Title")
    renders.clear()
    session.expunge_all()
    view = get_article(None, article.slug, with_html=True)
    assert body_html(view.article) == "<h1>Title</h1>\n" and renders == []
    session.execute(
        sa.update(Article)
        .where(Article.id == article.id)
        .values(body_html="<script>old rules</script>", body_html_version=RENDERER_VERSION - 1)
    )
    session.expunge_all()
    view = get_article(None, article.slug, with_html=True)
    assert body_html(view.article) == "<h1>Title</h1>\n" and renders == ["# Title"]


def test_the_longest_body_and_its_html_are_stored_whole_on_every_database(
    make_article: MakeArticle, session: sa.orm.Session
) -> None:
    # Four bytes a character in utf8mb4: 400 KB, past what MariaDB's TEXT holds.
    body = "🎉" * BODY_MAX
    article = make_article(body=body)
    session.expunge_all()
    assert session.scalar(sa.select(Article.body).where(Article.id == article.id)) == body
    assert stored(session, article) == (render_markdown(body), RENDERER_VERSION)


def test_a_batch_leaves_alone_a_row_edited_while_it_rendered(
    make_article: MakeArticle, session: sa.orm.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = make_article(body="old body")
    session.execute(sa.update(Article).where(Article.id == article.id).values(body_html_version=0))

    def render_while_the_author_edits(text: str) -> str:
        if text == "old body":  # the batch's render; the edit renders its own body
            update_article(article.author, article.slug, ArticleEdit(body="new body"))
        return render_markdown(text)

    monkeypatch.setattr(rendering, "render_markdown", render_while_the_author_edits)
    batch = rendering.render_stale()
    assert [rendered.article_id for rendered in batch] == [article.id]
    assert rendering.store_rendered(batch) == 0
    assert stored(session, article) == ("<p>new body</p>\n", RENDERER_VERSION)
    assert rendering.count_stale() == 0
