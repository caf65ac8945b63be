"""Writing rows so that races and duplicates become domain answers, not 500s.

The helpers the services share for inserts that may collide: with a unique
value someone else holds (`conflicts_as`), or with the very row another
request is inserting at the same moment (`add_once`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from inkwell.dialects import violated_field
from inkwell.extensions import db
from inkwell.services.errors import Conflict


@contextmanager
def conflicts_as(table: str, columns: Mapping[str, str]) -> Iterator[None]:
    """Flush the block's changes in a savepoint; a unique violation raises `Conflict`.

    `columns` maps a unique column of `table` to the field named in the error
    (`{"username_key": "username"}`). The savepoint keeps the surrounding
    transaction usable after the violation on every dialect.
    """
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as err:
        field = violated_field(err, table, columns)
        if field is None:
            raise
        raise Conflict(field) from None


def add_once(row: Any) -> None:
    """Insert `row` unless a row with its primary key exists: idempotent, even when a
    concurrent request inserts the same row between our look and our insert."""
    model = type(row)
    key = tuple(sa.inspect(model).primary_key_from_instance(row))
    if db.session.get(model, key) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        if db.session.get(model, key) is None:
            raise
