"""The declarative base, its naming convention and the column types all models share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeEngine

# One convention, so that a migration names a constraint the same way on every
# database and a later revision can drop it by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# MariaDB's default collation compares case- and accent-insensitively; binary
# collation makes tag names and slugs compare the same way they do elsewhere.
MYSQL_TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


# MariaDB's TEXT holds 65,535 bytes; an article body of up to 100,000 characters
# (four bytes each at worst in utf8mb4) and its HTML, longer still, need
# LONGTEXT there. TEXT on SQLite and PostgreSQL has no such limit.
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


# Primary keys are 32-bit integers on every dialect; a larger id names nothing,
# and handing it to the database would be an error rather than "not found".
ID_MAX = 2**31 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that goes in and comes out timezone-aware in UTC on every dialect.

    PostgreSQL keeps the zone; SQLite and MariaDB store naive values, so they
    are written as UTC and read back with UTC attached here, in one place,
    instead of in every serializer. MariaDB gets microsecond precision.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column; use inkwell utcnow()")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every Inkwell model kept in the main database."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


# The bind (Flask-SQLAlchemy's name for a database beside the main one) of the
# analytics tables: INKWELL_ANALYTICS_DATABASE_URL, by default the main database.
ANALYTICS = "analytics"


class AnalyticsBase(DeclarativeBase):
    """Base of the models kept in the analytics database, which has a life of its own:
    frequent small writes, no joins with content, its own migrations. The metadata
    names the bind, which is how the session chooses the engine for these tables."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION, info={"bind_key": ANALYTICS}),
        type_annotation_map={datetime: UTCDateTime()},
    )
