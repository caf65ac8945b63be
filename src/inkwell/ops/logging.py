"""Structured logs: one JSON object a line, with the request id and the user.

Every request carries an id: the incoming `X-Request-ID` when it is a sane
token (so a proxy's id follows the request through), otherwise a new one; it
is returned in the response header and attached to every line logged while
the request runs. Statements slower than INKWELL_SLOW_QUERY_MS are logged
with their duration and endpoint, and kept for the dashboard's Health page
(`ops.slow_statements`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import event

from inkwell.extensions import db
from inkwell.models import utcnow
from inkwell.ops import slow_statements

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
STATEMENT_PREVIEW = 500
logger = logging.getLogger("inkwell")
sql_logger = logging.getLogger("inkwell.sql")


class RequestContextFilter(logging.Filter):
    """Adds the request id, endpoint and user id (when known) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            record.endpoint = request.endpoint
            record.user_id = _known_user_id()
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object a line, for log shippers."""

    FIELDS = ("request_id", "endpoint", "user_id", "duration_ms", "statement")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(app: Flask) -> None:
    """Log to stdout in the chosen format; tag requests; watch for slow statements."""
    logger.setLevel(app.config["INKWELL_LOG_LEVEL"])
    logger.removeHandler(default_handler)  # Flask's stderr handler; ours replaces it
    if not app.testing and not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        if app.config["INKWELL_LOG_FORMAT"] == "json":
            formatter: logging.Formatter = JSONFormatter()
            formatter.converter = time.gmtime
        else:
            formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        handler.setFormatter(formatter)
        handler.addFilter(RequestContextFilter())
        logger.addHandler(handler)
        logger.propagate = False
    app.before_request(_assign_request_id)
    app.after_request(_return_request_id)
    with app.app_context():
        _watch_slow_statements(db.engine, app.config["INKWELL_SLOW_QUERY_MS"])


def log_like_inkwell(name: str) -> None:
    """Send a library's logger (`rq`, for the worker) to Inkwell's handlers, in the same
    format, rather than handlers of its own."""
    library = logging.getLogger(name)
    for handler in logger.handlers:
        if handler not in library.handlers:
            library.addHandler(handler)
    library.propagate = not logger.handlers


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _return_request_id(response: Response) -> Response:
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def _known_user_id() -> int | None:
    """The user id if this request already loaded its user (never a query for a log line).

    Read from the row's identity, not its `id` attribute: after a failed unit
    of work the user is expired, and reading an attribute would query the
    database, which may be the very thing that failed.
    """
    for key in ("api_user", "_login_user"):
        state = sa.inspect(g.get(key), raiseerr=False)
        identity = getattr(state, "identity", None)
        if identity and isinstance(identity[0], int):
            return identity[0]
    return None


def _watch_slow_statements(engine: sa.Engine, threshold_ms: int) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["inkwell.started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _finish(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info.pop("inkwell.started", None)
        if started is None:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        if elapsed_ms >= threshold_ms:
            endpoint = request.endpoint if has_request_context() else None
            slow_statements.remember(utcnow(), elapsed_ms, statement, endpoint)
            sql_logger.warning(
                "slow statement",
                extra={
                    "duration_ms": round(elapsed_ms, 1),
                    "statement": " ".join(statement.split())[:STATEMENT_PREVIEW],
                },
            )
