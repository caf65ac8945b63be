"""Query plans of the statements the lists, the tag page, the feed, an article and a search run.

The statements are the services' own, built once per shape with bound
parameters (`inkwell.services.listing`), here given values and printed with
EXPLAIN on PostgreSQL and MariaDB and EXPLAIN QUERY PLAN on SQLite. Each
offset page carries its total (a kept count, or a count for the feed and an
author) and its rows' tags in the same statement.

A search costs what its term matches, which no estimate shows, so each term
given with `--search` has its two statements (`inkwell.services.search`: the
page, by relevance and newest first, and the count) run with EXPLAIN
(ANALYZE, BUFFERS) on PostgreSQL and ANALYZE on MariaDB:

    DATABASE_URL=... .venv/bin/python bench/plans.py [--search WORD ...]
"""

from __future__ import annotations

import argparse
from typing import Any

import sqlalchemy as sa
from flask import current_app

from inkwell import create_app, fulltext
from inkwell.dialects import family
from inkwell.extensions import db
from inkwell.models import Article, Follow, User, utcnow
from inkwell.models.identity import identity_key
from inkwell.queries import articles as q
from inkwell.search_terms import parse
from inkwell.services.articles import _article_statement
from inkwell.services.listing import _browse_statement, _page_statement, _Shape
from inkwell.services.search import Search, _page, _summary

ANALYZED = {"postgresql": "EXPLAIN (ANALYZE, BUFFERS) ", "mysql": "ANALYZE "}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--search", action="append", default=[], metavar="WORD", help="a term to search for"
    )
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        viewer = db.session.scalar(sa.select(Follow.follower_id).limit(1))
        tag = db.session.scalar(sa.select(sa.literal("python")))
        slug = db.session.scalar(sa.select(Article.slug).where(q.published()).limit(1))
        username = db.session.scalar(sa.select(User.username).limit(1))
        # A page in the middle of the archive, for the keyset plan.
        middle = db.session.scalar(
            sa.select(Article.published_at).where(q.published()).order_by(Article.id).limit(1)
        )
        page = {"viewer": viewer, "limit": 20, "offset": 0}
        signed_in = _Shape(signed_in=True)
        statements: dict[str, Any] = {
            "list (page)": _page_statement(signed_in).params(page),
            "list (page at offset 100,000)": _page_statement(signed_in).params(
                page | {"offset": 100_000}
            ),
            "tag (page)": _page_statement(_Shape(signed_in=True, tag=True)).params(
                page | {"tag": tag}
            ),
            "tag (keyset page)": _browse_statement(
                _Shape(signed_in=True, tag=True, keyset=True)
            ).params(page | {"tag": tag, "before_at": middle or utcnow(), "before_id": 0}),
            "author (page)": _page_statement(_Shape(signed_in=True, author=True)).params(
                page | {"author": identity_key(username or "")}
            ),
            "feed (page)": _page_statement(_Shape(signed_in=True, feed=True)).params(
                page | {"follower": viewer}
            ),
            "article": _article_statement(signed_in=True, with_html=True).params(
                viewer=viewer, slug=slug
            ),
            "tags in use": q.tags_in_use(),
        }
        searches = {
            name: statement for text in args.search for name, statement in search_statements(text)
        }
        dialect = db.engine.dialect.name
        prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        with db.engine.connect() as connection:
            for name, statement in (statements | searches).items():
                sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
                explain = ANALYZED.get(family(dialect), prefix) if name in searches else prefix
                rows = connection.exec_driver_sql(explain + sql).all()
                print(f"\n### {name}\n```")
                for row in rows:
                    print(
                        " | ".join(str(part) for part in (row[-1:] if dialect == "sqlite" else row))
                    )
                print("```")


def search_statements(text: str) -> list[tuple[str, Any]]:
    """The statements an anonymous search for `text` runs through the API: a page of
    20 by relevance or newest first, and the count of all matches."""
    terms = parse(text)
    matching = fulltext.matching(
        db.engine.dialect, terms, current_app.config["INKWELL_SEARCH_LANGUAGE"]
    )
    relevance, newest = Search(text), Search(text, order="newest")
    return [
        (f"search {text!r} (page)", _page(None, relevance, matching)),
        (f"search {text!r} (page, newest)", _page(None, newest, matching)),
        (f"search {text!r} (count)", _summary(relevance, matching, facets=False)),
    ]


if __name__ == "__main__":
    main()
