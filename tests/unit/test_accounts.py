"""Registering, signing in and changing one's account."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from inkwell.models import User
from inkwell.services import accounts
from inkwell.services.accounts import AccountChanges, authenticate, register, update_account
from inkwell.services.errors import Conflict, Invalid, Unauthorized
from tests.conftest import PASSWORD

MakeUser = Callable[..., User]


def test_register_stores_an_argon2id_hash(session: sa.orm.Session) -> None:
    user = register("Ada", "Ada@Example.com", "s3cret-password")
    assert user.id is not None
    assert user.username == "Ada"
    assert user.email == "Ada@Example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert user.bio is None and user.image_url is None and user.role == "member"
    assert user.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("username", "email", "password", "errors"),
    [
        ("", "a@example.com", "long-enough", {"username": ["can't be blank"]}),
        ("   ", "a@example.com", "long-enough", {"username": ["can't be blank"]}),
        ("ada", "", "long-enough", {"email": ["can't be blank"]}),
        ("ada", "a@example.com", "", {"password": ["can't be blank"]}),
        ("ada", "not-an-email", "long-enough", {"email": ["is invalid"]}),
        ("ada", "a@b", "long-enough", {"email": ["is invalid"]}),
        ("ada", "a@example.com", "short", {"password": ["is too short (minimum is 8 characters)"]}),
        ("a" * 41, "a@example.com", "long-enough", {"username": ["is too long (maximum is 40 characters)"]}),
        ("ada lovelace", "a@example.com", "long-enough", {"username": ["may only contain letters, digits, '.', '-' and '_'"]}),
        ("ada/../x", "a@example.com", "long-enough", {"username": ["may only contain letters, digits, '.', '-' and '_'"]}),
        ("ada", "x" * 250 + "@example.com", "long-enough", {"email": ["is too long (maximum is 254 characters)"]}),
    ],
)  # fmt: skip
def test_register_rejects_bad_input(
    session: sa.orm.Session, username: str, email: str, password: str, errors: dict
) -> None:
    with pytest.raises(Invalid) as caught:
        register(username, email, password)
    assert caught.value.errors == errors
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    "password", ["password", "12345678", "qwertyuiop", "P@ssw0rd", "sunshine", "ada-lovelace1"]
)
def test_common_and_guessable_passwords_are_refused(
    session: sa.orm.Session, make_user: MakeUser, password: str
) -> None:
    with pytest.raises(Invalid) as caught:
        register("ada-lovelace", "ada@example.com", password)
    assert caught.value.errors == {"password": [accounts.TOO_EASY]}
    user = make_user("ada-lovelace", "ada@example.com")
    with pytest.raises(Invalid) as caught:
        update_account(user, AccountChanges(password=password))
    assert caught.value.errors == {"password": [accounts.TOO_EASY]}


def test_a_long_or_uncommon_password_is_accepted(session: sa.orm.Session) -> None:
    register("ada", "ada@example.com", "vellum teapot orbit")
    register("grace", "grace@example.com", "x" * 200)


def test_register_reports_every_blank_field_at_once(session: sa.orm.Session) -> None:
    with pytest.raises(Invalid) as caught:
        register("", "", "")
    assert set(caught.value.errors) == {"username", "email", "password"}


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [
        ("ada", "other@example.com", "username"),
        ("ADA", "other@example.com", "username"),
        ("someone", "ada@example.com", "email"),
        ("someone", "ADA@EXAMPLE.COM", "email"),
    ],
)
def test_duplicate_names_in_any_letter_case_conflict(
    make_user: MakeUser, username: str, email: str, field: str
) -> None:
    make_user("Ada", "Ada@example.com")
    with pytest.raises(Conflict) as caught:
        register(username, email, "long-enough")
    assert caught.value.errors == {field: ["has already been taken"]}


def test_the_database_constraint_catches_a_duplicate_the_check_missed(
    make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two concurrent registrations both pass the friendly check; the unique
    constraint must still stop the second one, as a Conflict, not a 500."""
    make_user("ada", "ada@example.com")
    monkeypatch.setattr(accounts, "_ensure_available", lambda **_kwargs: None)
    with pytest.raises(Conflict) as caught:
        register("ADA", "new@example.com", "long-enough")
    assert caught.value.field == "username"
    with pytest.raises(Conflict) as caught:
        register("new", "Ada@Example.com", "long-enough")
    assert caught.value.field == "email"
    # The transaction is still usable after the failed inserts.
    assert register("new", "new@example.com", "long-enough").id is not None


