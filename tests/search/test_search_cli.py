"""`inkwell search check` names what differs and exits non-zero; `inkwell search
reindex` repairs it, and on PostgreSQL rebuilds the index in a new language."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell import create_app
from inkwell.extensions import db
from inkwell.models import Article, SearchDocument
from tests.conftest import environ_for
from tests.databases import Backend
from tests.search.conftest import Writer, committed, find, titles


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["search", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def url_of(app: Flask) -> str:
    return sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=False)


def ids(app: Flask, *titles_: str) -> list[int]:
    with committed(app):
        return list(
            db.session.scalars(
                sa.select(Article.id).where(Article.title.in_(titles_)).order_by(Article.id)
            )
        )


def test_check_passes_then_names_each_difference_and_reindex_repairs(
    writer: Writer, search_app: Flask
) -> None:
    ada = writer.author("ada")
    for title in ["Alpha", "Beta", "Gamma"]:
        writer.article(ada, title, f"Body of {title.lower()}.")
    writer.article(ada, "Delta", "A draft.", publish=False)
    code, output = run(search_app, "check")
    assert (code, output.splitlines()[-1]) == (0, "The search index matches the articles.")

    alpha, beta, delta = ids(search_app, "Alpha", "Beta", "Delta")
    with committed(search_app):
        db.session.execute(sa.delete(SearchDocument).where(SearchDocument.article_id == alpha))
        db.session.execute(
            sa.update(SearchDocument).where(SearchDocument.article_id == beta).values(title="Bet")
        )
        db.session.execute(
            sa.insert(SearchDocument).values(
                article_id=delta, title="Delta", tags="", description="", body="A draft."
            )
        )
    code, output = run(search_app, "check")
    assert code == 1
    assert f"published but not indexed: 1 (articles {alpha})" in output
    assert f"indexed but not published: 1 (articles {delta})" in output
    assert f"indexed with other words than now: 1 (articles {beta})" in output
    assert "`inkwell search reindex` rebuilds it" in output
    assert "Traceback" not in output
    assert find(search_app, "alpha").total == 0

    code, output = run(search_app, "reindex", "--batch-size", "2")
    assert code == 0, output
    assert "Indexed 4 articles in" in output and "rows/s" in output
    assert run(search_app, "check")[0] == 0
    assert titles(find(search_app, "alpha")) == ["Alpha"]
    assert find(search_app, "draft").total == 0


@pytest.mark.backends("postgresql")  # only PostgreSQL's index has a language of its own
def test_a_new_language_is_reported_and_reindexed_on_postgresql(
    writer: Writer, search_app: Flask, backend: Backend, tmp_path: Path
) -> None:
    writer.article(writer.author("ada"), "Runner", "She runs every day.")
    assert titles(find(search_app, "running")) == ["Runner"]  # English stems both to "run"
    simple = create_app(environ_for(url_of(search_app), tmp_path, INKWELL_SEARCH_LANGUAGE="simple"))
    try:
        code, output = run(simple, "check")
        assert code == 1
        assert "the index is in 'english', the setting says 'simple'" in output
        code, output = run(simple, "reindex")
        assert code == 0, output
        assert "built the document column and its index in 'simple'" in output
        assert run(simple, "check")[0] == 0
        assert find(simple, "running").total == 0  # no stemming now
        assert titles(find(simple, "runs")) == ["Runner"]
    finally:
        code, output = run(search_app, "reindex")  # back to English for the other tests
        assert code == 0, output
        with simple.app_context():
            db.engine.dispose()


@pytest.mark.backends("postgresql")
def test_an_unknown_language_is_reported(
    search_app: Flask, backend: Backend, tmp_path: Path
) -> None:
    klingon = create_app(
        environ_for(
            url_of(search_app),
            tmp_path,
            INKWELL_SEARCH_LANGUAGE="klingon",
        )
    )
    try:
        code, output = run(klingon, "check")
        assert code == 1
        assert "INKWELL_SEARCH_LANGUAGE='klingon' is not a text search configuration" in output
    finally:
        with klingon.app_context():
            db.engine.dispose()


def test_maintenance_keeps_every_word_findable(
    writer: Writer, search_app: Flask, backend: Backend
) -> None:
    """`inkwell db maintain` rebuilds MariaDB's tables, FULLTEXT indexes included:
    they must come back without a stop-word list, as the migration built them."""
    writer.article(writer.author("ada"), "The Who", "Songs by the band.")
    result = search_app.test_cli_runner().invoke(args=["db", "maintain"])
    assert result.exit_code == 0, result.output
    writer.article(writer.author("grace"), "Who else", "Another.")
    # PostgreSQL's English leaves out "who", a stop word; the others index it.
    assert find(search_app, "who").total == (0 if backend.name == "postgresql" else 2)
    assert run(search_app, "check")[0] == 0


def test_a_restored_backup_searches_as_the_original(
    writer: Writer, search_app: Flask, backend: Backend, tmp_path: Path
) -> None:
    writer.article(writer.author("ada"), "The Who", "Songs by the band.")
    runner = search_app.test_cli_runner()
    backup = tmp_path / "backup"
    result = runner.invoke(args=["backup", "--output", str(backup)])
    assert result.exit_code == 0, result.output
    (made,) = [path for path in backup.iterdir() if path.is_file()]
    writer.article(writer.author("grace"), "Who else", "Written after the backup.")
    result = runner.invoke(args=["restore", str(made), "--force"])
    assert result.exit_code == 0, result.output
    assert titles(find(search_app, "band")) == ["The Who"]
    assert find(search_app, "else").total == 0
    # PostgreSQL's English leaves out "who", a stop word; the others index it.
    assert find(search_app, "who").total == (0 if backend.name == "postgresql" else 1)
    assert run(search_app, "check")[0] == 0
