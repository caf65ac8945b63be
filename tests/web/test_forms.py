"""Pages for writers: sign-up, sign-in, the editor, settings, comments, follows, favorites."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.models import Article, Comment, Favorite, Follow, User
from inkwell.passwords import verify_password
from inkwell.services.comments import add_comment
from tests.conftest import PASSWORD, send_chunked

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]


def rows(session: sa.orm.Session, model: Any) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_sign_up_signs_in(client: Any, submit: Callable, session: sa.orm.Session) -> None:
    response = submit(
        "/register", {"username": "ada", "email": "ada@example.com", "password": "long enough"}
    )
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Welcome to Inkwell, ada." in home and "Sign out" in home


def test_sign_up_errors_sit_next_to_fields_and_keep_values(
    client: Any, submit: Callable, make_user: MakeUser
) -> None:
    make_user("taken")
    response = submit(
        "/register", {"username": "Taken", "email": "not-an-email", "password": "secret-typed"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="email-error">Email is invalid</p>' in page
    assert 'value="Taken"' in page and 'value="not-an-email"' in page
    assert "secret-typed" not in page
    assert 'aria-invalid="true"' in page
    taken = submit(
        "/register", {"username": "Taken", "email": "ok@example.com", "password": "secret-typed"}
    )
    assert 'id="username-error">Username has already been taken</p>' in taken.get_data(as_text=True)


def test_sign_in_and_out(client: Any, submit: Callable, make_user: MakeUser) -> None:
    make_user("ada", "ada@example.com")
    wrong = submit("/login", {"email": "ada@example.com", "password": "nope nope"})
    assert wrong.status_code == 401
    assert "do not match an account" in wrong.get_data(as_text=True)
    assert 'value="ada@example.com"' in wrong.get_data(as_text=True)
    right = submit(
        "/login?next=/settings",
        {"email": "ADA@example.com", "password": PASSWORD, "next": "/settings", "remember": "y"},
    )
    assert right.status_code == 302 and right.headers["Location"] == "/settings"
    assert "remember_token" in right.headers.get("Set-Cookie", "") or any(
        "remember_token" in c for c in right.headers.getlist("Set-Cookie")
    )
    out = submit("/", {}, action="/logout")
    assert out.status_code == 302
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_sign_in_with_a_blank_field_says_so(submit: Callable, make_user: MakeUser) -> None:
    make_user("ada", "ada@example.com")
    blank = submit("/login", {"email": "ada@example.com", "password": ""})
    assert blank.status_code == 422
    page = blank.get_data(as_text=True)
    assert "Password can&#39;t be blank" in page or "Password can't be blank" in page
    assert "do not match an account" not in page


def test_sign_in_never_redirects_off_site(submit: Callable, make_user: MakeUser) -> None:
    make_user("ada", "ada@example.com")
    for target in ["https://evil.example/", "//evil.example/x", "/\\evil"]:
        response = submit(
            "/login", {"email": "ada@example.com", "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == "/", target


def test_sign_in_is_rate_limited(submit: Callable, make_user: MakeUser) -> None:
    make_user("ada", "ada@example.com")
    for _ in range(10):
        assert (
            submit("/login", {"email": "ada@example.com", "password": "wrong wrong"}).status_code
            == 401
        )
    blocked = submit("/login", {"email": "ada@example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_forms_need_a_csrf_token(client: Any, make_user: MakeUser) -> None:
    make_user("ada", "ada@example.com")
    response = client.post("/login", data={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_write_preview_draft_and_publish(
    client: Any, submit: Callable, make_user: MakeUser, sign_in: Callable, session: sa.orm.Session
) -> None:
    sign_in(make_user("writer"))
    article = {
        "title": "My *first*",
        "description": "Hello",
        "body": "Some **bold** text",
        "tags": "intro, misc",
    }
    preview = submit("/editor", {**article, "action": "preview"})
    assert preview.status_code == 200
    assert "<strong>bold</strong>" in preview.get_data(as_text=True)
    assert rows(session, Article) == 0
    saved = submit("/editor", {**article, "action": "draft"})
    assert saved.status_code == 302
    slug = saved.headers["Location"].rsplit("/", 1)[1]
    stored = session.scalar(sa.select(Article).where(Article.slug == slug))
    assert stored is not None and stored.is_draft
    assert sorted(t.name for t in stored.tags) == ["intro", "misc"]
    editing = client.get(f"/editor/{slug}").get_data(as_text=True)
    assert 'value="intro, misc"' in editing and "Some **bold** text" in editing
    published = submit(f"/editor/{slug}", {**article, "title": "My first", "action": "publish"})
    assert published.status_code == 302
    session.expire_all()
    live = session.scalar(sa.select(Article))
    assert live is not None and not live.is_draft and live.slug == "my-first"
    assert "My first" in client.get("/").get_data(as_text=True)


def test_editor_errors_keep_what_was_typed(
    submit: Callable, make_user: MakeUser, sign_in: Callable
) -> None:
    sign_in(make_user())
    response = submit(
        "/editor",
        {
            "title": "",
            "description": "Kept description",
            "body": "Kept body",
            "tags": "a",
            "action": "publish",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Title can&#39;t be blank" in page or "Title can't be blank" in page
    assert 'value="Kept description"' in page and "Kept body" in page


def test_a_nul_typed_into_a_form_is_a_message_on_every_database(
    client: Any, submit: Callable, make_user: MakeUser, sign_in: Callable
) -> None:
    sign_in(make_user())
    typed = {"title": "Null\x00title", "description": "d", "body": "b\x00", "action": "publish"}
    response = submit("/editor", typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Title contains a NUL character, which cannot be stored" in page
    assert "Article (Markdown) contains a NUL character, which cannot be stored" in page
    assert client.get("/drafts").status_code == 200
    assert "Null" not in client.get("/").get_data(as_text=True)


def test_only_the_author_may_edit_or_delete(
    client: Any, submit: Callable, make_user: MakeUser, make_article: MakeArticle, sign_in: Callable
) -> None:
    article = make_article()
    sign_in(make_user())
    assert client.get(f"/editor/{article.slug}").status_code == 403
    page = f"/article/{article.slug}"
    assert submit(page, {}, action=f"/article/{article.slug}/delete").status_code == 403
    assert client.get(page).status_code == 200
    sign_in(article.author)
    assert submit(page, {}, action=f"/article/{article.slug}/delete").status_code == 302
    assert client.get(page).status_code == 404


def test_comment_favorite_and_follow(
    client: Any,
    submit: Callable,
    make_user: MakeUser,
    make_article: MakeArticle,
    sign_in: Callable,
    session: sa.orm.Session,
) -> None:
    article = make_article(make_user("author"))
    reader = make_user("reader")
    sign_in(reader)
    page = f"/article/{article.slug}"
    assert submit(page, {"body": "Lovely"}, action=f"{page}/comments").status_code == 302
    blank = submit(page, {"body": "  "}, action=f"{page}/comments")
    assert blank.status_code == 422 and "can&#39;t be blank" in blank.get_data(as_text=True)
    assert submit(page, {}, action=f"{page}/favorite").status_code == 302
    assert submit("/@author", {}, action="/@author/follow").status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Lovely" in html and "Unfavorite (1)" in html and "Unfollow author" in html
    assert (rows(session, Comment), rows(session, Favorite), rows(session, Follow)) == (1, 1, 1)
    submit(page, {"undo": "1"}, action=f"{page}/favorite")
    submit("/@author", {"undo": "1"}, action="/@author/follow")
    assert (rows(session, Favorite), rows(session, Follow)) == (0, 0)


def test_comment_deletion_rights(
    submit: Callable,
    make_user: MakeUser,
    make_article: MakeArticle,
    sign_in: Callable,
    session: sa.orm.Session,
) -> None:
    article = make_article()
    comment = add_comment(make_user(), article.slug, "keep").comment
    session.commit()
    page = f"/article/{article.slug}"
    sign_in(make_user())
    assert submit(page, {}, action=f"{page}/comments/{comment.id}/delete").status_code == 403
    assert rows(session, Comment) == 1
    sign_in(article.author)
    assert submit(page, {}, action=f"{page}/comments/{comment.id}/delete").status_code == 302
    assert rows(session, Comment) == 0


def test_settings_need_the_current_password_for_email_and_password(
    submit: Callable, make_user: MakeUser, sign_in: Callable, session: sa.orm.Session, app: Flask
) -> None:
    user = make_user("ada", "ada@example.com")
    sign_in(user)
    base = {
        "username": "ada",
        "email": "ada@example.com",
        "bio": "",
        "image_url": "",
        "password": "",
        "current_password": "",
    }
    assert submit("/settings", {**base, "bio": "Analyst"}).status_code == 302
    refused = submit("/settings", {**base, "email": "new@example.com", "current_password": "wrong"})
    assert refused.status_code == 422
    assert "is incorrect" in refused.get_data(as_text=True)
    assert (
        submit(
            "/settings",
            {
                **base,
                "bio": "Analyst",
                "email": "new@example.com",
                "password": "new password!",
                "current_password": PASSWORD,
            },
        ).status_code
        == 302
    )
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None
    assert (stored.email, stored.bio) == ("new@example.com", "Analyst")
    assert verify_password(stored.password_hash, "new password!")


def test_a_commit_the_database_drops_is_the_503_page(
    client: Any,
    submit: Callable,
    sign_in: Callable[[User], None],
    make_user: MakeUser,
    session: sa.orm.Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(make_user())

    def commit() -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(session, "commit", commit)
    article = {"title": "Kept?", "description": "d", "body": "b", "tags": "", "action": "publish"}
    response = submit("/editor", article)
    assert response.status_code == 503
    assert "Back in a moment" in response.get_data(as_text=True)
    assert rows(session, Article) == 0


def test_a_chunked_form_over_the_limit_is_refused_not_cut_short(app: Flask, client: Any) -> None:
    """Werkzeug stops a body sent without a length at the limit; the part read
    would otherwise be taken for the whole form."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    form = urlencode({"title": "Cut", "description": "d", "body": "x" * limit})
    status, page = send_chunked(
        app, "/editor", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status.startswith("413")
    assert b"more text than Inkwell accepts" in page


def test_a_common_password_is_refused_on_the_form(submit: Callable) -> None:
    form = {"username": "ada", "email": "ada@example.com", "password": "12345678"}
    response = submit("/register", form)
    assert response.status_code == 422
    assert "Password is too common or too easy to guess" in response.get_data(as_text=True)
