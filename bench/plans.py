"""Query plans of the list, tag, feed and article statements, for BENCHMARKS.md.

The unfiltered and tag lists read their totals from kept counts (one row by
primary key), so the only total shown is the feed's, which still counts.

Runs against the database in DATABASE_URL (seed it first) and prints each
statement's plan: EXPLAIN on PostgreSQL and MariaDB, EXPLAIN QUERY PLAN on SQLite.

    DATABASE_URL=... .venv/bin/python bench/plans.py
"""

from __future__ import annotations

import sqlalchemy as sa

from inkwell import create_app
from inkwell.extensions import db
from inkwell.models import Article, Follow, User, utcnow
from inkwell.queries import articles as q


def main() -> None:
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
        statements = {
            "list (page)": q.article_cards(viewer)
            .where(q.published())
            .order_by(*q.NEWEST_FIRST)
            .limit(20),
            "feed (total)": q.count_matching(q.published(), q.followed_by(viewer or 0)),
            # A tag alone is read from its links, in their order (`listing._tag_alone`).
            "tag (page)": q.article_cards(viewer)
            .where(q.published(), q.linked_to_tag(tag or ""))
            .order_by(*q.BY_TAG_LINK.first)
            .limit(20),
            "tag (keyset page)": q.article_cards(viewer)
            .where(
                q.published(),
                q.linked_to_tag(tag or ""),
                q.BY_TAG_LINK.older_than(middle or utcnow(), 0),
            )
            .order_by(*q.BY_TAG_LINK.first)
            .limit(20),
            "author (page)": q.article_cards(viewer)
            .where(q.published(), q.written_by(username or ""))
            .order_by(*q.NEWEST_FIRST)
            .limit(20),
            "feed (page)": q.article_cards(viewer)
            .where(q.published(), q.followed_by(viewer or 0))
            .order_by(*q.NEWEST_FIRST)
            .limit(20),
            "article": q.article_rows(viewer).where(Article.slug == slug),
            "tags in use": q.tags_in_use(),
        }
        dialect = db.engine.dialect.name
        prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        with db.engine.connect() as connection:
            for name, statement in statements.items():
                sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
                rows = connection.exec_driver_sql(prefix + sql).all()
                print(f"\n### {name}\n```")
                for row in rows:
                    print(
                        " | ".join(str(part) for part in (row[-1:] if dialect == "sqlite" else row))
                    )
                print("```")


if __name__ == "__main__":
    main()
