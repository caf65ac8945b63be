"""Backup and restore drills, export/import across databases, and grants, on real servers."""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from inkwell import create_app
from inkwell.extensions import db
from inkwell.models import Article, Counter, Tag
from inkwell.ops import backup as backups
from inkwell.ops import maintenance, portable
from inkwell.queries import articles as q
from inkwell.services import totals
from inkwell.services.accounts import register
from inkwell.services.articles import ArticleDraft, create_article
from inkwell.transactions import unit_of_work
from tests.conftest import BACKENDS, environ_for
from tests.databases import Backend


@contextmanager
def app_on(url: str, instance: Path, *, migrate: bool = True) -> Iterator[Flask]:
    app = create_app(environ_for(url, instance))
    with app.app_context():
        if migrate:
            upgrade()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def portable_lines() -> set[str]:
    return {json.dumps({"table": t, "row": r}, sort_keys=True) for t, r in portable.rows()}


def write_articles(app: Flask, stop: threading.Event, committed: list[int]) -> None:
    """Keep publishing articles (each with tags, in one transaction) until told to stop."""
    with app.app_context():
        with unit_of_work():
            author = register(
                f"writer{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex}@example.com", "long enough"
            )
        while not stop.is_set():
            with unit_of_work():
                draft = ArticleDraft(f"Live {len(committed)}", "d", "body " * 50, ("live", "drill"))
                article = create_article(author, draft).article
            committed.append(article.id)
        db.session.remove()


def test_backup_while_writing_restores_everything_committed_and_nothing_torn(
    backend: Backend, tmp_path: Path
) -> None:
    source_url = backend.fresh_url("inkwell_test_backup_source", tmp_path)
    restored_url = backend.fresh_url("inkwell_test_backup_restored", tmp_path)
    with app_on(source_url, tmp_path) as source:
        stop, committed = threading.Event(), []
        writer = threading.Thread(target=write_articles, args=(source, stop, committed))
        writer.start()
        try:
            while len(committed) < 20:
                stop.wait(0.01)
            before = list(committed)
            path = backups.backup(backups.current_target(), tmp_path / "backups", keep=3)
            while len(committed) < len(before) + 10:  # writes go on after the backup too
                stop.wait(0.01)
        finally:
            stop.set()
            writer.join(timeout=60)
        assert path.name.startswith("inkwell-") and path.stat().st_size > 0
        source_lines = portable_lines()

    with app_on(restored_url, tmp_path, migrate=False):
        backups.restore(backups.current_target(), path)
        restored_lines = portable_lines()
        restored_ids = set(db.session.scalars(sa.select(Article.id)))
        with pytest.raises(backups.BackupError, match="not empty"):
            backups.restore(backups.current_target(), path)

    assert set(before) <= restored_ids, "an article committed before the backup is missing"
    assert restored_lines <= source_lines, "a restored row differs from the source"
    tags_of = {}
    for line in restored_lines:
        entry = json.loads(line)
        if entry["table"] == "article_tags":
            tags_of.setdefault(entry["row"]["article_id"], 0)
            tags_of[entry["row"]["article_id"]] += 1
    live = [i for i in restored_ids if i in committed]
    assert live and all(tags_of.get(i) == 2 for i in live), "an article lost its tags"


