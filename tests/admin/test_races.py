"""Two administrators demoting each other at the same moment, on real commits."""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db
from inkwell.models import User
from inkwell.services.errors import Forbidden
from inkwell.services.roles import change_role
from inkwell.transactions import begin_unit, end_unit, unit_of_work
from tests.search.conftest import Writer, committed
from tests.search.conftest import search_app as search_app
from tests.search.conftest import writer as writer


def admin(app: Flask, writer: Writer, username: str) -> int:
    user_id = writer.author(username)
    with committed(app):
        db.session.execute(sa.update(User).where(User.id == user_id).values(role="admin"))
    return user_id


def test_two_admins_demoting_each_other_leave_one_admin(search_app: Flask, writer: Writer) -> None:
    first, second = admin(search_app, writer, "first"), admin(search_app, writer, "second")
    outcome: dict[str, Any] = {}

    def demote_first() -> None:
        with search_app.app_context():
            try:
                with unit_of_work():
                    actor = db.session.get(User, second)
                    assert actor is not None
                    change_role(actor, "first", "member", "my turn")
            except Forbidden as refused:
                outcome["refused"] = refused
            finally:
                db.session.remove()

    with search_app.app_context():
        token = begin_unit(writes=True)
        actor = db.session.get(User, first)
        assert actor is not None
        change_role(actor, "second", "member", "mine first")
        racer = threading.Thread(target=demote_first)
        racer.start()
        time.sleep(0.5)
        assert racer.is_alive()  # waiting for the first demotion to commit or not
        end_unit(token, commit=True)
        racer.join(timeout=30)
        db.session.remove()
    assert "refused" in outcome
    with search_app.app_context(), unit_of_work(writes=False):
        roles = {
            user_id: role for user_id, role in db.session.execute(sa.select(User.id, User.role))
        }
        assert (roles[first], roles[second]) == ("admin", "member")
