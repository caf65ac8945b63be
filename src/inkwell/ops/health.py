"""Liveness and readiness for load balancers and orchestrators.

`/healthz` answers from the process alone, so a slow database never gets a
healthy worker restarted. `/readyz` connects, and checks that the schema is
at the revision this code expects, so traffic only reaches a worker that can
serve it.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from inkwell.ops.status import database_status

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database answers and its migrations are at head (503 with the reason if not)."""
    status = database_status()
    body = {
        "status": "ok" if status.ok else "unavailable",
        "database": status.product,
        "revision": status.revision,
        "head": status.head,
    }
    if not status.ok:
        body["reason"] = status.problem
    return jsonify(body), 200 if status.ok else 503
