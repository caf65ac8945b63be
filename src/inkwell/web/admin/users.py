"""Accounts in the dashboard: finding them, and changing their role."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from inkwell.http import writes
from inkwell.models import User
from inkwell.models.users import ROLES
from inkwell.services import audit, moderation, oversight
from inkwell.services.audit import AuditFilter
from inkwell.services.errors import Invalid
from inkwell.services.roles import account, change_role
from inkwell.web.admin import bp, id_argument, moderator
from inkwell.web.forms import Page, ReasonForm, RoleForm, form_status, show_errors


@bp.get("/users")
def users() -> str:
    """Accounts, newest first, found by the start of a name or an email address."""
    wanted = oversight.AccountFilter(
        text=request.args.get("q", ""),
        role=request.args.get("role", ""),
        status=request.args.get("status", ""),
    )
    rows = oversight.accounts(wanted, before_id=id_argument("before"))
    next_before = rows[-1].user.id if len(rows) == oversight.PAGE_SIZE else None
    return render_template(
        "admin/users.html",
        rows=rows,
        wanted=wanted,
        next_before=next_before,
        roles=ROLES,
        statuses=oversight.ACCOUNT_STATUSES,
    )


@bp.get("/users/<username>")
def user(username: str) -> Page:
    """One account: its figures, what was done to it, and what can be."""
    return _user_page(username, ReasonForm(), RoleForm())


def _user_page(username: str, reason_form: ReasonForm, role_form: RoleForm) -> Page:
    found = account(username)
    if not role_form.is_submitted():
        role_form.role.data = found.role
    history = audit.events(AuditFilter(target_type="user", target_id=found.id), limit=20)
    page = render_template(
        "admin/user.html",
        row=oversight.account_figures(found),
        history=history,
        reason_form=reason_form,
        role_form=role_form,
        moderator=moderator(),
    )
    return page, max(form_status(reason_form), form_status(role_form))


@bp.post("/users/<username>/role")
@writes
def user_role(username: str) -> Page:
    """Change the account's role (admins only: the service refuses anyone else)."""
    form = RoleForm()
    if form.validate_on_submit():
        try:
            changed = change_role(
                moderator(), username, form.role.data or "", form.reason.data or ""
            )
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(f"{changed.username} is now {changed.role}.")
            return _back_to(changed.username)
    return _user_page(username, ReasonForm(formdata=None), form)


def _back_to(username: str) -> Response:
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/suspend")
@writes
def suspend_user(username: str) -> Page:
    """Suspend the account, with a reason."""
    return _reason_action(username, moderation.suspend_user, "{} is suspended.")


@bp.post("/users/<username>/reinstate")
@writes
def reinstate_user(username: str) -> Page:
    """Lift the account's suspension, with a reason."""
    return _reason_action(username, moderation.reinstate_user, "{} is reinstated.")


def _reason_action(username: str, action: Callable[[User, str, str], User], done: str) -> Page:
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            user = action(moderator(), username, form.reason.data or "")
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(done.format(user.username))
            return _back_to(user.username)
    return _user_page(username, form, RoleForm(formdata=None))
