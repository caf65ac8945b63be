"""The server-rendered site: pages for readers and writers over the same services as the API.

Views translate forms and URLs into service calls and render templates;
views that write say so (`inkwell.http.writes`), and the shared edge commits
each request once. Domain errors become error pages or messages next to form
fields.
"""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from inkwell.web.fragments import article_card

bp = Blueprint("web", __name__)


@bp.record_once
def _offer_fragments(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals["article_card"] = article_card


from inkwell.web import accounts, articles, feeds, profiles, search  # noqa: E402, F401  (routes)
