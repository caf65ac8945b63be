"""Articles and comments in the dashboard: every one, and taking them down."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from inkwell.http import writes
from inkwell.services import moderation, oversight
from inkwell.web.admin import bp, id_argument, moderator


@bp.get("/articles")
def articles() -> str:
    """Every article, drafts and withheld ones too, newest first."""
    wanted = oversight.ArticleFilter(
        author=request.args.get("author", ""),
        status=request.args.get("status", ""),
        tag=request.args.get("tag", ""),
    )
    rows = oversight.articles(wanted, before_id=id_argument("before"))
    next_before = rows[-1].id if len(rows) == oversight.PAGE_SIZE else None
    return render_template(
        "admin/articles.html",
        rows=rows,
        wanted=wanted,
        next_before=next_before,
        statuses=oversight.ARTICLE_STATUSES,
    )


@bp.post("/articles/<slug>/unpublish")
@writes
def unpublish_article(slug: str) -> Response:
    """Make the article a draft again, with a reason."""
    reason = _reason()
    article = moderation.unpublish_article(moderator(), slug, reason)
    flash(f"“{article.title}” is a draft again.")
    return _back("admin.articles")


@bp.post("/articles/<slug>/delete")
@writes
def delete_article(slug: str) -> Response:
    """Delete the article, with a reason."""
    moderation.delete_article(moderator(), slug, _reason())
    flash("The article is deleted.")
    return _back("admin.articles")


@bp.get("/comments")
def comments() -> str:
    """The newest comments across the site."""
    rows = oversight.recent_comments(before_id=id_argument("before"))
    next_before = rows[-1].comment.id if len(rows) == oversight.PAGE_SIZE else None
    return render_template("admin/comments.html", rows=rows, next_before=next_before)


@bp.post("/comments/<int:comment_id>/delete")
@writes
def delete_comment(comment_id: int) -> Response:
    """Delete the comment, with a reason."""
    moderation.delete_comment(moderator(), comment_id, _reason())
    flash("The comment is deleted.")
    return _back("admin.comments")


def _reason() -> str:
    """The reason typed in the row's form (CSRFProtect has checked its token; a
    blank one is the service's Invalid, shown as a page naming it)."""
    return request.form.get("reason", "")


def _back(endpoint: str) -> Response:
    """Back to the list the form was on, its filters kept."""
    target = request.form.get("back", "")
    listing = url_for(endpoint)
    return redirect(target if target.startswith(listing) else listing)
