"""MariaDB/MySQL: `mariadb-dump --single-transaction`, restored beside the database and swapped in.

Backing up, mariadb-dump reads one consistent InnoDB snapshot without locking
writers. Restoring cannot be one transaction, because MariaDB commits each
CREATE and DROP as it runs. So the dump is first read whole: it must end with
the `-- Dump completed` line mariadb-dump writes last (a cut file lacks it)
and must hold one database's tables without naming a database (`USE`,
`CREATE DATABASE`), which would write outside the scratch database. It is
then loaded into a scratch database beside the target, its tables are
checked, and one `RENAME TABLE` statement, which MariaDB applies whole or not
at all, moves the target's tables out and the restored ones in. The tables
moved out go to a second scratch database, because foreign-key names are
unique per database, and are dropped last. A failure before the swap drops
the scratch databases and leaves the target as it was.

The scratch databases are named after the target (`<name>_restoring`,
`<name>_replaced`), so the account that restores needs all privileges on
them as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

from inkwell.dialects import driver_message
from inkwell.extensions import db
from inkwell.ops.backup.common import (
    BackupError,
    Mechanism,
    Target,
    first_tool,
    inkwell_tables,
    require_inkwell,
    require_revision,
    run,
)

MAX_NAME = 64
COMPLETED = b"-- Dump completed"
SWITCHES = (b"USE ", b"CREATE DATABASE")
BASE_TABLES = sa.text(
    "SELECT TABLE_NAME FROM information_schema.TABLES"
    " WHERE TABLE_SCHEMA = :schema AND TABLE_TYPE = 'BASE TABLE'"
)
EXISTING = sa.text(
    "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN :names"
).bindparams(sa.bindparam("names", expanding=True))


class Scratch(NamedTuple):
    """The databases a restore uses beside the target: the backup loaded, the old tables."""

    restoring: str
    replaced: str


def scratch_names(database: str) -> Scratch:
    """Names derived from the target's, shortened by a digest to MariaDB's 64 characters."""
    suffixes = ("_restoring", "_replaced")
    room = MAX_NAME - max(map(len, suffixes))
    if len(database) > room:
        digest = hashlib.sha256(database.encode()).hexdigest()[:8]
        database = f"{database[: room - len(digest) - 1]}_{digest}"
    return Scratch(*(database + suffix for suffix in suffixes))


def backup(target: Target, path: Path) -> None:
    """Dump the database into `path` (which exists, and keeps its mode)."""
    tool = first_tool("mariadb-dump", "mysqldump")
    command = [tool, "--single-transaction", "--skip-lock-tables", "--no-tablespaces"]
    with path.open("wb") as out:
        run([*command, *_mysql_args(target), target.url.database or ""], target, stdout=out)


def check(target: Target, path: Path) -> None:
    """Refuse a dump that was cut short, or that would write to a database it names."""
    last = b""
    with path.open("rb") as dump:
        for line in dump:
            if line.startswith(SWITCHES):
                raise BackupError(
                    "it names a database of its own (made with --databases?): "
                    "a backup holds one database's tables"
                )
            if line.strip():
                last = line
    if not last.startswith(COMPLETED):
        raise BackupError(
            "it is incomplete: it lacks mariadb-dump's last line, '-- Dump completed'"
        )


def restore(target: Target, path: Path) -> None:
    """Load the dump beside the database, check it, and swap its tables in at once."""
    database = target.url.database or ""
    scratch = scratch_names(database)
    with db.engine.connect() as connection:
        # With no parameters PyMySQL would read a `%` in a quoted name as a marker.
        connection.execution_options(isolation_level="AUTOCOMMIT", no_parameters=True)
        _create(connection, scratch)
        try:
            try:
                _load(target, path, scratch.restoring)
                _swap(connection, database, scratch)
                _rebuild_fulltext(connection, database)
            except BackupError as err:
                raise BackupError(f"{err}; the database is unchanged") from None
        finally:
            _drop(connection, scratch)


MECHANISM = Mechanism(backup=backup, check=check, restore=restore)
FULLTEXT_TABLES = sa.text(
    "SELECT DISTINCT table_name FROM information_schema.statistics "
    "WHERE table_schema = :database AND index_type = 'FULLTEXT' ORDER BY table_name"
)


def _create(connection: sa.Connection, scratch: Scratch) -> None:
    """Create the scratch databases, refusing ones that exist: an interrupted restore
    may have left the replaced tables there, and only the operator can say they are
    not needed."""
    existing = connection.execute(EXISTING, {"names": list(scratch)}).scalars().all()
    if existing:
        raise BackupError(
            f"the database {existing[0]} exists already, perhaps left by an interrupted "
            "restore: check what it holds, drop it, and try again; the database is unchanged"
        )
    made: list[str] = []
    for name in scratch:
        try:
            connection.exec_driver_sql(f"CREATE DATABASE {_quote(connection, name)}")
        except sa.exc.DBAPIError as err:
            _drop(connection, made)
            raise BackupError(
                f"cannot create the scratch database {name} ({driver_message(err)}): the account "
                f"that restores needs all privileges on {scratch.restoring} and "
                f"{scratch.replaced}; the database is unchanged"
            ) from None
        made.append(name)


def _load(target: Target, path: Path, database: str) -> None:
    tool = first_tool("mariadb", "mysql")
    with path.open("rb") as dump:
        run([tool, *_mysql_args(target), f"--database={database}"], target, stdin=dump)


def _rebuild_fulltext(connection: sa.Connection, database: str) -> None:
    """Rebuild the FULLTEXT indexes of the tables just moved in.

    InnoDB keeps a full-text index's recent rows and document counts in a
    cache of the table it was built for; after the move across databases,
    ranking read counts of zero and MariaDB refused the arithmetic ("DOUBLE
    value is out of range"). Rebuilt in place, the indexes are whole again,
    without a stop-word list, as the migration built them.
    """
    tables = connection.execute(FULLTEXT_TABLES, {"database": database}).scalars().all()
    connection.exec_driver_sql("SET SESSION innodb_ft_enable_stopword = OFF")
    try:
        for table in tables:
            connection.exec_driver_sql(f"ALTER TABLE {_name(connection, database, table)} FORCE")
    finally:
        connection.exec_driver_sql("SET SESSION innodb_ft_enable_stopword = ON")


def _swap(connection: sa.Connection, database: str, scratch: Scratch) -> None:
    """Move the target's tables out and the restored ones in, in one statement.

    Out go Inkwell's tables and any the backup brings, so none collides;
    tables of other applications that share the database stay.
    """
    incoming = _tables(connection, scratch.restoring)
    require_inkwell(incoming)
    require_revision(_revisions(connection, scratch.restoring))
    outgoing = _tables(connection, database) & (inkwell_tables() | incoming)
    moves = [(database, table, scratch.replaced) for table in sorted(outgoing)]
    moves += [(scratch.restoring, table, database) for table in sorted(incoming)]
    renames = ", ".join(
        f"{_name(connection, source, table)} TO {_name(connection, destination, table)}"
        for source, table, destination in moves
    )
    try:
        connection.exec_driver_sql(f"RENAME TABLE {renames}")
    except sa.exc.DBAPIError as err:
        raise BackupError(
            f"the restored tables could not be swapped in ({driver_message(err)})"
        ) from None


def _tables(connection: sa.Connection, schema: str) -> set[str]:
    return set(connection.execute(BASE_TABLES, {"schema": schema}).scalars())


def _revisions(connection: sa.Connection, schema: str) -> list[str]:
    versions = sa.table("alembic_version", sa.column("version_num"), schema=schema)
    try:
        return list(connection.scalars(sa.select(versions.c.version_num)))
    except sa.exc.DBAPIError as err:
        raise BackupError(
            f"its alembic_version table cannot be read ({driver_message(err)})"
        ) from None


def _drop(connection: sa.Connection, names: Iterable[str]) -> None:
    for name in names:
        try:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(connection, name)}")
        except sa.exc.DBAPIError as err:
            raise BackupError(
                f"could not drop the scratch database {name} ({driver_message(err)}): "
                "drop it by hand"
            ) from None


def _quote(connection: sa.Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def _name(connection: sa.Connection, schema: str, table: str) -> str:
    return f"{_quote(connection, schema)}.{_quote(connection, table)}"


def _mysql_args(target: Target) -> list[str]:
    url = target.url
    args = [f"--user={url.username or 'root'}", f"--host={url.host or 'localhost'}"]
    if url.port:
        args.append(f"--port={url.port}")
    return args
