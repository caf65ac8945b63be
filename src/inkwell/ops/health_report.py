"""The dashboard's Health page in figures: requests, errors and latency over the last hour
and since the app servers started, the slowest statements of the day, and pool use.

Three sources: the metrics as they stand (`ops.traffic`), the per-minute
samples of them (`ops.samples`) and the shared table of slow statements
(`ops.slow_statements`). Two statements in all, whatever the traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from flask import current_app

from inkwell.config import Settings
from inkwell.extensions import db
from inkwell.models import SlowStatement
from inkwell.ops import slow_statements
from inkwell.ops.samples import history, minute_of
from inkwell.ops.traffic import Figures, figures, increase, quantile, read_metrics

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Minute:
    """What happened between two samples (normally one minute apart)."""

    start: datetime
    end: datetime
    requests: int
    server_errors: int
    p95: float | None


@dataclass(frozen=True, slots=True)
class PoolUse:
    """Database connections: this process's pool, and the gauges summed over the workers."""

    size: int | None
    checked_out: int | None
    overflow: int | None
    all_checked_out: int
    all_overflow: int


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Everything the Health page shows."""

    since_start: Figures
    last_hour: Figures | None
    hour_from: datetime | None
    minutes: list[Minute]
    slowest: list[SlowStatement]
    pool: PoolUse
    across_workers: bool
    sample_seconds: int
    slow_ms: int


def health_report(now: datetime) -> HealthReport:
    """Read the metrics, the last hour's samples and the day's slowest statements."""
    settings: Settings = current_app.extensions["inkwell.settings"]
    reading = read_metrics()
    samples = history(minute_of(now) - HOUR)
    last_hour = None
    if samples:
        last_hour = figures(increase([totals for _, totals in samples] + [reading.totals]))
    minutes = [
        Minute(start, end, step.requests, step.server_errors, quantile(0.95, step.buckets))
        for (start, before), (end, after) in pairwise(samples)
        for step in [after.since(before)]
    ]
    return HealthReport(
        since_start=figures(reading.totals),
        last_hour=last_hour,
        hour_from=samples[0][0] if samples else None,
        minutes=minutes,
        slowest=slow_statements.slowest(now - DAY),
        pool=_pool_use(reading.pool_checked_out, reading.pool_overflow),
        across_workers=settings.prometheus_multiproc_dir is not None,
        sample_seconds=settings.health_sample_seconds,
        slow_ms=settings.slow_query_ms,
    )


def _pool_use(all_checked_out: int, all_overflow: int) -> PoolUse:
    pool: Any = db.engine.pool
    if not hasattr(pool, "checkedout"):  # a pool that does not count (NullPool)
        return PoolUse(None, None, None, all_checked_out, all_overflow)
    return PoolUse(
        pool.size(), pool.checkedout(), max(0, pool.overflow()), all_checked_out, all_overflow
    )
