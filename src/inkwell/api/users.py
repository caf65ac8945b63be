"""Sign-up, sign-in and the signed-in user's account."""

from __future__ import annotations

from inkwell.api.blueprint import route, signed_in
from inkwell.api.schemas import (
    LoginRequest,
    NewUserRequest,
    UpdateUserRequest,
    UserResponse,
    documented,
    user_json,
)
from inkwell.api.tokens import issue_token
from inkwell.extensions import limiter
from inkwell.ratelimits import limited_sign_in, register_limit
from inkwell.services.accounts import (
    AccountChanges,
    authenticate,
    prepare_account_changes,
    record_sign_in,
    register,
    update_account,
)
from inkwell.services.validation import UNSET
from inkwell.transactions import followed_by_write


@route(
    "post",
    "/users/login",
    auth="none",
    writes=False,  # verifying a password must not wait for writers
    tag="User and Authentication",
    summary="Sign in",
    responses={200: documented(UserResponse)},
    errors=(401, 403, 429),
)
def login(body: LoginRequest) -> UserResponse:
    """Exchange an email and password for the user and a token (403 for a suspended
    account); the sign-in is recorded in a short write after the password check."""
    with limited_sign_in(body.user.email):
        user = authenticate(body.user.email, body.user.password)
    with followed_by_write():
        record_sign_in(user)
    return user_json(user, issue_token(user))


@route(
    "post",
    "/users",
    auth="none",
    writes=True,
    tag="User and Authentication",
    summary="Register",
    responses={201: documented(UserResponse)},
    errors=(409, 429),
)
@limiter.limit(register_limit)
def create_user(body: NewUserRequest) -> tuple[UserResponse, int]:
    """Create an account and sign it in."""
    user = register(body.user.username, body.user.email, body.user.password)
    return user_json(user, issue_token(user)), 201


@route(
    "get",
    "/user",
    auth="required",
    tag="User and Authentication",
    summary="The signed-in user",
    responses={200: documented(UserResponse)},
)
def current_user() -> UserResponse:
    """The signed-in user with a fresh token."""
    user = signed_in()
    return user_json(user, issue_token(user))


@route(
    "put",
    "/user",
    auth="required",
    writes=False,  # but in a unit of its own, after the checks and hashing
    tag="User and Authentication",
    summary="Update the signed-in user",
    responses={200: documented(UserResponse)},
    errors=(409,),
)
def update_current_user(body: UpdateUserRequest) -> UserResponse:
    """Change any of email, username, password, bio and image; returns a fresh token."""
    given = body.user.model_dump(include=body.user.model_fields_set)
    changes = AccountChanges(
        username=given.get("username", UNSET),
        email=given.get("email", UNSET),
        password=given.get("password", UNSET),
        bio=given.get("bio", UNSET),
        image_url=given.get("image", UNSET),
    )
    user = signed_in()
    ready = prepare_account_changes(user, changes)
    with followed_by_write():
        update_account(user, ready)
    return user_json(user, issue_token(user))
