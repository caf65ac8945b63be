"""Request figures read from the metrics: totals, what was added between two readings, and
latency percentiles estimated from the histogram's buckets.

The metrics count from the moment the app servers started (merged across
workers when they share PROMETHEUS_MULTIPROC_DIR), so a period's figures
are differences between two readings. A restart sets every count back to
zero; a step in which any count fell is taken, as Prometheus' `increase()`
takes it, to have started from zero, so a restart never yields negative
figures. Percentiles are estimated as Prometheus' `histogram_quantile()`
estimates them: linearly within the bucket the rank falls in, so they are
only as fine as the bucket bounds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from inkwell.ops.metrics import LATENCY_BUCKETS, request_metrics

# Every bucket's upper bound in seconds, the last one catching everything.
BOUNDS: tuple[float, ...] = (*(float(bound) for bound in LATENCY_BUCKETS), math.inf)
QUANTILES = (0.5, 0.95, 0.99)
REQUESTS = "inkwell_http_requests_total"
LATENCY_BUCKET = "inkwell_http_request_duration_seconds_bucket"
POOL_GAUGES = {"inkwell_db_pool_checked_out": "checked_out", "inkwell_db_pool_overflow": "overflow"}


@dataclass(frozen=True, slots=True)
class Totals:
    """Requests answered, those answered 5xx, and the latency histogram's cumulative
    counts (one per bound of `BOUNDS`; the last is every request timed)."""

    requests: int
    server_errors: int
    buckets: tuple[int, ...]

    def restarted_since(self, earlier: Totals) -> bool:
        """Whether any count fell since `earlier`: only a restart does that."""
        before = (earlier.requests, earlier.server_errors, *earlier.buckets)
        after = (self.requests, self.server_errors, *self.buckets)
        return any(now < then for now, then in zip(after, before, strict=True))

    def since(self, earlier: Totals) -> Totals:
        """What was added since `earlier`: everything, after a restart."""
        if self.restarted_since(earlier):
            return self
        return Totals(
            self.requests - earlier.requests,
            self.server_errors - earlier.server_errors,
            tuple(now - then for now, then in zip(self.buckets, earlier.buckets, strict=True)),
        )

    def plus(self, other: Totals) -> Totals:
        """Both periods' figures together."""
        return Totals(
            self.requests + other.requests,
            self.server_errors + other.server_errors,
            tuple(a + b for a, b in zip(self.buckets, other.buckets, strict=True)),
        )

    def buckets_json(self) -> str:
        """The buckets as stored: keyed by bound (`"0.005"`, ..., `"+Inf"`)."""
        pairs = zip(BOUNDS, self.buckets, strict=True)
        return json.dumps({_bound_name(bound): count for bound, count in pairs})


def _bound_name(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


ZERO = Totals(0, 0, (0,) * len(BOUNDS))


def stored_buckets(text: str) -> tuple[int, ...] | None:
    """Buckets written by `Totals.buckets_json`, or None if they were written for other bounds."""
    by_bound = {float(bound): int(count) for bound, count in json.loads(text).items()}
    if set(by_bound) != set(BOUNDS):
        return None
    return tuple(by_bound[bound] for bound in BOUNDS)


def increase(readings: Sequence[Totals]) -> Totals:
    """What was added from the first reading to the last, counting across restarts."""
    added = ZERO
    for before, after in pairwise(readings):
        added = added.plus(after.since(before))
    return added


def quantile(q: float, buckets: Sequence[int]) -> float | None:
    """The `q` quantile of the latencies counted in `buckets`, in seconds (None if none).

    As `histogram_quantile()`: find the bucket holding the rank, interpolate
    linearly between its bounds (the first starts at 0); a rank in the last,
    unbounded bucket answers the highest finite bound.
    """
    total = buckets[-1] if buckets else 0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0
    for bound, count in zip(BOUNDS, buckets, strict=True):
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


@dataclass(frozen=True, slots=True)
class Figures:
    """A period's requests, its share of 5xx answers and its latency percentiles (seconds)."""

    requests: int
    server_errors: int
    error_share: float | None
    percentiles: dict[float, float | None]


def figures(totals: Totals) -> Figures:
    """The figures a period's `totals` make."""
    share = totals.server_errors / totals.requests if totals.requests else None
    return Figures(
        totals.requests,
        totals.server_errors,
        share,
        {q: quantile(q, totals.buckets) for q in QUANTILES},
    )


@dataclass(frozen=True, slots=True)
class Reading:
    """The metrics now: request totals, and the connection-pool gauges summed over the
    workers (each worker sets its own after every request it answers)."""

    totals: Totals
    pool_checked_out: int
    pool_overflow: int


def read_metrics() -> Reading:
    """Read the request metrics (`ops.metrics.request_metrics`), every label summed."""
    requests = server_errors = 0.0
    buckets = dict.fromkeys(BOUNDS, 0.0)
    gauges = dict.fromkeys(POOL_GAUGES.values(), 0.0)
    for family in request_metrics().collect():
        for sample in family.samples:
            if sample.name == REQUESTS:
                requests += sample.value
                if sample.labels.get("status", "").startswith("5"):
                    server_errors += sample.value
            elif sample.name == LATENCY_BUCKET:
                bound = float(sample.labels["le"])
                if bound in buckets:
                    buckets[bound] += sample.value
            elif sample.name in POOL_GAUGES:
                gauges[POOL_GAUGES[sample.name]] += sample.value
    totals = Totals(int(requests), int(server_errors), tuple(int(buckets[b]) for b in BOUNDS))
    return Reading(totals, int(gauges["checked_out"]), int(gauges["overflow"]))
