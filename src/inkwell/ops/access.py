"""Who may read what Inkwell tells operators: /metrics, and why /readyz is not ready.

The holder of INKWELL_METRICS_TOKEN, sent as `Authorization: Bearer <token>`;
with no token configured, a request from this machine. Behind Nginx,
ProxyFix gives a request the real client's address, so a request through
the proxy is not one from this machine.
"""

from __future__ import annotations

import hmac

from flask import current_app, request

LOOPBACK = {"127.0.0.1", "::1"}


def is_operator() -> bool:
    """Whether the current request comes from an operator, as above."""
    token = current_app.config.get("INKWELL_METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), str(token).encode())
    return request.remote_addr in LOOPBACK
