"""A portable export of all content as JSON lines, importable into any supported database.

The format, version 2: ASCII JSON, one object per line, each line ending in
a newline.

- Line 1, the header: `{"format": "inkwell-export", "revision": ...,
  "version": 2}`, with the schema revision the content fits.
- One line per row: `{"row": {...}, "table": ...}`, tables in dependency
  order and rows in primary-key order, so two databases with the same content
  export the same lines, whatever their dialect (see `content_digest`).
- The closing line: `{"counts": {table: rows, ...}, "sha256": ...}`, the
  SHA-256 of every byte before it (`sed '$d' FILE | sha256sum` recomputes it).

The closing line is what proves a file whole: an export that stopped part way
has none, and a file cut, damaged or edited since no longer matches it.
Version 1 files had no closing line, so nothing tells a whole one from a cut
one: they are refused, with a message asking for a new export.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from inkwell.dialects import snapshot_options, sync_id_sequences
from inkwell.extensions import db
from inkwell.models import Article, Comment, Tag, User
from inkwell.ops.portable.format import (
    FORMAT,
    TABLES,
    VERSION,
    PortableError,
    content,
    encode,
    line,
)
from inkwell.ops.portable.reading import entries
from inkwell.ops.status import migration_head
from inkwell.services import search_index, tag_links, totals, withholding
from inkwell.services.rendering import html_columns

__all__ = [
    "TABLES",
    "PortableError",
    "content_digest",
    "export",
    "export_file",
    "import_",
    "rows",
]

BATCH = 1000


def rows() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every row of every table, in a stable order, from one consistent snapshot."""
    options: dict[str, Any] = {"yield_per": BATCH, **snapshot_options(db.engine.dialect)}
    with db.engine.connect().execution_options(**options) as connection, connection.begin():
        for name in TABLES:
            table = db.metadata.tables[name]
            query = sa.select(*content(table).values()).order_by(*table.primary_key.columns)
            for row in connection.execute(query).mappings():
                yield name, {key: encode(value) for key, value in row.items()}


def export(out: IO[bytes]) -> dict[str, int]:
    """Write the export to `out`; returns how many rows of each table it wrote."""
    digest = hashlib.sha256()

    def write(entry: dict[str, Any]) -> None:
        encoded = line(entry)
        digest.update(encoded)
        out.write(encoded)

    write({"format": FORMAT, "version": VERSION, "revision": migration_head()})
    counts = dict.fromkeys(TABLES, 0)
    for name, row in rows():
        write({"table": name, "row": row})
        counts[name] += 1
    out.write(line({"counts": counts, "sha256": digest.hexdigest()}))
    return counts


def export_file(path: Path) -> dict[str, int]:
    """Write the export to `path`, which only ever holds a complete export.

    The export goes to a temporary file beside `path`, readable by its owner
    alone (an export holds emails and password hashes), renamed into place
    once complete and on disk; if the export fails, the temporary file is
    removed and an earlier file at `path` is left as it was.
    """
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            counts = export(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return counts


def content_digest() -> str:
    """A SHA-256 of all content in its portable form: equal across dialects for equal content."""
    digest = hashlib.sha256()
    for name, row in rows():
        digest.update(line({"table": name, "row": row}))
    return digest.hexdigest()


def import_(source: IO[bytes]) -> dict[str, int]:
    """Load an export into an empty, migrated database; the caller commits.

    The whole file is checked before the database is touched: the header,
    that every line is UTF-8 JSON, that each row has exactly its table's
    columns with values they can hold, and that the closing line's counts and
    checksum match. The first fault is raised as a `PortableError` naming its
    line, and nothing has been written. The rows are then read again, through
    the same checks, and inserted; should the file have changed in between,
    the error comes after some inserts and the caller's rollback undoes them.
    A stream that cannot be read twice (a pipe) is first copied to a private
    temporary file.
    """
    with _rereadable(source) as readable:
        start = readable.tell()
        for _entry in entries(readable):
            pass
        _require_empty()
        readable.seek(start)
        counts = _load(entries(readable))
    sync_id_sequences(db.session.connection(), User, Tag, Article, Comment)
    # Derived figures follow the content, whatever the file says: first which
    # articles are withheld (their authors' suspensions), then what counts them.
    withholding.follow_suspensions()
    totals.recount()
    tag_links.copy_all()
    search_index.index_all()
    return counts


@contextmanager
def _rereadable(source: IO[bytes]) -> Iterator[IO[bytes]]:
    if source.seekable():
        yield source
        return
    with tempfile.TemporaryFile() as copy:
        shutil.copyfileobj(source, copy)
        copy.seek(0)
        yield copy


def _require_empty() -> None:
    for name in TABLES:
        table = db.metadata.tables[name]
        if db.session.scalar(sa.select(sa.func.count()).select_from(table)):
            raise PortableError("the database already has content; import needs an empty one")


def _load(entries: Iterator[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    counts = dict.fromkeys(TABLES, 0)
    batch: list[dict[str, Any]] = []
    current = TABLES[0]
    for name, row in entries:
        if name != current or len(batch) >= BATCH:
            _insert(current, batch)
            batch, current = [], name
        batch.append(row)
        counts[name] += 1
    _insert(current, batch)
    return counts


def _insert(name: str, batch: list[dict[str, Any]]) -> None:
    if name == "articles":
        # The HTML is derived from the body: rendered here by this Inkwell's
        # renderer, never taken from a file.
        batch = [row | html_columns(row["body"]) for row in batch]
    if batch:
        db.session.execute(sa.insert(db.metadata.tables[name]), batch)
