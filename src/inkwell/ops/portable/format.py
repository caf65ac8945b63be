"""What an export file is: its name for itself, its version, its tables and lines."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

FORMAT = "inkwell-export"
VERSION = 2
TABLES = ("users", "tags", "articles", "article_tags", "follows", "favorites", "comments")
CLOSING_KEYS = {"counts", "sha256"}


class PortableError(Exception):
    """An export file cannot be imported; the message says where and why."""


def content(table: sa.Table) -> dict[str, sa.Column[Any]]:
    """The columns an export carries: all but the derived ones, which imports recount or render."""
    return {column.name: column for column in table.columns if not column.info.get("derived")}


def line(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True).encode() + b"\n"


def encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
