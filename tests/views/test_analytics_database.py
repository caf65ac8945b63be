"""The analytics tables in a database of their own, and how readiness and `inkwell
check` report them, whether they share the main database or not."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from click.testing import CliRunner
from flask.cli import ScriptInfo

from inkwell import create_app
from inkwell.cli import cli
from inkwell.extensions import db
from inkwell.models.base import ANALYTICS
from inkwell.models.views import ANALYTICS_TABLES
from tests.conftest import environ_for, migrated_app
from tests.databases import Backend
from tests.servers import free_port
from tests.views.conftest import Site, signed_in_page


def test_views_are_kept_in_the_analytics_database_of_their_own(
    backend: Backend, tmp_path: Path, password_hash: str
) -> None:
    main = backend.fresh_url("inkwell_test_views_main", tmp_path)
    analytics = backend.fresh_url("inkwell_test_views_analytics", tmp_path / "analytics")
    settings = {"INKWELL_COUNT_VIEWS": "true", "INKWELL_ANALYTICS_DATABASE_URL": analytics}
    with migrated_app(main, tmp_path, **settings) as app:
        site = Site(app, password_hash)
        _, author = site.author("apart")
        _, slug = site.article(author, "Counted elsewhere")
        for reader in ("one", "two", "three"):
            assert site.read(f"/article/{slug}", reader).status_code == 200
        assert site.flush() == 3
        assert _stored_views(analytics) == 3  # in the analytics database itself
        with app.app_context():
            assert not set(sa.inspect(db.engine).get_table_names()) & ANALYTICS_TABLES
        deleted = site.app.test_client().delete(f"/api/articles/{slug}", headers=author)
        assert deleted.status_code == 204
        assert _stored_views(analytics) == 3  # a deletion never waits on another database
        with app.app_context():
            db.engines[ANALYTICS].dispose()


def _stored_views(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.text("SELECT coalesce(sum(views), 0) FROM article_views")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_readiness_and_check_count_the_analytics_migrations_when_they_share_the_database(
    tmp_path: Path,
) -> None:
    """Code deployed without `inkwell db upgrade`: the main schema is at its head, the
    analytics tables are missing, and the authors' pages would fail."""
    app = create_app(environ_for(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path))
    with app.app_context():
        flask_migrate.upgrade()  # the main migrations alone
        db.engine.dispose()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "inkwell db upgrade" in response.json["reason"]
    assert response.json["analytics"]["revision"] is None
    checked = app.test_cli_runner().invoke(args=["check"])
    assert checked.exit_code == 1
    assert "Error: the analytics database: migrations are not at head" in checked.output
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    assert app.test_client().get("/readyz").status_code == 200
    assert app.test_cli_runner().invoke(args=["check"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()


def test_an_analytics_database_of_its_own_that_is_down_leaves_inkwell_ready(
    tmp_path: Path, password_hash: str
) -> None:
    """Ready, and every page served, the author's own without its figure."""
    away = f"postgresql://nobody@127.0.0.1:{free_port()}/analytics"
    environ = environ_for(
        f"sqlite:///{tmp_path / 'site.sqlite3'}",
        tmp_path,
        INKWELL_ANALYTICS_DATABASE_URL=away,
        INKWELL_COUNT_VIEWS="true",
    )
    app = create_app(environ)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert "INKWELL_ANALYTICS_DATABASE_URL: cannot connect" in response.json["analytics"]["problem"]
    checked = app.test_cli_runner().invoke(args=["check"])
    assert checked.exit_code == 1
    assert (
        "the analytics database: INKWELL_ANALYTICS_DATABASE_URL: cannot connect" in checked.output
    )
    assert "Traceback" not in checked.output
    site = Site(app, password_hash)
    _, author = site.author("unbothered")
    _, slug = site.article(author, "Read while the figures are away")
    assert site.read(f"/article/{slug}", "reader").status_code == 200
    own = signed_in_page(site, "unbothered", f"/article/{slug}")
    assert "Read while the figures are away" in own and '<span class="views"' not in own
    deleted = app.test_client().delete(f"/api/articles/{slug}", headers=author)
    assert deleted.status_code == 204
    for command in (["db", "upgrade"], ["db", "check"], ["db", "analytics", "current"]):
        # Through the `inkwell` group itself, which turns failures into one line.
        result = CliRunner().invoke(cli, command, obj=ScriptInfo(create_app=lambda: app))
        assert result.exit_code == 1, command
        last = result.output.strip().splitlines()[-1]  # after Alembic's own INFO lines
        assert last.startswith("Error: INKWELL_ANALYTICS_DATABASE_URL: cannot use the database")
        assert "Traceback" not in result.output
    with app.app_context():
        db.engine.dispose()
