"""`inkwell users`: accounts made by an operator."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from inkwell.models.users import ADMIN, MEMBER, ROLES
from inkwell.services.accounts import register
from inkwell.services.audit import COMMAND_LINE
from inkwell.services.errors import InkwellError
from inkwell.services.roles import change_role
from inkwell.transactions import unit_of_work


@click.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(username: str, email: str, admin: bool, password_stdin: bool) -> None:
    """Create an account; asks for the password unless --password-stdin is given."""
    if password_stdin:
        password = _password_from_stdin()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            user = register(username, email, password, role=ADMIN if admin else MEMBER)
    except InkwellError as err:
        raise click.ClickException(str(err)) from None
    role = "administrator" if admin else "user"
    click.echo(f"Created {role} {user.username} <{user.email}>.")


def _password_from_stdin() -> str:
    """One line of standard input, which must be UTF-8: a password in another
    encoding would be stored as something its owner cannot type."""
    line = sys.stdin.buffer.readline()
    try:
        return line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise click.ClickException("the password on standard input is not valid UTF-8") from None


@users.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--reason", required=True, help="Why, for the audit log.")
@with_appcontext
def set_role(username: str, role: str, reason: str) -> None:
    """Make USERNAME a member, editor or admin; the last admin stays one."""
    try:
        with unit_of_work():
            user = change_role(COMMAND_LINE, username, role, reason)
    except InkwellError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"{user.username} is now {article(role)} {role}.")


def article(word: str) -> str:
    """'an' before a vowel sound, for "an editor", "an admin", "a member"."""
    return "an" if word[0] in "aeiou" else "a"
