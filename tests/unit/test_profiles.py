"""Profiles and following."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from inkwell.models import Follow, User
from inkwell.services.errors import Forbidden, NotFound
from inkwell.services.profiles import follow_user, get_profile, unfollow_user

MakeUser = Callable[..., User]


def test_get_profile_in_any_letter_case(make_user: MakeUser) -> None:
    ada = make_user("Ada")
    view = get_profile(None, "ADA")
    assert view.user is ada
    assert view.following is False


def test_unknown_profile(session: sa.orm.Session) -> None:
    with pytest.raises(NotFound) as caught:
        get_profile(None, "nobody")
    assert caught.value.errors == {"profile": ["not found"]}


def test_follow_and_unfollow_are_idempotent(make_user: MakeUser, session: sa.orm.Session) -> None:
    reader = make_user()
    make_user("writer")
    assert follow_user(reader, "writer").following is True
    assert follow_user(reader, "WRITER").following is True
    assert get_profile(reader, "writer").following is True
    assert session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 1
    assert unfollow_user(reader, "writer").following is False
    assert unfollow_user(reader, "writer").following is False
    assert get_profile(reader, "writer").following is False


def test_following_is_one_way(make_user: MakeUser) -> None:
    reader, writer = make_user(), make_user("writer")
    follow_user(reader, "writer")
    assert get_profile(writer, reader.username).following is False


def test_cannot_follow_oneself(make_user: MakeUser) -> None:
    user = make_user("narcissus")
    with pytest.raises(Forbidden) as refused:
        follow_user(user, "Narcissus")
    assert refused.value.errors == {"profile": ["cannot follow yourself"]}


def test_database_refuses_a_self_follow(make_user: MakeUser, session: sa.orm.Session) -> None:
    user = make_user()
    # PyMySQL reports MariaDB's failed CHECK as an OperationalError.
    with pytest.raises((sa.exc.IntegrityError, sa.exc.OperationalError)), session.begin_nested():
        session.add(Follow(follower_id=user.id, followee_id=user.id))


def test_follow_unknown_user(make_user: MakeUser) -> None:
    with pytest.raises(NotFound):
        follow_user(make_user(), "ghost")
    with pytest.raises(NotFound):
        unfollow_user(make_user(), "ghost")
