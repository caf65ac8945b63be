"""Author pages and following."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from inkwell.http import writes
from inkwell.services.listing import ArticleFilters, Cursor, browse_articles
from inkwell.services.profiles import follow_user, get_profile, unfollow_user
from inkwell.web import bp
from inkwell.web.session import required_user, signed_in_user


@bp.get("/@<username>")
def profile(username: str) -> str:
    """An author's articles."""
    return _profile(username, favorites=False)


@bp.get("/@<username>/favorites")
def profile_favorites(username: str) -> str:
    """The articles an author favorited."""
    return _profile(username, favorites=True)


def _profile(username: str, *, favorites: bool) -> str:
    viewer = signed_in_user()
    person = get_profile(viewer, username)
    before = request.args.get("before")
    filters = (
        ArticleFilters(favorited_by=username) if favorites else ArticleFilters(author=username)
    )
    page = browse_articles(viewer, filters, before=Cursor.parse(before) if before else None)
    return render_template(
        "web/profile.html",
        person=person,
        page=page,
        tab="favorites" if favorites else "articles",
        is_self=viewer is not None and viewer.id == person.user.id,
    )


@bp.post("/@<username>/follow")
@writes
@login_required
def follow(username: str) -> Response:
    """Follow, or with `undo`, unfollow."""
    if request.form.get("undo"):
        person = unfollow_user(required_user(), username)
    else:
        person = follow_user(required_user(), username)
    return redirect(url_for("web.profile", username=person.user.username))
