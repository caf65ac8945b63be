"""Reading lists and articles, writing, favoriting and commenting."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from inkwell.http import count_view, for_readers, writes
from inkwell.markdown import render_markdown
from inkwell.models import Article, User
from inkwell.services import articles as service
from inkwell.services.articles import ArticleDraft, ArticleEdit
from inkwell.services.comments import add_comment, comments_on, delete_comment
from inkwell.services.errors import InkwellError
from inkwell.services.favorites import favorite_article, unfavorite_article
from inkwell.services.listing import ArticleFilters, Browse, Cursor, browse_articles, list_drafts
from inkwell.services.rendering import body_html
from inkwell.services.tags import popular_tags
from inkwell.services.views import views_of
from inkwell.transactions import followed_by_write
from inkwell.web import bp
from inkwell.web.forms import ArticleForm, CommentForm, Page, form_status, show_errors
from inkwell.web.session import required_user, signed_in_user

logger = logging.getLogger("inkwell")
PAGE_SIZE = 20
POPULAR_TAGS = 20
POPULAR_TAGS_SECONDS = 60


def _safe(html: str) -> Markup:
    """HTML the renderer made (sanitised by nh3), marked safe for templates."""
    return Markup(html)  # noqa: S704  (sanitised by inkwell.markdown)


def _popular_tags() -> list[str]:
    """The sidebar's popular tags, recounted at most once a minute per process:
    counting every tag use on each page view would grow with the archive, and a
    ranking a minute old is still right for a sidebar."""
    cached = current_app.extensions.get("inkwell.popular_tags")
    now = time.monotonic()
    if cached is None or cached[0] < now:
        cached = (now + POPULAR_TAGS_SECONDS, popular_tags(POPULAR_TAGS))
        current_app.extensions["inkwell.popular_tags"] = cached
    tags: list[str] = cached[1]
    return tags


def _browse(filters: ArticleFilters, *, feed: bool = False) -> Browse:
    before = request.args.get("before")
    viewer = signed_in_user()
    return browse_articles(
        viewer,
        filters,
        before=Cursor.parse(before) if before else None,
        limit=PAGE_SIZE,
        feed_of=viewer if feed else None,
    )


@bp.get("/")
@for_readers
def home() -> str:
    """The newest articles, and the tags people use most."""
    page = _browse(ArticleFilters())
    tags = _popular_tags()
    return render_template("web/home.html", page=page, tags=tags, tab="global")


@bp.get("/feed")
@login_required
def feed() -> str:
    """The newest articles by the authors one follows."""
    page = _browse(ArticleFilters(), feed=True)
    tags = _popular_tags()
    return render_template("web/home.html", page=page, tags=tags, tab="feed")


@bp.get("/tag/<name>")
@for_readers
def tag(name: str) -> str:
    """Articles carrying one tag."""
    page = _browse(ArticleFilters(tag=name))
    return render_template("web/tag.html", page=page, tag=name)


@bp.get("/article/<slug>")
@for_readers
def article(slug: str) -> str:
    """An article, rendered, with its comments."""
    viewer = signed_in_user()
    return _article_page(viewer, slug, CommentForm() if viewer else None)


def _article_page(viewer: User | None, slug: str, form: CommentForm | None) -> str:
    """The article page: the article's stored HTML, its comments, the comment form
    (for someone signed in; a reader gets none: making one would put a CSRF token
    in their session, a cookie, and every reader's page would differ) and, for its
    author, how often it was read. Shown by a GET, it counts as a view."""
    view = service.get_article(viewer, slug, with_html=True)
    shown = view.article
    if request.method == "GET":
        count_view(shown.id, author_id=shown.author_id, viewer_id=viewer.id if viewer else None)
    own = viewer is not None and viewer.id == shown.author_id
    return render_template(
        "web/article.html",
        view=view,
        body=_safe(body_html(shown)),
        comments=comments_on(viewer, shown),
        form=form,
        views=_views_for_author(shown.id) if own else None,
    )


def _views_for_author(article_id: int) -> int | None:
    """The article's views; None (the page goes without them) while an analytics
    database of its own cannot be reached: a figure, never a reason to fail a page."""
    try:
        return views_of([article_id]).get(article_id, 0)
    except sa.exc.OperationalError as error:
        logger.warning("the author's view count is not shown: %s", error)
        return None


@bp.post("/article/<slug>/favorite")
@writes
@login_required
def favorite(slug: str) -> Response:
    """Favorite, or with `undo`, unfavorite."""
    if request.form.get("undo"):
        unfavorite_article(required_user(), slug)
    else:
        favorite_article(required_user(), slug)
    return redirect(url_for("web.article", slug=slug))


@bp.post("/article/<slug>/comments")
@writes
@login_required
def comment(slug: str) -> Page:
    """Add a comment; on a problem, show the article with the message."""
    form = CommentForm()
    if form.validate_on_submit():
        try:
            add_comment(required_user(), slug, form.body.data or "")
        except InkwellError as error:
            if "body" not in error.errors:
                raise
            show_errors(form, error)
        else:
            return redirect(url_for("web.article", slug=slug, _anchor="comments"))
    return _article_page(required_user(), slug, form), 422


@bp.post("/article/<slug>/comments/<int:comment_id>/delete")
@writes
@login_required
def remove_comment(slug: str, comment_id: int) -> Response:
    """Delete one's comment, or any comment on one's article."""
    delete_comment(required_user(), slug, comment_id)
    flash("The comment is deleted.")
    return redirect(url_for("web.article", slug=slug, _anchor="comments"))


@bp.post("/article/<slug>/delete")
@writes
@login_required
def remove_article(slug: str) -> Response:
    """Delete one's article."""
    service.delete_article(required_user(), slug)
    flash("The article is deleted.")
    return redirect(url_for("web.home"))


@bp.route("/editor", methods=["GET", "POST"])
@bp.route("/editor/<slug>", methods=["GET", "POST"])
@login_required  # writes in a unit of its own: see _save
def editor(slug: str | None = None) -> Page:
    """Write or edit: preview, save as a draft, or publish."""
    user = required_user()
    existing = service.find_own_article(user, slug) if slug else None
    form = ArticleForm()
    if request.method == "GET" and existing is not None:
        form.title.data = existing.title
        form.description.data = existing.description
        form.body.data = existing.body
        form.tags.data = ", ".join(tag.name for tag in existing.tags)
    preview = None
    if form.validate_on_submit():
        action = request.form.get("action", "draft")
        if action == "preview":
            preview = _safe(render_markdown(form.body.data or ""))
        else:
            try:
                saved = _save(form, existing, publish=action == "publish")
            except InkwellError as error:
                show_errors(form, error)
            else:
                flash("Published." if saved.published_at else "Draft saved.")
                return redirect(url_for("web.article", slug=saved.slug))
    return render_template(
        "web/editor.html", form=form, article=existing, preview=preview
    ), form_status(form)


def _save(form: ArticleForm, existing: Article | None, *, publish: bool) -> Article:
    """Write the form's article in a writing unit of its own, which a new article
    begins only once it is checked, rendered and has a slug (`prepare_article`)."""
    user = required_user()
    if existing is None:
        draft = ArticleDraft(
            form.title.data or "",
            form.description.data or "",
            form.body.data or "",
            form.tag_list(),
        )
        ready = service.prepare_article(draft)
        with followed_by_write():
            return service.create_article(user, ready, publish=publish).article
    edit = ArticleEdit(
        form.title.data or "", form.description.data or "", form.body.data or "", form.tag_list()
    )
    with followed_by_write():
        return service.update_article(user, existing.slug, edit, publish=publish).article


@bp.get("/drafts")
@login_required
def drafts() -> str:
    """One's unpublished articles."""
    return render_template("web/drafts.html", drafts=list_drafts(required_user()))
