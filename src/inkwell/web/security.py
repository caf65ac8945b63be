"""Security headers for every response, and the cache-busting static URLs the
strict Content-Security-Policy relies on (no inline script, no third party).

A production site whose public URL is https also tells browsers to come back
over https only (HSTS), for a year. Without includeSubDomains: that would
bind every other host under the site's name, which Inkwell knows nothing
about (an intranet page on plain http, say), and an operator cannot take it
back for a year; nor preload, which is a decision to make with the browser
vendors, not by default. The header goes only on answers over https, as RFC
6797 requires: behind Nginx, INKWELL_PROXY_HOPS=1 makes its
X-Forwarded-Proto the request's scheme. Nginx must not add it as well.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, Response, request, url_for

from inkwell.config import Settings

PAGE_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The API docs (Swagger UI) draw a logo whose SVG carries one <style> element;
# its hash, not 'unsafe-inline', lets exactly that one in.
SWAGGER_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"
DOCS_POLICY = PAGE_POLICY.replace("style-src 'self'", f"style-src 'self' {SWAGGER_LOGO_STYLE}")
HSTS = "max-age=31536000"


def add_security_headers(response: Response) -> Response:
    """Headers that make the browser refuse what the pages never need."""
    docs = request.path.startswith("/api/docs")
    response.headers.setdefault("Content-Security-Policy", DOCS_POLICY if docs else PAGE_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def add_hsts(response: Response) -> Response:
    """Ask the browser to use https only, on answers that came over https."""
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def static_url(filename: str) -> str:
    """The URL of a static file with its content hash, so it can be cached forever."""
    return url_for("static", filename=filename, v=_digest(filename))


@cache
def _digest(filename: str) -> str:
    from flask import current_app

    path = Path(current_app.static_folder or "") / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def configure_security(app: Flask, settings: Settings) -> None:
    """Send the headers on every response (HSTS for a production site on https) and
    give templates `static_url`."""
    app.after_request(add_security_headers)
    public_url = settings.public_url or ""
    if settings.environment == "production" and public_url.startswith("https://"):
        app.after_request(add_hsts)
    app.add_template_global(static_url)
