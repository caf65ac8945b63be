"""Alembic's environment for the analytics database, beside the main one.

Its own revisions, its own version table (`alembic_version_analytics`) and
only its own tables, so it works the same whether the analytics database
is the main one (the default) or a server of its own. `inkwell db upgrade`
and `inkwell db check` run it after the main environment; `inkwell db
analytics ...` runs any migration command on it alone.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from inkwell.models.base import ANALYTICS, AnalyticsBase
from inkwell.models.views import ANALYTICS_VERSION_TABLE, in_analytics_schema

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

engine = current_app.extensions["migrate"].db.engines[ANALYTICS]
OPTIONS = {
    "target_metadata": AnalyticsBase.metadata,
    "version_table": ANALYTICS_VERSION_TABLE,
    "include_name": in_analytics_schema,
    "compare_type": True,
    "render_as_batch": True,
}


def run_migrations_offline():
    """Emit SQL to standard output instead of running it (`--sql`)."""
    context.configure(url=engine.url, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations on a connection of the analytics engine."""

    def skip_empty_revision(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with engine.connect() as connection:
        context.configure(
            connection=connection, process_revision_directives=skip_empty_revision, **OPTIONS
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
