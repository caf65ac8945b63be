"""Moderation services: who may act on whom, what each action does, and its audit entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from inkwell.models import Article, AuditEvent, Comment, User, UserSession
from inkwell.services import moderation, totals
from inkwell.services.audit import COMMAND_LINE
from inkwell.services.comments import add_comment
from inkwell.services.errors import Forbidden, Invalid, NotFound
from inkwell.services.roles import LAST_ADMIN
from inkwell.services.sessions import start_session

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]


def log(session: sa.orm.Session) -> list[tuple[Any, ...]]:
    rows = session.execute(
        sa.select(
            AuditEvent.actor_name, AuditEvent.action, AuditEvent.target_name, AuditEvent.detail
        ).order_by(AuditEvent.id)
    )
    return [tuple(row) for row in rows]


def test_an_editor_suspends_a_member_who_is_signed_out_everywhere(
    session: sa.orm.Session, make_user: MakeUser, make_article: MakeArticle
) -> None:
    editor = make_user("ed", role="editor")
    ada = make_user("ada")
    make_article(ada, "One")
    make_article(ada, "Two")
    start_session(ada)
    version = ada.credential_version
    before = totals.published_total()
    moderation.suspend_user(editor, "ada", "spam")
    assert ada.suspended_at is not None and ada.credential_version == version + 1
    assert session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
    assert totals.published_total() == before - 2
    assert log(session) == [("ed", "user.suspend", "ada", "2 articles hidden")]
    moderation.suspend_user(editor, "ada", "again")  # changes nothing, logs nothing
    moderation.reinstate_user(editor, "ada", "appeal")
    assert ada.suspended_at is None and totals.published_total() == before
    moderation.reinstate_user(editor, "ada", "again")
    assert log(session)[1:] == [("ed", "user.reinstate", "ada", "2 articles shown")]


@pytest.mark.parametrize("target_role", ["editor", "admin"])
def test_an_editor_acts_on_members_only(
    session: sa.orm.Session, make_user: MakeUser, target_role: str
) -> None:
    editor = make_user("ed", role="editor")
    make_user("other", role=target_role)
    make_user("root", role="admin")
    with pytest.raises(Forbidden):
        moderation.suspend_user(editor, "other", "coup")
    assert log(session) == []


def test_nobody_suspends_themselves_or_the_last_admin(
    session: sa.orm.Session, make_user: MakeUser
) -> None:
    root = make_user("root", role="admin")
    with pytest.raises(Forbidden):
        moderation.suspend_user(root, "root", "tired")
    with pytest.raises(Forbidden) as refused:
        moderation.suspend_user(COMMAND_LINE, "root", "locked out")
    assert refused.value.errors == {"user": [LAST_ADMIN]}
    make_user("second", role="admin")
    moderation.suspend_user(COMMAND_LINE, "root", "locked out")
    assert root.suspended_at is not None


def test_members_cannot_moderate_and_a_reason_is_required(
    session: sa.orm.Session, make_user: MakeUser, make_article: MakeArticle
) -> None:
    member = make_user("mia")
    article = make_article(make_user("ada"))
    for action in (
        lambda: moderation.suspend_user(member, "ada", "x"),
        lambda: moderation.unpublish_article(member, article.slug, "x"),
        lambda: moderation.delete_article(member, article.slug, "x"),
        lambda: moderation.delete_comment(member, 1, "x"),
    ):
        with pytest.raises(Forbidden):
            action()
    editor = make_user("ed", role="editor")
    with pytest.raises(Invalid):
        moderation.delete_article(editor, article.slug, "  ")
    assert session.get(Article, article.id) is not None and log(session) == []


def test_articles_are_unpublished_and_deleted_with_totals_exact(
    session: sa.orm.Session, make_user: MakeUser, make_article: MakeArticle
) -> None:
    editor = make_user("ed", role="editor")
    article = make_article(make_user("ada"), "Pills", tags=("spam",))
    before = totals.published_total()
    moderation.unpublish_article(editor, article.slug, "spam")
    assert totals.published_total() == before - 1 and totals.tag_total("spam") == 0
    moderation.unpublish_article(editor, article.slug, "twice")  # a draft already
    moderation.delete_article(editor, article.slug, "still spam")
    assert session.scalar(sa.select(Article).where(Article.id == article.id)) is None
    assert totals.published_total() == before - 1
    with pytest.raises(NotFound):
        moderation.delete_article(editor, article.slug, "gone")
    assert [entry[1:3] for entry in log(session)] == [
        ("article.unpublish", f"{article.slug}: Pills"),
        ("article.delete", f"{article.slug}: Pills"),
    ]


def test_comments_are_deleted_with_who_wrote_them_in_the_log(
    session: sa.orm.Session, make_user: MakeUser, make_article: MakeArticle
) -> None:
    editor = make_user("ed", role="editor")
    article = make_article(make_user("ada"))
    comment = add_comment(make_user("bob"), article.slug, "buy\n  pills " + "x" * 200).comment
    moderation.delete_comment(editor, comment.id, "spam")
    assert session.get(Comment, comment.id) is None
    (entry,) = log(session)
    assert entry[1] == "comment.delete" and entry[2].startswith("by bob: buy pills x")
    assert len(entry[2]) == len("by bob: ") + moderation.COMMENT_EXCERPT
    for missing in (comment.id, 0, 2**40):
        with pytest.raises(NotFound):
            moderation.delete_comment(editor, missing, "gone")
