"""Security headers for every response, and the cache-busting static URLs the
strict Content-Security-Policy relies on (no inline script, no third party)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, Response, request, url_for

PAGE_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The API docs (Swagger UI) draw a logo whose SVG carries one <style> element;
# its hash, not 'unsafe-inline', lets exactly that one in.
SWAGGER_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"
DOCS_POLICY = PAGE_POLICY.replace("style-src 'self'", f"style-src 'self' {SWAGGER_LOGO_STYLE}")


def add_security_headers(response: Response) -> Response:
    """Headers that make the browser refuse what the pages never need."""
    docs = request.path.startswith("/api/docs")
    response.headers.setdefault("Content-Security-Policy", DOCS_POLICY if docs else PAGE_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def static_url(filename: str) -> str:
    """The URL of a static file with its content hash, so it can be cached forever."""
    return url_for("static", filename=filename, v=_digest(filename))


@cache
def _digest(filename: str) -> str:
    from flask import current_app

    path = Path(current_app.static_folder or "") / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def configure_security(app: Flask) -> None:
    """Send the headers on every response and give templates `static_url`."""
    app.after_request(add_security_headers)
    app.add_template_global(static_url)
