"""Backup and restore drills, export/import across databases, and grants, on real servers."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db
from inkwell.models import Article, Counter, DailyActivity, Tag, article_tags, utcnow
from inkwell.ops import backup as backups
from inkwell.ops import maintenance, portable
from inkwell.queries import articles as q
from inkwell.services import totals
from inkwell.services.accounts import register
from inkwell.services.articles import ArticleDraft, create_article
from inkwell.transactions import unit_of_work
from tests.conftest import stale_tag_links
from tests.databases import Backend
from tests.ops.conftest import app_on


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


def test_db_maintain_runs_and_repairs_drifted_totals_and_tag_links(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_maintain", tmp_path)
    with app_on(url, tmp_path) as app:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["seed", "--users", "3", "--articles", "30"]).exit_code == 0
        db.session.execute(sa.update(Counter).values(value=999))
        db.session.execute(sa.update(Tag).values(published_count=999))
        db.session.execute(sa.update(article_tags).values(published_at=None))
        db.session.commit()
        assert stale_tag_links() != []
        result = runner.invoke(args=["db", "maintain"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith(
            "ran: withhold the articles of suspended authors\nran: recount published totals"
        )
        published = (
            sa.select(sa.func.count()).select_from(Article).where(Article.published_at.is_not(None))
        )
        assert totals.published_total() == db.session.scalar(published)
        for tag in db.session.scalars(sa.select(Tag)):
            assert tag.published_count == db.session.scalar(published.where(q.tagged(tag.name)))
        assert stale_tag_links() == []
        assert "ran: roll up the dashboard's figures of 365 finished days\n" in result.output
        rolled = sa.select(sa.func.sum(DailyActivity.value)).where(DailyActivity.kind == "articles")
        recent = published.where(Article.published_at >= utcnow() - timedelta(days=366))
        assert db.session.scalar(rolled) <= db.session.scalar(recent)


def test_grants_keep_the_app_user_out_of_the_schema_and_the_audit_log_append_only(
    backend: Backend, tmp_path: Path
) -> None:
    if backend.name == "sqlite":
        with pytest.raises(ValueError, match="file permissions"):
            maintenance.grants("sqlite", "x", "app", "owner")
        return
    url = backend.fresh_url("inkwell_test_grants", tmp_path)
    database = str(sa.make_url(url).database)
    suffix = uuid.uuid4().hex[:6]
    app_user, owner = f"iw_app_{suffix}", f"iw_owner_{suffix}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    dialect = "postgresql" if backend.name == "postgresql" else "mysql"

    def as_user(user: str) -> str:
        password = None if dialect == "postgresql" else "CHANGE-ME"
        return sa.make_url(url).set(username=user, password=password).render_as_string(False)

    def run_grants(tables: list[str]) -> None:
        statements = maintenance.grants(
            dialect, database, app_user, owner, tables=tables, append_only=["audit_events"]
        )
        with admin.connect() as connection:
            for statement in statements:
                sql = statement.split("--")[0].strip()
                if sql:
                    # PyMySQL reads % as a parameter marker; the printed SQL is plain SQL.
                    connection.exec_driver_sql(
                        sql.replace("%", "%%") if dialect == "mysql" else sql
                    )

    try:
        # As the guide has it: accounts first, then the owner migrates. MariaDB's
        # per-table grants need the tables, so there the command runs again.
        run_grants([])
        with app_on(as_user(owner), tmp_path):
            tables = maintenance.existing_tables()
        if dialect == "mysql":
            run_grants(tables)
        app_engine = sa.create_engine(as_user(app_user), poolclass=sa.pool.NullPool)
        with app_engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO counters (name, value) VALUES ('probe', 1)")
            connection.exec_driver_sql("UPDATE counters SET value = 2 WHERE name = 'probe'")
            connection.exec_driver_sql("DELETE FROM counters WHERE name = 'probe'")
            # The analytics tables, which share the database by default: a flush's writes.
            view = "INSERT INTO article_views (article_id, day, views) VALUES (1, '2026-01-02', 1)"
            connection.exec_driver_sql(view)
            connection.exec_driver_sql("UPDATE article_views SET views = 2")
            connection.exec_driver_sql("DELETE FROM article_views")
            connection.exec_driver_sql("DELETE FROM reader_keys")
            connection.exec_driver_sql(
                "INSERT INTO audit_events (created_at, actor_name, action, target_type, "
                "target_id, target_name, reason) "
                "VALUES ('2026-01-02 03:04:05', 'a', 'x', 'user', 1, 'b', 'c')"
            )
            assert connection.exec_driver_sql("SELECT reason FROM audit_events").scalar() == "c"
        for refused in (
            "UPDATE audit_events SET reason = 'rewritten'",
            "DELETE FROM audit_events",
            "CREATE TABLE intruder (id INTEGER)",
            "DROP TABLE counters",
        ):
            with pytest.raises(sa.exc.DBAPIError), app_engine.begin() as connection:
                connection.exec_driver_sql(refused)
        # Granting again, after the tables exist, keeps the log append-only.
        run_grants(tables)
        with pytest.raises(sa.exc.DBAPIError), app_engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM audit_events")
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
