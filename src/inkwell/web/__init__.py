"""The server-rendered site: pages for readers and writers over the same services as the API.

Views translate forms and URLs into service calls and render templates; each
request commits once (after_request), and domain errors become error pages or
messages next to form fields.
"""

from __future__ import annotations

from flask import Blueprint

from inkwell.database import end_request_transaction

bp = Blueprint("web", __name__)
# The request's one commit: kept on success and redirects, undone on errors.
bp.after_request(end_request_transaction)


from inkwell.web import accounts, articles, feeds, profiles  # noqa: E402, F401  (routes)
