"""What happened on the site per day, rolled up once the day is over."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inkwell.models.base import MYSQL_TABLE_OPTIONS, Base


class DailyActivity(Base):
    """One figure of one finished UTC day (`inkwell.services.growth`).

    A total (`key` 0: articles published, comments, sign-ups, favorites) or
    one of the day's leaders (`key` the tag, article or author id, and how
    many it had), so that the dashboard's charts of a year read a few
    hundred small rows instead of counting a year of content per request.
    """

    __tablename__ = "daily_activity"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    key: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int]

    def __repr__(self) -> str:
        return f"<DailyActivity {self.kind} {self.day} {self.key}={self.value}>"
