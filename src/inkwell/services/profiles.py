"""Looking people up, and following them."""

from __future__ import annotations

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Follow, User
from inkwell.models.identity import identity_key
from inkwell.services.errors import Forbidden, NotFound
from inkwell.services.persistence import add_once
from inkwell.services.results import ProfileView


def find_user(username: str) -> User:
    """The user called `username` in any letter case. Raises NotFound("profile").

    A suspended account is not found by anyone, as its articles are not,
    until it is reinstated.
    """
    user = db.session.scalar(
        sa.select(User).where(
            User.username_key == identity_key(username), User.suspended_at.is_(None)
        )
    )
    if user is None:
        raise NotFound("profile")
    return user


def get_profile(viewer: User | None, username: str) -> ProfileView:
    """`username` as `viewer` sees them: with whether the viewer follows them."""
    user = find_user(username)
    following = viewer is not None and db.session.get(Follow, (viewer.id, user.id)) is not None
    return ProfileView(user, following)


def follow_user(follower: User, username: str) -> ProfileView:
    """Make `follower` follow `username`; following twice changes nothing."""
    followee = find_user(username)
    if followee.id == follower.id:
        # Not a malformed request but a refused one: 403, like acting on
        # another's article, with the reason.
        raise Forbidden("profile", "cannot follow yourself")
    add_once(Follow(follower_id=follower.id, followee_id=followee.id))
    return ProfileView(followee, following=True)


def unfollow_user(follower: User, username: str) -> ProfileView:
    """Make `follower` stop following `username`; unfollowing twice changes nothing."""
    followee = find_user(username)
    db.session.execute(
        sa.delete(Follow).where(
            Follow.follower_id == follower.id, Follow.followee_id == followee.id
        )
    )
    return ProfileView(followee, following=False)
