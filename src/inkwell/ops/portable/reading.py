"""Reading an export back: every line checked, and the file proven whole, before use.

`entries()` yields each row decoded for its table, and raises `PortableError`
naming the line at the first fault: bytes that are not UTF-8 JSON, a row
whose columns or values its table cannot take, a closing line whose counts or
checksum do not match, or no closing line at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models.base import UTCDateTime
from inkwell.ops.portable.format import (
    CLOSING_KEYS,
    FORMAT,
    TABLES,
    VERSION,
    PortableError,
    content,
)
from inkwell.ops.status import migration_head

# A row is at most a few hundred kilobytes; a longer line is no export, and a
# binary file without newlines would otherwise be read whole into memory.
MAX_LINE = 64 * 1024 * 1024
# Every integer column is an `Integer`, 32 bits on all three databases.
INTEGER_RANGE = range(-(2**31), 2**31)
# PostgreSQL refuses NUL in text, and no driver can encode a lone surrogate
# (which JSON's \ud800 escapes produce).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Checks a value from the file: the value as the column takes it, and what is wrong, if anything.
Check = Callable[[Any], tuple[Any, str | None]]


def entries(source: IO[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each row of the file, checked and decoded, ending only at a matching closing line."""
    digest = hashlib.sha256()
    lines = _lines(source)
    number, raw = next(lines, (1, b""))
    _check_header(raw)
    digest.update(raw)
    counts = dict.fromkeys(TABLES, 0)
    current = 0
    for number, raw in lines:
        entry = _parse(number, raw)
        if isinstance(entry, dict) and entry.keys() == CLOSING_KEYS:
            _check_closing(number, entry, counts, digest.hexdigest())
            _check_nothing_after(lines)
            return
        name, row = _row_entry(number, entry)
        if TABLES.index(name) < current:
            raise PortableError(f"line {number}: table {name!r} comes after {TABLES[current]!r}")
        current = TABLES.index(name)
        counts[name] += 1
        digest.update(raw)
        yield name, _decode(number, name, row)
    raise PortableError(f"line {number}: the file ends before its closing line; it is incomplete")


def _lines(source: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    number = 0
    while raw := source.readline(MAX_LINE + 1):
        number += 1
        if len(raw) > MAX_LINE:
            raise PortableError(f"line {number}: longer than {MAX_LINE:,} bytes")
        yield number, raw


def _check_header(raw: bytes) -> None:
    try:
        header = _parse(1, raw)
    except PortableError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PortableError("line 1: not an Inkwell export")
    version = header.get("version")
    if version == 1:
        raise PortableError(
            "line 1: export format version 1 has no checksum, so a cut file cannot be told "
            "from a whole one; export again with this version of Inkwell"
        )
    if version != VERSION:
        raise PortableError(f"line 1: export format version {version} is not {VERSION}")
    if header.get("revision") != migration_head():
        raise PortableError(
            f"line 1: exported at schema revision {header.get('revision')}, "
            f"this Inkwell is at {migration_head()}"
        )


def _parse(number: int, raw: bytes) -> Any:
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise PortableError(f"line {number}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PortableError(f"line {number}: not JSON ({err.msg})") from None
    except ValueError:  # Python refuses integers of more than 4,300 digits
        raise PortableError(f"line {number}: not JSON (a number too long)") from None
    except RecursionError:
        raise PortableError(f"line {number}: nested too deeply") from None


def _row_entry(number: int, entry: Any) -> tuple[str, dict[str, Any]]:
    if (
        isinstance(entry, dict)
        and entry.keys() == {"table", "row"}
        and entry["table"] in TABLES
        and isinstance(entry["row"], dict)
    ):
        return entry["table"], entry["row"]
    raise PortableError(f'line {number}: expected {{"table": ..., "row": {{...}}}}')


def _check_closing(number: int, entry: dict[str, Any], counts: dict[str, int], sha: str) -> None:
    if entry["counts"] != counts:
        raise PortableError(
            f"line {number}: the closing line counts {_summary(entry['counts'])}, "
            f"but the file holds {_summary(counts)}"
        )
    if entry["sha256"] != sha:
        raise PortableError(
            f"line {number}: the checksum does not match the lines before it; "
            "the file was changed or damaged after export"
        )


def _check_nothing_after(lines: Iterator[tuple[int, bytes]]) -> None:
    after = next(lines, None)
    if after is not None:
        raise PortableError(f"line {after[0]}: text after the closing line")


def _summary(counts: Any) -> str:
    if not isinstance(counts, dict):
        return json.dumps(counts)
    return ", ".join(f"{n} {table}" for table, n in counts.items())


def _decode(number: int, name: str, row: dict[str, Any]) -> dict[str, Any]:
    columns = content(db.metadata.tables[name])
    missing = [column for column in columns if column not in row]
    if missing:
        raise PortableError(f"line {number}: the {name} row lacks {', '.join(missing)}")
    unknown = sorted(set(row) - set(columns))
    if unknown:
        raise PortableError(f"line {number}: unknown columns {unknown} for {name}")
    return {key: _value(number, column, row[key]) for key, column in columns.items()}


def _value(number: int, column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        problem = None if column.nullable else "cannot be null"
    else:
        value, problem = _check_for(column.type)(value)
        choices = column.info.get("choices")
        if not problem and choices and value not in choices:
            problem = f"is not one of {', '.join(choices)}"
    if problem:
        raise PortableError(f"line {number}: {column.table.name}.{column.name} {problem}")
    return value


def _check_for(kind: sa.types.TypeEngine[Any]) -> Check:
    """How a value in the file is checked and decoded for a column of type `kind`.

    A column of a type not listed here fails every import (and the round-trip
    tests) until its check is added, rather than letting unchecked values through.
    """
    if isinstance(kind, UTCDateTime):
        return _timestamp
    if isinstance(kind, sa.Boolean):
        return lambda value: (value, None if isinstance(value, bool) else "is not a boolean")
    if isinstance(kind, sa.Integer):
        return _integer
    if isinstance(kind, sa.String):
        return lambda value: (value, _text_problem(value, kind.length))
    raise TypeError(f"no check for the column type {kind!r}")


def _timestamp(value: Any) -> tuple[Any, str | None]:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value, "is not a timestamp"
    if moment.tzinfo is None:
        return value, "is not a timestamp with a UTC offset"
    try:
        return moment.astimezone(UTC), None  # as the column will store it
    except OverflowError:
        return value, "is out of range"


def _integer(value: Any) -> tuple[Any, str | None]:
    if type(value) is not int:  # bool is an int to Python, not to the databases
        return value, "is not an integer"
    if value not in INTEGER_RANGE:
        return value, f"is out of range ({INTEGER_RANGE.start} to {INTEGER_RANGE.stop - 1})"
    return value, None


def _text_problem(value: Any, length: int | None) -> str | None:
    if not isinstance(value, str):
        return "is not text"
    if length is not None and len(value) > length:
        return f"is longer than {length} characters"
    if UNSTORABLE.search(value):
        return "holds a character no database can store"
    return None