def test_authenticate(make_user: MakeUser) -> None:
    user = make_user("ada", "Ada@example.com")
    assert authenticate("ada@EXAMPLE.com", PASSWORD) is user
    assert authenticate(" Ada@example.com ", PASSWORD) is user


@pytest.mark.parametrize(
    ("email", "password"),
    [("ada@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
)
def test_authenticate_rejects_bad_credentials_without_saying_which(
    make_user: MakeUser, email: str, password: str
) -> None:
    make_user("ada", "ada@example.com")
    with pytest.raises(Unauthorized) as caught:
        authenticate(email, password)
    assert caught.value.errors == {"credentials": ["invalid"]}


def test_authenticate_names_blank_fields_before_looking_anything_up(make_user: MakeUser) -> None:
    make_user("ada", "ada@example.com")
    with pytest.raises(Invalid) as caught:
        authenticate(" ", "")
    assert caught.value.errors == {"email": ["can't be blank"], "password": ["can't be blank"]}


def test_update_account_changes_only_what_is_given(make_user: MakeUser) -> None:
    user = make_user("ada", "ada@example.com", bio="Analyst")
    before = user.updated_at
    update_account(user, AccountChanges(image_url="https://example.com/ada.png"))
    assert user.bio == "Analyst"
    assert user.username == "ada"
    assert user.image_url == "https://example.com/ada.png"
    assert user.updated_at >= before


def test_update_account_empty_bio_and_image_mean_none(make_user: MakeUser) -> None:
    user = make_user("ada", bio="x", image_url="https://example.com/a.png")
    update_account(user, AccountChanges(bio="", image_url=None))
    assert user.bio is None and user.image_url is None


def test_update_account_new_password_signs_in(make_user: MakeUser) -> None:
    user = make_user("ada", "ada@example.com")
    update_account(user, AccountChanges(password="a brand new one"))
    assert authenticate("ada@example.com", "a brand new one") is user
    with pytest.raises(Unauthorized):
        authenticate("ada@example.com", PASSWORD)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (AccountChanges(username=""), {"username": ["can't be blank"]}),
        (AccountChanges(username=None), {"username": ["can't be blank"]}),
        (AccountChanges(email=None), {"email": ["can't be blank"]}),
        (AccountChanges(email="nope"), {"email": ["is invalid"]}),
        (AccountChanges(password="short"), {"password": ["is too short (minimum is 8 characters)"]}),
        (AccountChanges(image_url="javascript:alert(1)"), {"image": ["must be an http or https URL"]}),
        (AccountChanges(image_url="HTTP://["), {"image": ["must be an http or https URL"]}),
        (AccountChanges(image_url="https:///no-host"), {"image": ["must be an http or https URL"]}),
        (AccountChanges(image_url="https://a.example/b c"), {"image": ["must be an http or https URL"]}),
        (AccountChanges(bio="b" * 2001), {"bio": ["is too long (maximum is 2000 characters)"]}),
    ],
)  # fmt: skip
def test_update_account_rejects_bad_input(
    make_user: MakeUser, changes: AccountChanges, errors: dict
) -> None:
    user = make_user("ada", "ada@example.com")
    with pytest.raises(Invalid) as caught:
        update_account(user, changes)
    assert caught.value.errors == errors
    assert user.username == "ada" and user.email == "ada@example.com"


