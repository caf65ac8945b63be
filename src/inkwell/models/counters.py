"""Totals kept up to date as content changes, for figures too costly to count per request."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inkwell.models.base import MYSQL_TABLE_OPTIONS, Base

PUBLISHED_ARTICLES = "published_articles"
# Raised by every transaction that changes what readers see (`inkwell.scaling.cache`).
CONTENT_VERSION = "content_version"


class Counter(Base):
    """One named total; `inkwell.services.totals` keeps each one and can recount it."""

    __tablename__ = "counters"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return f"<Counter {self.name}={self.value}>"
