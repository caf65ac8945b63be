"""Migrations build exactly the schema the models describe, both ways, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from inkwell import create_app, fulltext
from inkwell.extensions import db
from inkwell.models.base import ANALYTICS, UTCDateTime
from inkwell.models.views import ANALYTICS_TABLES, ANALYTICS_VERSION_TABLE
from inkwell.ops import schema
from tests.conftest import analytics_drift, environ_for, schema_drift
from tests.databases import Backend

TABLES = {
    "users",
    "follows",
    "articles",
    "tags",
    "article_tags",
    "favorites",
    "comments",
    "article_search",
    "audit_events",
    "daily_activity",
    "health_samples",
    "slow_statements",
}
VERSION_TABLES = {"alembic_version", ANALYTICS_VERSION_TABLE}


def test_empty_to_head_to_base_to_head_without_drift(backend: Backend, tmp_path: Path) -> None:
    """Both sets of migrations, sharing the database as they do by default."""
    url = backend.fresh_url("inkwell_test_migrations", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    cli = app.test_cli_runner()
    with app.app_context():
        try:
            assert cli.invoke(args=["db", "upgrade"]).exit_code == 0
            assert set(sa.inspect(db.engine).get_table_names()) >= TABLES | ANALYTICS_TABLES
            schema.downgrade_all()
            assert set(sa.inspect(db.engine).get_table_names()) <= VERSION_TABLES
            schema.upgrade()
            with db.engine.connect() as connection:
                assert schema_drift(connection) == []
                assert analytics_drift(connection) == []
                assert fulltext.problems(connection, "english") == []
            result = cli.invoke(args=["db", "check"])
            assert result.exit_code == 0, result.output
        finally:
            db.engine.dispose()


def test_db_check_names_the_database_behind(backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url("inkwell_test_migrations_behind", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    cli = app.test_cli_runner()
    with app.app_context():
        try:
            schema.upgrade()
            assert cli.invoke(args=["db", "analytics", "downgrade", "base"]).exit_code == 0
            assert "article_views" not in sa.inspect(db.engine).get_table_names()
            assert "articles" in sa.inspect(db.engine).get_table_names()
            result = cli.invoke(args=["db", "check"])
            assert result.exit_code == 1
            assert "analytics database: Target database is not up to date" in result.output
            assert cli.invoke(args=["db", "upgrade"]).exit_code == 0
            assert cli.invoke(args=["db", "check"]).exit_code == 0
        finally:
            db.engine.dispose()


@pytest.mark.parametrize("analytics_on", ["same product", "SQLite"])
def test_analytics_in_a_database_of_its_own_up_and_down(
    backend: Backend, tmp_path: Path, analytics_on: str
) -> None:
    """The analytics migrations on another database than the main one, of the same
    product or SQLite beside a server: each database holds its own tables only."""
    main = backend.fresh_url("inkwell_test_migrations_main", tmp_path)
    if analytics_on == "SQLite":
        analytics = f"sqlite:///{tmp_path / 'analytics.sqlite3'}"
    else:
        analytics = backend.fresh_url("inkwell_test_migrations_analytics", tmp_path)
    app = create_app(environ_for(main, tmp_path, INKWELL_ANALYTICS_DATABASE_URL=analytics))
    with app.app_context():
        engine = db.engines[ANALYTICS]
        try:
            assert engine is not db.engine
            assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
            main_tables = set(sa.inspect(db.engine).get_table_names())
            analytics_tables = set(sa.inspect(engine).get_table_names())
            assert main_tables >= TABLES and not main_tables & ANALYTICS_TABLES
            assert analytics_tables == ANALYTICS_TABLES
            with engine.connect() as connection:
                assert analytics_drift(connection) == []
            assert app.test_cli_runner().invoke(args=["db", "check"]).exit_code == 0
            schema.downgrade_all()
            assert set(sa.inspect(engine).get_table_names()) == {ANALYTICS_VERSION_TABLE}
            assert set(sa.inspect(db.engine).get_table_names()) <= VERSION_TABLES
            schema.upgrade()
            assert set(sa.inspect(engine).get_table_names()) == ANALYTICS_TABLES
        finally:
            engine.dispose()
            db.engine.dispose()


def test_published_totals_are_filled_from_existing_content(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_migrations_totals", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    now = datetime(2026, 1, 2, tzinfo=UTC)
    with app.app_context():
        try:
            upgrade(revision="d4487b835368")
            with db.engine.begin() as connection:
                insert = partial(_insert, connection)
                _insert_author(connection, now)
                for number, published in [(1, now), (2, now), (3, None)]:
                    _insert_article(connection, number, now, published)
                insert("tags", id=1, name="kept")
                insert("tags", id=2, name="draft-only")
                for article_id, tag_id in [(1, 1), (2, 1), (3, 1), (3, 2)]:
                    insert("article_tags", article_id=article_id, tag_id=tag_id)
            upgrade()
            with db.engine.connect() as connection:
                counters = dict(
                    connection.execute(sa.text("SELECT name, value FROM counters")).all()
                )
                tags = dict(
                    connection.execute(sa.text("SELECT name, published_count FROM tags")).all()
                )
            assert counters == {"published_articles": 2, "content_version": 0}
            assert tags == {"kept": 2, "draft-only": 0}
            assert _rows("article_tags") == 4  # SQLite rebuilt `tags` without cascading
            downgrade(revision="d4487b835368")
            assert "counters" not in sa.inspect(db.engine).get_table_names()
            assert _rows("article_tags") == 4
        finally:
            db.engine.dispose()


def test_the_content_version_row_comes_and_goes_with_its_revision(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_migrations_version", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    query = sa.text("SELECT value FROM counters WHERE name = 'content_version'")
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as connection:
                assert connection.execute(query).scalar() == 0
            downgrade(revision="aed413e70b1e")
            with db.engine.connect() as connection:
                assert connection.execute(query).scalar() is None
                assert connection.execute(sa.text("SELECT count(*) FROM counters")).scalar() == 1
        finally:
            db.engine.dispose()


def test_existing_names_get_new_keys_and_look_alikes_keep_theirs(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_migrations_names", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    now = datetime(2026, 1, 2, tzinfo=UTC)
    fullwidth = "\uff2b\uff25\uff2e\uff2e\uff39"  # KENNY
    with app.app_context():
        try:
            upgrade(revision="6a4c272bb3c9")
            with db.engine.begin() as connection:
                for number, name, email in [
                    (1, "kenny", "kenny@x.org"),
                    (2, fullwidth, "\uff2b@x.org"),  # K@x.org
                    (3, "Ada", "Ada@x.org"),
                ]:
                    _insert(
                        connection,
                        "users",
                        id=number,
                        username=name,
                        username_key=name.casefold(),
                        email=email,
                        email_key=email.casefold(),
                        password_hash="h",
                        is_admin=False,
                        created_at=now,
                        updated_at=now,
                    )
            upgrade()
            with db.engine.connect() as connection:
                rows = connection.execute(
                    sa.text(
                        "SELECT id, username_key, username_skeleton, email_key FROM users "
                        "ORDER BY id"
                    )
                ).all()
            assert [tuple(row) for row in rows] == [
                (1, "kenny", "kenny", "kenny@x.org"),
                (2, fullwidth.casefold(), None, "k@x.org"),  # its name looked like kenny's
                (3, "ada", "ada", "ada@x.org"),
            ]
            downgrade(revision="6a4c272bb3c9")
            assert _rows("users") == 3
        finally:
            db.engine.dispose()


def test_existing_articles_are_left_to_render_on_read(backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url("inkwell_test_migrations_html", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    now = datetime(2026, 1, 2, tzinfo=UTC)
    with app.app_context():
        try:
            upgrade(revision="a59f158298d7")
            with db.engine.begin() as connection:
                _insert_author(connection, now)
                _insert_article(connection, 1, now, now, body="*b*")
            upgrade()
            with db.engine.connect() as connection:
                row = connection.execute(
                    sa.text("SELECT body, body_html, body_html_version FROM articles")
                ).one()
            assert tuple(row) == ("*b*", "", 0)  # version 0: never rendered
            long_text = "LONGTEXT" if backend.name == "mysql" else "TEXT"
            assert _column_types("articles")["body"] == long_text
            assert _column_types("articles")["body_html"] == long_text
            downgrade(revision="a59f158298d7")
            columns = _column_types("articles")
            assert "body_html" not in columns and "body_html_version" not in columns
            assert columns["body"] == "TEXT"
            assert _rows("articles") == 1
        finally:
            db.engine.dispose()


def test_tag_links_get_their_articles_publication_time(backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url("inkwell_test_migrations_links", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    now = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with app.app_context():
        try:
            upgrade(revision="d2ea9c75cf86")
            with db.engine.begin() as connection:
                insert = partial(_insert, connection)
                _insert_author(connection, now)
                for number, published in [(1, now), (2, None)]:
                    _insert_article(
                        connection, number, now, published, body_html="", body_html_version=0
                    )
                insert("tags", id=1, name="a")
                insert("tags", id=2, name="b")
                for article_id, tag_id in [(1, 1), (1, 2), (2, 1)]:
                    insert("article_tags", article_id=article_id, tag_id=tag_id)
            upgrade()
            links = sa.table(
                "article_tags",
                sa.column("article_id"),
                sa.column("tag_id"),
                sa.column("published_at", UTCDateTime()),
            )
            with db.engine.connect() as connection:
                rows = connection.execute(sa.select(links).order_by("article_id", "tag_id")).all()
            assert [tuple(row) for row in rows] == [(1, 1, now), (1, 2, now), (2, 1, None)]
            downgrade(revision="d2ea9c75cf86")
            assert "published_at" not in _column_types("article_tags")
            indexes = sa.inspect(db.engine).get_indexes("article_tags")
            assert "ix_article_tags_tag_id_article_id" in {index["name"] for index in indexes}
            assert _rows("article_tags") == 3
        finally:
            db.engine.dispose()


def test_existing_published_articles_are_indexed_for_search(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_migrations_search", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    now = datetime(2026, 1, 2, tzinfo=UTC)
    with app.app_context():
        try:
            upgrade(revision="5c1e7a9f3b20")
            with db.engine.begin() as connection:
                insert = partial(_insert, connection)
                _insert_author(connection, now)
                html = "<h2>Harbour</h2>\n<p>Gulls &amp; <em>ferries</em>\x02.</p>"
                for number, published in [(1, now), (2, None)]:
                    _insert_article(
                        connection,
                        number,
                        now,
                        published,
                        title=f"Title {number}",
                        body_html=html,
                        body_html_version=1,
                    )
                insert("tags", id=1, name="sea", published_count=1)
                insert("article_tags", article_id=1, tag_id=1, published_at=now)
            upgrade()
            search = sa.table(
                "article_search",
                *(sa.column(name) for name in ("article_id", "title", "tags", "body")),
            )
            with db.engine.connect() as connection:
                rows = connection.execute(sa.select(search)).all()
                assert [tuple(row) for row in rows] == [
                    (1, "Title 1", "sea", "Harbour\nGulls & ferries .")
                ]
                assert fulltext.problems(connection, "english") == []
            found = app.test_client().get("/api/search?q=ferries").get_json()
            assert [article["slug"] for article in found["articles"]] == ["s1"]
            downgrade(revision="5c1e7a9f3b20")
            assert "article_search" not in sa.inspect(db.engine).get_table_names()
            assert _rows("articles") == 2
        finally:
            db.engine.dispose()


def test_admins_keep_their_role_both_ways(backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url("inkwell_test_migrations_roles", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    now = datetime(2026, 1, 2, tzinfo=UTC)
    with app.app_context():
        try:
            upgrade(revision="b7e4c2a9d615")
            with db.engine.begin() as connection:
                _insert_author(connection, now)
                _insert(
                    connection,
                    "users",
                    id=2,
                    username="root",
                    username_key="root",
                    email="r@x.org",
                    email_key="r@x.org",
                    password_hash="h",
                    is_admin=True,
                    created_at=now,
                    updated_at=now,
                )
                _insert_article(connection, 1, now, now, body_html="b", body_html_version=1)
            upgrade()
            with db.engine.connect() as connection:
                roles = connection.execute(sa.text("SELECT id, role FROM users ORDER BY id"))
                assert roles.all() == [(1, "member"), (2, "admin")]
                withheld = connection.scalar(sa.text("SELECT withheld FROM articles"))
                assert not withheld
                # MariaDB reports a failed check as an OperationalError.
                with pytest.raises((sa.exc.IntegrityError, sa.exc.OperationalError)):
                    connection.execute(sa.text("UPDATE users SET role = 'owner' WHERE id = 1"))
            downgrade(revision="b7e4c2a9d615")
            with db.engine.connect() as connection:
                flags = connection.execute(sa.text("SELECT id, is_admin FROM users ORDER BY id"))
                assert [(number, bool(flag)) for number, flag in flags] == [(1, False), (2, True)]
        finally:
            db.engine.dispose()


def _column_types(table: str) -> dict[str, str]:
    """Each column's type as the database reports it, e.g. LONGTEXT on MariaDB."""
    return {
        column["name"]: str(column["type"]).split("(")[0].split(" ")[0]
        for column in sa.inspect(db.engine).get_columns(table)
    }


def _insert_author(connection: sa.Connection, now: datetime) -> None:
    """User 1, with the columns every revision's `users` requires."""
    _insert(
        connection,
        "users",
        id=1,
        username="ada",
        username_key="ada",
        email="a@x.org",
        email_key="a@x.org",
        password_hash="h",
        is_admin=False,
        created_at=now,
        updated_at=now,
    )


def _insert_article(
    connection: sa.Connection,
    number: int,
    now: datetime,
    published_at: datetime | None,
    **more: object,
) -> None:
    """Article `number` by user 1: the initial schema's columns, `more` added or replaced."""
    values = {
        "id": number,
        "slug": f"s{number}",
        "title": "t",
        "description": "d",
        "body": "b",
        "author_id": 1,
        "created_at": now,
        "updated_at": now,
        "published_at": published_at,
    }
    _insert(connection, "articles", **(values | more))


def _insert(connection: sa.Connection, table: str, **values: object) -> None:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    connection.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)  # noqa: S608  (test's own names)


def _rows(table: str) -> int:
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) or 0
