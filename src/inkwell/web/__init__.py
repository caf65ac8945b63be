"""The server-rendered site: pages for readers and writers over the same services as the API.

Views translate forms and URLs into service calls and render templates;
views that write say so (`inkwell.http.writes`), and the shared edge commits
each request once. Domain errors become error pages or messages next to form
fields.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)


from inkwell.web import accounts, articles, feeds, profiles  # noqa: E402, F401  (routes)
