"""Migrations build exactly the schema the models describe, both ways, on every backend."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from inkwell import create_app
from inkwell.extensions import db
from tests.conftest import environ_for
from tests.databases import Backend

TABLES = {"users", "follows", "articles", "tags", "article_tags", "favorites", "comments"}


def test_empty_to_head_to_base_to_head_without_drift(backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url("inkwell_test_migrations", tmp_path)
    app = create_app(environ_for(url, tmp_path))
    with app.app_context():
        try:
            upgrade()
            assert set(sa.inspect(db.engine).get_table_names()) >= TABLES
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            with db.engine.connect() as connection:
                drift = compare_metadata(MigrationContext.configure(connection), db.metadata)
            assert drift == []
            result = app.test_cli_runner().invoke(args=["db", "check"])
            assert result.exit_code == 0, result.output
        finally:
            db.engine.dispose()
