"""Profiles and following."""

from __future__ import annotations

from inkwell.api.blueprint import route, signed_in, viewer
from inkwell.api.schemas import ProfileResponse, UsernamePath, documented, profile_json
from inkwell.services.profiles import follow_user, get_profile, unfollow_user

TAG = "Profile"


@route(
    "get",
    "/profiles/<username>",
    auth="optional",
    tag=TAG,
    summary="A profile",
    responses={200: documented(ProfileResponse)},
    errors=(404,),
)
def profile(path: UsernamePath) -> ProfileResponse:
    """A user as the caller sees them."""
    return {"profile": profile_json(get_profile(viewer(), path.username))}


@route(
    "post",
    "/profiles/<username>/follow",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Follow a user",
    responses={200: documented(ProfileResponse)},
    errors=(403, 404),  # 403: following oneself
)
def follow(path: UsernamePath) -> ProfileResponse:
    """Follow; following twice changes nothing."""
    return {"profile": profile_json(follow_user(signed_in(), path.username))}


@route(
    "delete",
    "/profiles/<username>/follow",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Unfollow a user",
    responses={200: documented(ProfileResponse)},
    errors=(404,),
)
def unfollow(path: UsernamePath) -> ProfileResponse:
    """Stop following; unfollowing twice changes nothing."""
    return {"profile": profile_json(unfollow_user(signed_in(), path.username))}
