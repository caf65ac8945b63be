"""What the dashboard's Health page needs beyond the live metrics: their recent past."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inkwell.models.base import MYSQL_TABLE_OPTIONS, Base

STATEMENT_MAX = 500
ENDPOINT_MAX = 100


class HealthSample(Base):
    """The request metrics, merged across workers, as they stood at the start of a minute.

    The metrics only give totals since the app servers started; the last
    hour's figures are the differences between these rows (`inkwell.ops.samples`).
    The minute is the key, so several workers sampling the same minute leave
    one row: the first to insert wins. `latency_buckets` holds the latency
    histogram's cumulative counts as JSON, keyed by bucket bound (`"0.005"`,
    ..., `"+Inf"`), so rows stay readable if the bounds ever change.
    """

    __tablename__ = "health_samples"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    minute: Mapped[datetime] = mapped_column(primary_key=True)
    requests: Mapped[int] = mapped_column(sa.BigInteger)
    server_errors: Mapped[int] = mapped_column(sa.BigInteger)
    latency_buckets: Mapped[str] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<HealthSample {self.minute:%Y-%m-%d %H:%M} {self.requests}>"


class SlowStatement(Base):
    """One statement slower than INKWELL_SLOW_QUERY_MS, as any worker saw it.

    Bounded (`inkwell.ops.slow_statements` keeps the newest few hundred), and
    holding the statement's text only, never its parameters.
    """

    __tablename__ = "slow_statements"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    seen_at: Mapped[datetime]
    duration_ms: Mapped[float] = mapped_column(sa.Double)
    statement: Mapped[str] = mapped_column(sa.String(STATEMENT_MAX))
    endpoint: Mapped[str | None] = mapped_column(sa.String(ENDPOINT_MAX))

    def __repr__(self) -> str:
        return f"<SlowStatement {self.id} {self.duration_ms:.0f} ms>"
