"""The dashboard at /admin: one blueprint, one guard, for editors and administrators.

The guard sends readers to sign in and refuses members with a 403 page. It
is only the first check: every action is a service call that checks the
actor's role itself (`inkwell.services.roles`), so an admin-only action
refuses an editor even here.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from inkwell.http import error_page
from inkwell.models import User, utcnow
from inkwell.models.base import ID_MAX
from inkwell.web.session import login_manager, required_user, signed_in_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _guard() -> Response | None:
    user = signed_in_user()
    if user is None:
        response: Response = login_manager.unauthorized()
        return response
    if not user.can_moderate:
        return error_page(403, "The dashboard is for editors and administrators.")
    return None


def moderator() -> User:
    """The signed-in editor or administrator (the guard has let them in)."""
    return required_user()


def id_argument(name: str) -> int | None:
    """A query argument naming a row by id (a page's `before`, a filter), or None
    when absent or no id at all: a larger number would be the database's error."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= ID_MAX else None


def ago(moment: datetime | None) -> str:
    """'3 days ago' and the like; the exact time goes in the cell's `datetime`."""
    if moment is None:
        return "never"
    seconds = int((utcnow() - moment).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            number = seconds // size
            return f"{number} {unit}{'s' if number != 1 else ''} ago"
    return "just now"


def file_size(count: int | None) -> str:
    """'12.3 MB' and the like (powers of 1,024); the exact count goes in the cell's title."""
    if count is None:
        return "unknown"
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024:
            return f"{count:,} bytes" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"


@bp.record_once
def _offer_filters(state: BlueprintSetupState) -> None:
    state.app.jinja_env.filters["ago"] = ago
    state.app.jinja_env.filters["file_size"] = file_size


from inkwell.web.admin import (  # noqa: E402, F401  (routes)
    audit_log,
    content,
    database,
    growth,
    health,
    home,
    users,
    views,
)
