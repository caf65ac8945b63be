"""Roles: who may change them, the last administrator, and the audit log's entries."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from inkwell.models import AuditEvent, User, utcnow
from inkwell.services import audit
from inkwell.services.audit import COMMAND_LINE, AuditFilter
from inkwell.services.errors import Forbidden, Invalid, NotFound
from inkwell.services.roles import LAST_ADMIN, change_role

MakeUser = Callable[..., User]


def entries(session: sa.orm.Session) -> list[tuple[Any, ...]]:
    rows = session.execute(
        sa.select(
            AuditEvent.actor_name,
            AuditEvent.action,
            AuditEvent.target_name,
            AuditEvent.reason,
            AuditEvent.detail,
        ).order_by(AuditEvent.id)
    )
    return [tuple(row) for row in rows]


def test_an_admin_changes_a_role_and_the_log_says_who_why_and_what(
    session: sa.orm.Session, make_user: MakeUser
) -> None:
    root = make_user("root", role="admin")
    make_user("ada")
    user = change_role(root, "ADA", "editor", "  helps with spam  ")
    assert user.role == "editor" and user.can_moderate and not user.is_admin
    assert entries(session) == [
        ("root", "role.change", "ada", "helps with spam", "member -> editor")
    ]
    event = session.scalars(sa.select(AuditEvent)).one()
    assert event.actor_id == root.id and event.target_id == user.id
    assert (utcnow() - event.created_at).total_seconds() < 60


@pytest.mark.parametrize("role", ["member", "editor"])
def test_only_an_admin_changes_roles(
    session: sa.orm.Session, make_user: MakeUser, role: str
) -> None:
    actor = make_user("actor", role=role)
    make_user("ada")
    with pytest.raises(Forbidden) as refused:
        change_role(actor, "ada", "admin", "promote myself by proxy")
    assert refused.value.errors == {"administration": ["needs the admin role"]}
    assert session.scalar(sa.select(User.role).where(User.username == "ada")) == "member"
    assert entries(session) == []


def test_the_last_admin_cannot_be_demoted_but_one_of_two_can(
    session: sa.orm.Session, make_user: MakeUser
) -> None:
    root = make_user("root", role="admin")
    with pytest.raises(Forbidden) as refused:
        change_role(root, "root", "member", "stepping down")
    assert refused.value.errors == {"user": [LAST_ADMIN]}
    assert root.role == "admin" and entries(session) == []
    make_user("second", role="admin")
    change_role(root, "root", "editor", "stepping down")
    assert root.role == "editor"


def test_a_suspended_admin_does_not_count_as_the_other_admin(
    session: sa.orm.Session, make_user: MakeUser
) -> None:
    root = make_user("root", role="admin")
    make_user("away", role="admin", suspended_at=utcnow())
    with pytest.raises(Forbidden):
        change_role(root, "root", "member", "stepping down")


def test_role_changes_are_checked(session: sa.orm.Session, make_user: MakeUser) -> None:
    root = make_user("root", role="admin")
    make_user("ada")
    with pytest.raises(Invalid) as invalid:
        change_role(root, "ada", "owner", "why not")
    assert invalid.value.errors == {"role": ["must be one of member, editor, admin"]}
    with pytest.raises(Invalid) as invalid:
        change_role(root, "ada", "editor", "   ")
    assert invalid.value.errors == {"reason": ["can't be blank"]}
    with pytest.raises(NotFound):
        change_role(root, "nobody", "editor", "typo")
    assert entries(session) == []


def test_entries_are_kept_as_written_while_more_are_added(
    session: sa.orm.Session, make_user: MakeUser
) -> None:
    root = make_user("root", role="admin")
    make_user("ada")
    change_role(root, "ada", "editor", "first")
    session.commit()
    first = entries(session)
    change_role(root, "ada", "admin", "second")
    change_role(COMMAND_LINE, "ada", "member", "third")
    assert entries(session)[:1] == first
    assert [entry[0] for entry in entries(session)] == ["root", "root", "command line"]
    newest = audit.events(AuditFilter(), limit=2)
    assert [event.reason for event in newest] == ["third", "second"]
    older = audit.events(AuditFilter(), before_id=newest[-1].id)
    assert [event.reason for event in older] == ["first"]
    assert [e.reason for e in audit.events(AuditFilter(actor="command line"))] == ["third"]


def test_cli_sets_a_role_and_refuses_the_last_admin_in_one_line(
    runner: Any, session: sa.orm.Session, make_user: MakeUser
) -> None:
    make_user("root", role="admin")
    make_user("ada")
    done = runner.invoke(args=["users", "role", "ada", "editor", "--reason", "trusted"])
    assert done.exit_code == 0, done.output
    assert done.output == "ada is now an editor.\n"
    refused = runner.invoke(args=["users", "role", "root", "member", "--reason", "x"])
    assert refused.exit_code == 1
    assert refused.output == f"Error: user {LAST_ADMIN}\n"
    unknown = runner.invoke(args=["users", "role", "nobody", "member", "--reason", "x"])
    assert unknown.exit_code == 1 and unknown.output == "Error: user not found\n"
    bad = runner.invoke(args=["users", "role", "ada", "owner", "--reason", "x"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert entries(session) == [
        ("command line", "role.change", "ada", "trusted", "member -> editor")
    ]


def test_cli_exports_the_log_as_json_lines_or_csv(
    runner: Any, session: sa.orm.Session, make_user: MakeUser
) -> None:
    root = make_user("root", role="admin")
    make_user("ada")
    change_role(root, "ada", "editor", 'said "yes", twice')
    change_role(COMMAND_LINE, "ada", "member", "done")
    session.commit()
    lines = runner.invoke(args=["audit", "export"])
    assert lines.exit_code == 0, lines.output
    rows = [json.loads(line) for line in lines.output.splitlines()]
    assert [(row["actor_name"], row["reason"]) for row in rows] == [
        ("root", 'said "yes", twice'),
        ("command line", "done"),
    ]
    assert rows[0]["detail"] == "member -> editor" and rows[1]["actor_id"] is None
    table = runner.invoke(args=["audit", "export", "--format", "csv", "--actor", "root"])
    assert table.exit_code == 0, table.output
    parsed = list(csv.DictReader(io.StringIO(table.output)))
    assert [row["reason"] for row in parsed] == ['said "yes", twice']
    later = runner.invoke(args=["audit", "export", "--since", "2999-01-01"])
    assert later.exit_code == 0 and later.output == ""
    wrong = runner.invoke(args=["audit", "export", "--since", "yesterday"])
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
