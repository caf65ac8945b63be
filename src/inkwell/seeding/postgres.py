"""PostgreSQL's bulk loader: binary COPY, and keys and indexes rebuilt after a large load.

At a million articles, multi-row INSERTs and row-at-a-time index and key
maintenance dominate seeding; COPY and one sorted build per index do the
same work several times faster, as pg_restore does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from inkwell.extensions import db


@contextmanager
def checks_deferred(connection: sa.Connection, tables: Sequence[Any]) -> Iterator[None]:
    """Drop the foreign keys and secondary indexes of `tables` for a large load and
    rebuild them after it, as pg_restore does.

    Checking each row's references and inserting it into every index one at a
    time costs several times the load itself; one sorted index build and one
    join per foreign key do the same work in bulk. The drop and rebuild run in
    the seeding transaction, so a failed run leaves the schema untouched, and
    rebuilding the foreign keys still verifies every reference.
    """
    foreign_keys = [key for table in tables for key in table.foreign_key_constraints]
    keys = _keys_nothing_else_references(tables, foreign_keys)
    indexes = [index for table in tables for index in table.indexes]
    # Room to sort a million-row index, and to join a million-row table when a
    # foreign key is checked, in memory rather than in temporary files.
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    for constraint in [*foreign_keys, *keys]:
        connection.execute(sa.schema.DropConstraint(constraint))
    for index in indexes:
        connection.execute(sa.schema.DropIndex(index))
    yield
    for index in indexes:
        connection.execute(sa.schema.CreateIndex(index))
    for constraint in [*keys, *foreign_keys]:
        connection.execute(sa.schema.AddConstraint(constraint))


def copy_rows(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's binary COPY, in the session's own transaction: several times the
    rate of multi-row INSERTs, which matters at a million articles."""
    columns = list(rows[0])
    quote = connection.dialect.identifier_preparer.quote
    statement = (
        f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN (FORMAT BINARY)"
    )
    types = _column_types(connection, table.name)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(statement) as copy:
        copy.set_types([types[column] for column in columns])
        values = itemgetter(*columns)
        for row in rows:
            copy.write_row(values(row))


def _column_types(connection: sa.Connection, table: str) -> dict[str, int]:
    """The server's type of each column of `table`, which binary COPY must be told.

    Asked once per table per session (a million articles are thousands of
    batches) and kept in the session's `info`, which ends with the command.
    """
    known: dict[str, dict[str, int]] = db.session.info.setdefault("inkwell.copy_types", {})
    if table in known:
        return known[table]
    found = connection.execute(
        sa.text(
            "SELECT attname, atttypid::int FROM pg_attribute"
            " WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
        ),
        {"table": table},
    )
    known[table] = {name: oid for name, oid in found}
    return known[table]


def _keys_nothing_else_references(
    tables: Sequence[Any], foreign_keys: list[sa.ForeignKeyConstraint]
) -> list[sa.Constraint]:
    """The unique constraints of `tables`, and the primary keys no table outside the
    load refers to (a key another table's foreign key depends on cannot be dropped)."""
    referenced = {
        key.referred_table
        for table in db.metadata.tables.values()
        for key in table.foreign_key_constraints
        if key not in foreign_keys
    }
    return [
        constraint
        for table in tables
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
        or (isinstance(constraint, sa.PrimaryKeyConstraint) and table not in referenced)
    ]
