"""A portable export of all content as JSON lines, importable into any supported database.

The first line names the format and the schema revision; every other line is
one row: `{"table": ..., "row": {...}}`, tables in dependency order and rows
in primary-key order, so two databases with the same content export the same
lines, whatever their dialect (see `content_digest`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TextIO

import sqlalchemy as sa

from inkwell.dialects import snapshot_options, sync_id_sequences
from inkwell.extensions import db
from inkwell.models import Article, Comment, Tag, User
from inkwell.models.base import UTCDateTime
from inkwell.ops.status import migration_head
from inkwell.services import totals

FORMAT = "inkwell-export"
VERSION = 1
TABLES = ("users", "tags", "articles", "article_tags", "follows", "favorites", "comments")
BATCH = 1000


class PortableError(Exception):
    """An export file cannot be imported; the message says where and why."""


def rows() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every row of every table, in a stable order, from one consistent snapshot."""
    options: dict[str, Any] = {"yield_per": BATCH, **snapshot_options(db.engine.dialect)}
    with db.engine.connect().execution_options(**options) as connection, connection.begin():
        for name in TABLES:
            table = db.metadata.tables[name]
            content = [column for column in table.columns if not column.info.get("derived")]
            query = sa.select(*content).order_by(*table.primary_key.columns)
            for row in connection.execute(query).mappings():
                yield name, {key: _encode(value) for key, value in row.items()}


def export(out: TextIO) -> dict[str, int]:
    """Write the export to `out`; returns how many rows of each table it wrote."""
    header = {"format": FORMAT, "version": VERSION, "revision": migration_head()}
    out.write(json.dumps(header) + "\n")
    counts = dict.fromkeys(TABLES, 0)
    for name, row in rows():
        out.write(json.dumps({"table": name, "row": row}, sort_keys=True) + "\n")
        counts[name] += 1
    return counts


def content_digest() -> str:
    """A SHA-256 of all content in its portable form: equal across dialects for equal content."""
    digest = hashlib.sha256()
    for name, row in rows():
        digest.update(json.dumps({"table": name, "row": row}, sort_keys=True).encode())
    return digest.hexdigest()


def import_(lines: Iterable[str]) -> dict[str, int]:
    """Load an export into an empty, migrated database. The caller commits."""
    numbered = enumerate(lines, start=1)
    _check_header(next(numbered, (1, ""))[1])
    if any(
        db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[t]))
        for t in TABLES
    ):
        raise PortableError("the database already has content; import needs an empty one")
    counts = dict.fromkeys(TABLES, 0)
    batch: list[dict[str, Any]] = []
    current: str | None = None
    for number, line in numbered:
        if not line.strip():
            continue
        name, row = _parse(number, line)
        if current is not None and (name != current or len(batch) >= BATCH):
            _insert(current, batch)
            batch = []
        if current is not None and TABLES.index(name) < TABLES.index(current):
            raise PortableError(f"line {number}: table {name!r} comes after {current!r}")
        current = name
        batch.append(_decode(name, row, number))
        counts[name] += 1
    if current is not None:
        _insert(current, batch)
    sync_id_sequences(db.session.connection(), User, Tag, Article, Comment)
    totals.recount()  # derived figures follow the content, whatever the file says
    return counts


def _check_header(line: str) -> None:
    try:
        header = json.loads(line)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PortableError("line 1: not an Inkwell export")
    if header.get("version") != VERSION:
        raise PortableError(
            f"line 1: export format version {header.get('version')} is not {VERSION}"
        )
    if header.get("revision") != migration_head():
        raise PortableError(
            f"line 1: exported at schema revision {header.get('revision')}, "
            f"this Inkwell is at {migration_head()}"
        )


def _parse(number: int, line: str) -> tuple[str, dict[str, Any]]:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as err:
        raise PortableError(f"line {number}: not JSON ({err.msg})") from None
    name = entry.get("table") if isinstance(entry, dict) else None
    row = entry.get("row") if isinstance(entry, dict) else None
    if name not in TABLES or not isinstance(row, dict):
        raise PortableError(f'line {number}: expected {{"table": ..., "row": {{...}}}}')
    return name, row


def _decode(name: str, row: dict[str, Any], number: int) -> dict[str, Any]:
    table = db.metadata.tables[name]
    unknown = set(row) - {column.name for column in table.columns if not column.info.get("derived")}
    if unknown:
        raise PortableError(f"line {number}: unknown columns {sorted(unknown)} for {name}")
    decoded = dict(row)
    for column in table.columns:
        value = row.get(column.name)
        if isinstance(column.type, UTCDateTime) and isinstance(value, str):
            try:
                decoded[column.name] = datetime.fromisoformat(value)
            except ValueError:
                raise PortableError(f"line {number}: {column.name} is not a timestamp") from None
    return decoded


def _insert(name: str, batch: list[dict[str, Any]]) -> None:
    if batch:
        db.session.execute(sa.insert(db.metadata.tables[name]), batch)


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
