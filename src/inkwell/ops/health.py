"""Liveness and readiness for load balancers and orchestrators.

`/healthz` answers from the process alone, so a slow database never gets a
healthy worker restarted. `/readyz` connects, and checks that the schema is
at the revision this code expects, so traffic only reaches a worker that can
serve it.

Anyone may ask whether Inkwell is ready: the status code (200 or 503) is all
a load balancer reads. Why it is not (the database's product, address and
revision, the driver's message) is for operators (`ops.access`), and for the
log: once when a failure starts or changes, once when it ends, in each
worker, rather than at every probe.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from inkwell.extensions import db
from inkwell.ops.access import is_operator
from inkwell.ops.status import (
    DatabaseStatus,
    analytics_status,
    database_status,
)
from inkwell.scaling.replicas import replicas_of
from inkwell.services.views import shares_main_database

bp = Blueprint("ops", __name__)
logger = logging.getLogger("inkwell")
LAST_PROBLEM = "inkwell.readiness_problem"


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database answers and its migrations are at head (503 if not), the analytics
    migrations included while they share it. Replicas, and an analytics database of
    its own, never make Inkwell unready: reads go to the primary without replicas,
    and views are only a figure (the detail shows the analytics database's state)."""
    status = database_status()
    analytics = analytics_status()
    if status.ok and not analytics.ok and shares_main_database():
        status = analytics
    _log_change(current_app, status)
    body: dict[str, Any] = {"status": "ok" if status.ok else "unavailable"}
    if is_operator():
        url = db.engine.url
        body |= {
            "database": status.product,
            "host": url.host,
            "port": url.port,
            "revision": status.revision,
            "head": status.head,
        }
        if not status.ok:
            body["reason"] = status.problem
        body["analytics"] = {
            "database": analytics.product,
            "revision": analytics.revision,
            "head": analytics.head,
            "problem": analytics.problem,
        }
        replicas = replicas_of(current_app)
        if replicas is not None:
            body["replicas"] = [
                {
                    "replica": state.name,
                    "state": state.status(replicas.max_lag),
                    "lag_seconds": state.lag_seconds,
                    "problem": state.problem,
                }
                for state in replicas.states()
            ]
    return jsonify(body), 200 if status.ok else 503


def _log_change(app: Flask, status: DatabaseStatus) -> None:
    """Two probes in the same worker at once may both log a change: harmless."""
    previous = app.extensions.get(LAST_PROBLEM)
    if status.problem == previous:
        return
    app.extensions[LAST_PROBLEM] = status.problem
    if status.problem:
        logger.error("not ready: %s (database at %s)", status.describe(), _where())
    else:
        logger.info("ready again")


def _where() -> str:
    url = db.engine.url
    if url.host is None:
        return str(url.database)
    return f"{url.host}:{url.port}" if url.port else url.host
