"""The dashboard's pages: the guard, CSRF, every action through its form, and the
statements each page runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from inkwell.models import Article, AuditEvent, Comment, User
from inkwell.services.comments import add_comment
from tests.web.conftest import as_a_new_request, csrf_token

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]
PAGES = [
    "/admin/",
    "/admin/growth?days=365",
    "/admin/users",
    "/admin/articles",
    "/admin/comments",
    "/admin/audit",
]
# Every page of the dashboard, Health and Database included (their own tests are
# in test_admin_health.py).
GUARDED = [*PAGES, "/admin/health", "/admin/database"]


def actions(session: sa.orm.Session) -> list[tuple[str, str, str]]:
    rows = session.execute(
        sa.select(AuditEvent.actor_name, AuditEvent.action, AuditEvent.reason).order_by(
            AuditEvent.id
        )
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_readers_are_sent_to_sign_in_and_members_refused(
    client: Any, make_user: MakeUser, sign_in: Callable[[User], None]
) -> None:
    for page in GUARDED:
        response = client.get(page)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=%2Fadmin%2F")
    sign_in(make_user())
    for page in GUARDED:
        as_a_new_request()
        response = client.get(page)
        assert response.status_code == 403
        assert "The dashboard is for editors and administrators." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_see_every_page(
    client: Any, make_user: MakeUser, sign_in: Callable[[User], None], role: str
) -> None:
    sign_in(make_user(role=role))
    for page in PAGES:
        as_a_new_request()
        response = client.get(page)
        assert response.status_code == 200, page
        assert 'aria-label="Dashboard"' in response.get_data(as_text=True)


def test_pages_run_a_fixed_number_of_statements(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    make_article: MakeArticle,
    sign_in: Callable[[User], None],
    count_queries: Callable[..., Any],
) -> None:
    admin = make_user("root", role="admin")
    sign_in(admin)

    def costs() -> dict[str, int]:
        author = make_user()
        article = make_article(author, tags=("t", "u"))
        add_comment(make_user(), article.slug, "hello")
        session.commit()  # in its own unit, as a reader's comment is: not in the next page's
        result = {}
        for page in [*PAGES, f"/admin/user/{author.username}"]:
            as_a_new_request()
            with count_queries() as statements:
                assert client.get(page.replace("/user/", "/users/")).status_code == 200
            name = page.removeprefix("/admin/").split("/")[0].split("?")[0]
            result[name or "home"] = statements()
        return result

    costs()  # the first visit of the day rolls up the finished days
    few = costs()
    for _ in range(6):
        costs()
    assert costs() == few
    # The signed-in user (with their session) is one statement of each.
    assert few == {
        "home": 6,
        "growth": 8,
        "users": 2,
        "user": 4,
        "articles": 3,
        "comments": 2,
        "audit": 2,
    }


def test_an_admin_changes_a_role_through_the_form(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    sign_in: Callable[[User], None],
    submit: Callable[..., Any],
) -> None:
    sign_in(make_user("root", role="admin"))
    ada = make_user("ada")
    page = "/admin/users/ada"
    blank = submit(page, {"role": "editor", "reason": " "}, action=f"{page}/role")
    assert blank.status_code == 422
    assert "Reason (kept in the audit log) can&#39;t be blank" in blank.get_data(as_text=True)
    done = submit(page, {"role": "editor", "reason": "trusted"}, action=f"{page}/role")
    assert done.status_code == 302 and done.headers["Location"] == page
    session.refresh(ada)
    assert ada.role == "editor"
    assert actions(session) == [("root", "role.change", "trusted")]


def test_an_editor_cannot_change_roles_even_with_a_forged_form(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    sign_in: Callable[[User], None],
) -> None:
    sign_in(make_user("ed", role="editor"))
    make_user("ada")
    page = client.get("/admin/users/ada").get_data(as_text=True)
    assert "Change role" not in page
    as_a_new_request()
    token = csrf_token(client, "/admin/users/ada")
    forged = client.post(
        "/admin/users/ada/role", data={"role": "admin", "reason": "me", "csrf_token": token}
    )
    assert forged.status_code == 403
    assert "Needs the admin role." in forged.get_data(as_text=True)
    assert actions(session) == []


def test_every_action_needs_its_csrf_token(
    client: Any, make_user: MakeUser, make_article: MakeArticle, sign_in: Callable[[User], None]
) -> None:
    sign_in(make_user(role="admin"))
    article = make_article(make_user("ada"))
    for action in [
        "/admin/users/ada/role",
        "/admin/users/ada/suspend",
        "/admin/users/ada/reinstate",
        f"/admin/articles/{article.slug}/unpublish",
        f"/admin/articles/{article.slug}/delete",
        "/admin/comments/1/delete",
    ]:
        refused = client.post(action, data={"reason": "spam", "role": "admin"})
        assert refused.status_code == 400, action
        assert "The form expired" in refused.get_data(as_text=True)


def test_an_editor_suspends_and_reinstates_a_member(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    make_article: MakeArticle,
    sign_in: Callable[[User], None],
    submit: Callable[..., Any],
) -> None:
    sign_in(make_user("ed", role="editor"))
    slug = make_article(make_user("ada")).slug
    page = "/admin/users/ada"
    blank = submit(page, {"reason": ""}, action=f"{page}/suspend")
    assert blank.status_code == 422
    assert session.scalar(sa.select(User.suspended_at).where(User.username == "ada")) is None
    done = submit(page, {"reason": "spam links"}, action=f"{page}/suspend")
    assert done.status_code == 302
    as_a_new_request()
    assert client.get(f"/article/{slug}").status_code == 404
    shown = client.get(page).get_data(as_text=True)
    assert "Suspended" in shown and "Reinstate ada" in shown
    listed = client.get("/admin/users?status=suspended").get_data(as_text=True)
    assert ">ada</a>" in listed
    back = submit(page, {"reason": "appealed"}, action=f"{page}/reinstate")
    assert back.status_code == 302
    as_a_new_request()
    assert client.get(f"/article/{slug}").status_code == 200
    assert actions(session) == [
        ("ed", "user.suspend", "spam links"),
        ("ed", "user.reinstate", "appealed"),
    ]


def test_an_editor_cannot_suspend_an_admin_or_themselves(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    sign_in: Callable[[User], None],
    submit: Callable[..., Any],
) -> None:
    sign_in(make_user("ed", role="editor"))
    make_user("root", role="admin")
    refused = submit("/admin/users/root", {"reason": "coup"}, action="/admin/users/root/suspend")
    assert refused.status_code == 403
    self_page = client.get("/admin/users/ed").get_data(as_text=True)
    assert "Suspend ed" not in self_page
    forged = submit("/admin/users/root", {"reason": "x"}, action="/admin/users/ed/suspend")
    assert forged.status_code == 403
    assert actions(session) == []


def test_articles_are_filtered_unpublished_and_deleted_with_a_reason(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    make_article: MakeArticle,
    sign_in: Callable[[User], None],
    submit: Callable[..., Any],
) -> None:
    sign_in(make_user("ed", role="editor"))
    ada, bob = make_user("ada"), make_user("bob")
    spam = make_article(ada, "Cheap pills", tags=("spam",))
    make_article(ada, "Ada's draft", publish=False)
    make_article(bob, "Bob's essay", tags=("essays",))
    listing = client.get("/admin/articles?author=ADA").get_data(as_text=True)
    assert "Cheap pills" in listing and "Ada&#39;s draft" in listing
    assert "Bob&#39;s essay" not in listing
    for action in ("unpublish", "delete"):
        assert f'action="/admin/articles/{spam.slug}/{action}"' in listing
    drafts = client.get("/admin/articles?status=draft").get_data(as_text=True)
    assert "Ada&#39;s draft" in drafts and "Cheap pills" not in drafts
    tagged = client.get("/admin/articles?tag=essays").get_data(as_text=True)
    assert "Bob&#39;s essay" in tagged and "Cheap pills" not in tagged
    page = "/admin/articles?author=ada"
    hidden = submit(
        page, {"reason": "spam", "back": page}, f"/admin/articles/{spam.slug}/unpublish"
    )
    assert hidden.status_code == 302 and hidden.headers["Location"] == page
    as_a_new_request()
    assert client.get(f"/article/{spam.slug}").status_code == 404
    gone = submit(page, {"reason": "still spam"}, f"/admin/articles/{spam.slug}/delete")
    assert gone.status_code == 302 and gone.headers["Location"] == "/admin/articles"
    assert session.scalar(sa.select(Article).where(Article.slug == spam.slug)) is None
    again = submit(page, {"reason": "twice"}, f"/admin/articles/{spam.slug}/delete")
    assert again.status_code == 404
    blank = submit(page, {"reason": " "}, f"/admin/articles/{spam.slug}/delete")
    assert blank.status_code in (400, 404)
    assert [row[1:] for row in actions(session)] == [
        ("article.unpublish", "spam"),
        ("article.delete", "still spam"),
    ]


def test_comments_are_listed_newest_first_and_deleted_with_a_reason(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    make_article: MakeArticle,
    sign_in: Callable[[User], None],
    submit: Callable[..., Any],
) -> None:
    sign_in(make_user("ed", role="editor"))
    article = make_article(make_user("ada"))
    first = add_comment(make_user("bob"), article.slug, "first!").comment
    add_comment(make_user("eve"), article.slug, "buy <b>pills</b> now")
    session.commit()
    listing = client.get("/admin/comments").get_data(as_text=True)
    assert listing.index("buy &lt;b&gt;pills&lt;/b&gt; now") < listing.index("first!")
    assert f'action="/admin/comments/{first.id}/delete"' in listing
    blank = submit("/admin/comments", {"reason": ""}, f"/admin/comments/{first.id}/delete")
    assert blank.status_code == 400
    assert "reason can&#39;t be blank" in blank.get_data(as_text=True)
    done = submit("/admin/comments", {"reason": "off topic"}, f"/admin/comments/{first.id}/delete")
    assert done.status_code == 302
    assert session.get(Comment, first.id) is None
    event = session.scalars(sa.select(AuditEvent)).one()
    assert (event.action, event.target_name) == ("comment.delete", "by bob: first!")
    missing = submit("/admin/comments", {"reason": "x"}, "/admin/comments/99999999999/delete")
    assert missing.status_code == 404


def test_the_audit_log_filters_and_hostile_arguments_are_harmless(
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    sign_in: Callable[[User], None],
    submit: Callable[..., Any],
) -> None:
    sign_in(make_user("root", role="admin"))
    make_user("ada")
    make_user("bob")
    for name, role in [("ada", "editor"), ("bob", "editor")]:
        submit(
            f"/admin/users/{name}",
            {"role": role, "reason": f"promote {name}"},
            f"/admin/users/{name}/role",
        )
    as_a_new_request()
    every = client.get("/admin/audit").get_data(as_text=True)
    assert every.index("promote bob") < every.index("promote ada")
    ada = session.scalar(sa.select(User).where(User.username == "ada"))
    assert ada is not None
    one = client.get(f"/admin/audit?target_type=user&target_id={ada.id}").get_data(as_text=True)
    assert "promote ada" in one and "promote bob" not in one
    nobody = client.get("/admin/audit?actor=ada").get_data(as_text=True)
    assert "No entry matches." in nobody
    for hostile in [
        "/admin/audit?target_id=99999999999999999999&before=-1",
        "/admin/audit?target_id=abc&action=%00",
        "/admin/users?q=%25_%5C&before=99999999999999",
        "/admin/users?role=owner&status=gone",
        "/admin/articles?tag=%00&author=%F0%9F%92%A9&status=x",
        "/admin/comments?before=0",
    ]:
        # A NUL, which PostgreSQL cannot store, is refused there as bad input.
        allowed = (200, 400) if "%00" in hostile else (200,)
        assert client.get(hostile).status_code in allowed, hostile
    assert client.get("/admin/users/nobody").status_code == 404