def test_backups_are_pruned_to_the_newest(backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url("inkwell_test_backup_prune", tmp_path)
    with app_on(url, tmp_path):
        made = [
            backups.backup(backups.current_target(), tmp_path / "kept", keep=2) for _ in range(4)
        ]
    assert sorted((tmp_path / "kept").glob("inkwell-*")) == made[-2:]


PAIRS = [("sqlite", "postgresql"), ("postgresql", "mysql"), ("mysql", "sqlite")]


@pytest.mark.parametrize(("origin", "destination"), PAIRS)
def test_export_import_round_trips_between_databases(
    origin: str, destination: str, tmp_path: Path
) -> None:
    for name in (origin, destination):
        if BACKENDS[name].problem:
            pytest.skip(f"{BACKENDS[name].label} not available")
    source_url = BACKENDS[origin].fresh_url("inkwell_test_export_source", tmp_path)
    target_url = BACKENDS[destination].fresh_url("inkwell_test_export_target", tmp_path)
    exported = io.StringIO()
    with app_on(source_url, tmp_path) as source:
        result = source.test_cli_runner().invoke(
            args=["seed", "--users", "6", "--articles", "60", "--seed", "5"]
        )
        assert result.exit_code == 0, result.output
        with unit_of_work():
            author = register("Ünïcode", "uni@example.com", "long enough")
            create_article(
                author,
                ArticleDraft("日本語 and émoji 🎉", "d", "Body\n\n| a |\n|---|\n| 1 |", ("ß",)),
            )
        counts = portable.export(exported)
        digest = portable.content_digest()
    with app_on(target_url, tmp_path) as target:
        with unit_of_work():
            assert portable.import_(io.StringIO(exported.getvalue())) == counts
        assert portable.content_digest() == digest
        # The imported database keeps working: new rows get fresh ids.
        with unit_of_work():
            later = register("after-import", "after@example.com", "long enough")
        assert later.id > counts["users"]
        result = target.test_cli_runner().invoke(args=["import", "-"], input=exported.getvalue())
        assert result.exit_code == 1 and "needs an empty one" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not an Inkwell export"),
        ('{"format": "other"}\n', "not an Inkwell export"),
        ('{"format": "inkwell-export", "version": 99}\n', "version 99"),
        ("HEADER\n{not json\n", "not an Inkwell export"),
    ],
)
def test_import_rejects_bad_files_cleanly(
    backend: Backend, tmp_path: Path, text: str, message: str
) -> None:
    url = backend.fresh_url("inkwell_test_import_bad", tmp_path)
    with app_on(url, tmp_path) as app:
        result = app.test_cli_runner().invoke(args=["import", "-"], input=text)
    assert result.exit_code == 1 and message in result.output


def test_db_maintain_runs_and_repairs_drifted_totals(backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url("inkwell_test_maintain", tmp_path)
    with app_on(url, tmp_path) as app:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["seed", "--users", "3", "--articles", "30"]).exit_code == 0
        db.session.execute(sa.update(Counter).values(value=999))
        db.session.execute(sa.update(Tag).values(published_count=999))
        db.session.commit()
        result = runner.invoke(args=["db", "maintain"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ran: recount published totals")
        published = (
            sa.select(sa.func.count()).select_from(Article).where(Article.published_at.is_not(None))
        )
        assert totals.published_total() == db.session.scalar(published)
        for tag in db.session.scalars(sa.select(Tag)):
            assert tag.published_count == db.session.scalar(published.where(q.tagged(tag.name)))


def test_grants_keep_the_app_user_out_of_the_schema(backend: Backend, tmp_path: Path) -> None:
    if backend.name == "sqlite":
        with pytest.raises(ValueError, match="file permissions"):
            maintenance.grants("sqlite", "x", "app", "owner")
        return
    database = "inkwell_test_grants"
    url = backend.fresh_url(database, tmp_path)
    suffix = uuid.uuid4().hex[:6]
    app_user, owner = f"iw_app_{suffix}", f"iw_owner_{suffix}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    dialect = "postgresql" if backend.name == "postgresql" else "mysql"
    try:
        with admin.connect() as connection:
            for statement in maintenance.grants(dialect, database, app_user, owner):
                sql = statement.split("--")[0].strip()
                # PyMySQL reads % as a parameter marker; the printed SQL is plain SQL.
                connection.exec_driver_sql(sql.replace("%", "%%") if dialect == "mysql" else sql)

        def as_user(user: str) -> sa.Engine:
            parsed = sa.make_url(url).set(
                username=user, password=None if dialect == "postgresql" else "CHANGE-ME"
            )
            return sa.create_engine(parsed, poolclass=sa.pool.NullPool)

        with as_user(owner).begin() as connection:
            connection.exec_driver_sql(
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(20))"
            )
        app_engine = as_user(app_user)
        with app_engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO notes (id, body) VALUES (1, 'allowed')")
            assert connection.exec_driver_sql("SELECT body FROM notes").scalar() == "allowed"
        with pytest.raises(sa.exc.DBAPIError), app_engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE intruder (id INTEGER)")
        with pytest.raises(sa.exc.DBAPIError), app_engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE notes")
        app_engine.dispose()
    finally:
        admin.dispose()
        admin = sa.create_engine(
            backend.server_url,  # type: ignore[arg-type]
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        with admin.connect() as connection:
            if dialect == "postgresql":
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                for role in (app_user, owner):
                    connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            else:
                for user in (app_user, owner):
                    connection.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
        admin.dispose()
