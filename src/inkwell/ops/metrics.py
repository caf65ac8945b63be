"""Prometheus metrics, correct under several Gunicorn workers.

With PROMETHEUS_MULTIPROC_DIR set (deploy/gunicorn.conf.py sets and empties
it), every worker writes its samples to files there and a scrape merges them,
so counts do not depend on which worker answers. prometheus_client reads that
variable itself when it is imported, so the setting only names the folder
here; the metrics are made once per process, after the folder exists.
Business figures (articles, users) are counted from the database at scrape
time; a scrape while the database is down still answers, without them.

/metrics is not public: only operators may read it (`ops.access`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from inkwell.config import Settings
from inkwell.extensions import db
from inkwell.models import User
from inkwell.ops.access import is_operator
from inkwell.scaling.replicas import Replicas, replicas_of
from inkwell.services import totals

# RFC 9110's methods and PATCH. Any other name a client sends is counted as
# "other": every label value is a series kept until the process ends, so
# labels take only values from bounded sets. The endpoint is a route's name
# (or "unmatched"), never the path; the status is one the app chose.
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
# Upper bounds, in seconds, of the latency histogram's buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Instruments(NamedTuple):
    """The metrics this process records into."""

    requests: Counter
    latency: Histogram
    errors: Counter
    pool_checked_out: Gauge
    pool_overflow: Gauge
    kept_pages: Counter


_MAKING = threading.Lock()


def instruments() -> Instruments:
    """Made on first use rather than at import: under multiprocess mode a metric
    opens its file in PROMETHEUS_MULTIPROC_DIR when made, and that folder may not
    exist before `configure_metrics` (say, a CLI command run with the service's
    environment). A worker's threads can make their first requests at once: the
    lock lets one of them make the instruments, where two would register each
    metric twice."""
    with _MAKING:
        return _instruments()


@cache
def _instruments() -> Instruments:
    return Instruments(
        requests=Counter(
            "inkwell_http_requests_total", "Requests answered.", ["endpoint", "method", "status"]
        ),
        latency=Histogram(
            "inkwell_http_request_duration_seconds",
            "Time to answer a request.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
        ),
        errors=Counter(
            "inkwell_http_errors_total", "Requests that failed with an exception.", ["endpoint"]
        ),
        pool_checked_out=Gauge(
            "inkwell_db_pool_checked_out",
            "Database connections in use.",
            multiprocess_mode="livesum",
        ),
        pool_overflow=Gauge(
            "inkwell_db_pool_overflow",
            "Connections open beyond the pool size.",
            multiprocess_mode="livesum",
        ),
        kept_pages=Counter(
            "inkwell_response_cache_total",
            "Signed-out readers' pages answered from the response cache (hit) or rendered "
            "because none was kept at that address and content version (miss).",
            ["outcome"],
        ),
    )


class ContentCollector(Collector):
    """Articles and users, counted when scraped, and whether that worked.

    The database may be down, which is when the request, error and pool
    figures matter most: the scrape then answers without the two counts and
    with `inkwell_database_up` at 0, instead of failing whole. The outage is
    logged by readiness probes and failing requests, not here, every scrape.
    """

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            published = totals.published_total()
            users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
        except (sa.exc.DBAPIError, sa.exc.TimeoutError):
            with suppress(sa.exc.DBAPIError):  # the connection may be gone already
                db.session.rollback()
            yield _database_up(False)
            return
        yield GaugeMetricFamily(
            "inkwell_articles_published", "Published articles.", value=published or 0
        )
        yield GaugeMetricFamily("inkwell_users", "Registered users.", value=users or 0)
        yield _database_up(True)


class ReplicaCollector(Collector):
    """Each read replica's state as the scraped process's monitor last saw it."""

    def __init__(self, replicas: Replicas) -> None:
        self.replicas = replicas

    def collect(self) -> Iterator[GaugeMetricFamily]:
        usable = GaugeMetricFamily(
            "inkwell_replica_usable",
            "Whether reads may go to the replica (up, a standby, within the allowed lag).",
            labels=["replica"],
        )
        lag = GaugeMetricFamily(
            "inkwell_replica_lag_seconds",
            "How far the replica's replay is behind the primary (absent while unknown).",
            labels=["replica"],
        )
        for state in self.replicas.states():
            usable.add_metric([state.name], 1 if state.usable(self.replicas.max_lag) else 0)
            if state.lag_seconds is not None:
                lag.add_metric([state.name], state.lag_seconds)
        yield usable
        yield lag


def _database_up(up: bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "inkwell_database_up",
        "Whether this scrape could read the content figures from the database.",
        value=1 if up else 0,
    )


def configure_metrics(app: Flask) -> None:
    """Time and count every request, and serve /metrics."""
    folder = _settings(app).prometheus_multiproc_dir
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    app.before_request(_start_timer)
    app.after_request(_record)
    app.add_url_rule("/metrics", "metrics", _metrics)
    from flask import got_request_exception

    got_request_exception.connect(_count_error, app)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _record(response: Response) -> Response:
    endpoint = request.endpoint or "unmatched"
    if endpoint != "metrics" and "metrics_started" in g:
        meters = instruments()
        method = request.method if request.method in METHODS else "other"
        meters.requests.labels(endpoint, method, str(response.status_code)).inc()
        meters.latency.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
        if outcome := g.get("inkwell_page_outcome"):
            meters.kept_pages.labels(outcome).inc()
        pool: Any = db.engine.pool
        if hasattr(pool, "checkedout"):
            meters.pool_checked_out.set(pool.checkedout())
            meters.pool_overflow.set(max(0, pool.overflow()))
    return response


def _count_error(sender: Flask, exception: BaseException, **extra: Any) -> None:
    instruments().errors.labels(request.endpoint or "unmatched").inc()


def _metrics() -> Response:
    if not is_operator():
        abort(403)
    registry = request_metrics()
    registry.register(ContentCollector())
    replicas = replicas_of(current_app)
    if replicas is not None:
        registry.register(ReplicaCollector(replicas))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def request_metrics() -> CollectorRegistry:
    """The request, error and pool metrics of the app servers since they started: every
    worker's, merged, when they share PROMETHEUS_MULTIPROC_DIR; else this process's."""
    registry = CollectorRegistry()
    folder = _settings(current_app).prometheus_multiproc_dir
    if folder:
        multiprocess.MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    else:
        for metric in instruments():
            registry.register(metric)
    return registry


def _settings(app: Flask) -> Settings:
    settings: Settings = app.extensions["inkwell.settings"]
    return settings
