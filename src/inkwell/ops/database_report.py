"""The dashboard's Database page in figures: the product, the size of each table and
index, what runs now, the migration, the read replicas, the newest backups.

Read from catalogs, statistics and files (`ops.catalog`), never by counting
rows: two statements on SQLite, three on PostgreSQL, four on MariaDB, whatever
the data. The page is about the primary, so it never reads from a replica;
the replicas' state is what this process's monitor last saw (`inkwell.scaling.replicas`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from inkwell.config import Settings
from inkwell.extensions import db
from inkwell.ops import catalog
from inkwell.ops.backup.inventory import Backups, newest_backups
from inkwell.ops.status import applied_revision, migration_head, product_name, server_version
from inkwell.scaling.replicas import ReplicaState, replicas_of
from inkwell.transactions import read_from_primary


@dataclass(frozen=True, slots=True)
class DatabaseReport:
    """Everything the Database page shows."""

    product: str
    version: str
    revision: str | None
    head: str | None
    sizes: catalog.Sizes
    running: list[catalog.Running] | None
    sqlite: catalog.SqliteFiles | None
    backups: Backups
    backup_warning: str | None
    replicas: list[ReplicaState]
    max_lag: float | None


def database_report(now: datetime) -> DatabaseReport:
    """Ask the database about itself on the request's connection, and look at the files."""
    settings: Settings = current_app.extensions["inkwell.settings"]
    read_from_primary()
    connection = db.session.connection()
    sqlite = None
    if connection.dialect.name == "sqlite":
        database = Path(db.engine.url.database or "")
        sqlite = catalog.sqlite_files(database, Path(current_app.instance_path))
    backups = newest_backups(settings.backup_dir)
    replicas = replicas_of(current_app)
    return DatabaseReport(
        product=product_name(connection.dialect),
        version=server_version(connection),
        revision=applied_revision(connection),
        head=migration_head(),
        sizes=catalog.sizes(connection),
        running=catalog.running(connection),
        sqlite=sqlite,
        backups=backups,
        backup_warning=backups.warning(now),
        replicas=replicas.states() if replicas else [],
        max_lag=replicas.max_lag if replicas else None,
    )