def test_update_account_keeps_names_unique(make_user: MakeUser) -> None:
    make_user("grace", "grace@example.com")
    user = make_user("ada", "ada@example.com")
    with pytest.raises(Conflict, match="username"):
        update_account(user, AccountChanges(username="Grace"))
    with pytest.raises(Conflict, match="email"):
        update_account(user, AccountChanges(email="GRACE@example.com"))
    # Changing one's own letter case is not a conflict with oneself.
    update_account(user, AccountChanges(username="Ada", email="ADA@example.com"))
    assert user.username == "Ada"


def test_the_published_space_class_is_what_strip_removes() -> None:
    """The OpenAPI document's patterns use SPACE where the services strip."""
    import sys

    from inkwell.services.validation import SPACE

    space = re.compile(f"[{SPACE}]")
    mismatched = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if bool(space.fullmatch(chr(code))) != chr(code).isspace()
    ]
    assert mismatched == []


@pytest.mark.parametrize(
    ("username", "email", "problem"),
    [
        ("k\u0435nny", "other@example.com", accounts.ONE_SCRIPT),  # Cyrillic e among Latin
        ("kenny\u3164", "other@example.com", "may only contain letters, digits, '.', '-' and '_'"),
        ("ken\u200bny", "other@example.com", "may only contain letters, digits, '.', '-' and '_'"),
    ],
)
def test_usernames_that_hide_or_mix_scripts_are_refused(
    make_user: MakeUser, username: str, email: str, problem: str
) -> None:
    make_user("kenny", "kenny@example.com")
    with pytest.raises(Invalid) as caught:
        register(username, email, PASSWORD)
    assert caught.value.errors == {"username": [problem]}


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [
        ("\uff4b\uff45\uff4e\uff4e\uff59", "other@example.com", "username"),  # fullwidth
        ("\u03baenny", "other@example.com", "username"),  # Greek kappa, all else Latin: refused
        ("KENNY", "other@example.com", "username"),
        ("kenny-writer", "\uff2b\uff25\uff2e\uff2e\uff39@example.com", "email"),
        ("kenny-writer", "KENNY@EXAMPLE.COM", "email"),
    ],
)
def test_names_that_read_the_same_are_taken(
    make_user: MakeUser, username: str, email: str, field: str
) -> None:
    make_user("kenny", "kenny@example.com")
    with pytest.raises((Conflict, Invalid)) as caught:
        register(username, email, PASSWORD)
    assert field in caught.value.errors


def test_a_whole_script_look_alike_is_taken(make_user: MakeUser) -> None:
    make_user("ceo", "ceo@example.com")
    make_user("BOB", "bob@example.com")
    make_user("lance", "lance@example.com")
    with pytest.raises(Conflict) as caught:
        register("\u0441\u0435\u043e", "other@example.com", PASSWORD)  # Cyrillic
    assert caught.value.errors == {"username": ["has already been taken"]}
    with pytest.raises(Conflict):  # Cyrillic capitals
        update_account(make_user("other"), AccountChanges(username="\u0412\u041e\u0412"))
    with pytest.raises(Conflict):  # a capital i for a small L
        register("Iance", "iance@example.com", PASSWORD)


def test_names_in_one_other_script_are_welcome(session: sa.orm.Session) -> None:
    for name in (
        "\u0410\u043d\u043d\u0430",
        "\u5c71\u7530\u305f\u308d\u3046",
        "\u0646\u0627\u0635\u0631",
        "Zo\u00eb_2",
    ):
        user = register(name, f"{len(name)}{name}@example.com".replace(" ", ""), PASSWORD)
        assert user.username == name


def test_an_email_with_an_invisible_character_is_invalid(session: sa.orm.Session) -> None:
    with pytest.raises(Invalid) as caught:
        register("kenny", "ken\u200bny@example.com", PASSWORD)
    assert caught.value.errors == {"email": ["is invalid"]}
