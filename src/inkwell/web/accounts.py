"""Signing up, in and out, and one's settings."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import login_required, logout_user
from werkzeug.wrappers import Response

from inkwell.extensions import limiter
from inkwell.http import writes
from inkwell.ratelimits import limited_sign_in, register_limit
from inkwell.services.accounts import (
    AccountChanges,
    authenticate,
    prepare_account_changes,
    register,
    update_account,
)
from inkwell.services.errors import InkwellError, Invalid, Suspended, Unauthorized
from inkwell.services.sessions import end_credentials, end_session
from inkwell.services.validation import UNSET
from inkwell.transactions import followed_by_write
from inkwell.web import bp
from inkwell.web.forms import LoginForm, Page, RegisterForm, SettingsForm, form_status, show_errors
from inkwell.web.session import required_user, safe_next, session_key, sign_in


@bp.route("/register", methods=["GET", "POST"])
@writes
@limiter.limit(register_limit, methods=["POST"])
def register_page() -> Page:
    """Create an account and sign in."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = register(
                form.username.data or "", form.email.data or "", form.password.data or ""
            )
        except InkwellError as error:
            show_errors(form, error)
        else:
            sign_in(user)
            flash(f"Welcome to Inkwell, {user.username}.")
            return redirect(url_for("web.home"))
    return render_template("web/register.html", form=form), form_status(form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    """Sign in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            with limited_sign_in(form.email.data or ""):
                user = authenticate(form.email.data or "", form.password.data or "")
        except Invalid as error:
            show_errors(form, error)
            return render_template("web/login.html", form=form), 422
        except Unauthorized:
            form.form_errors.append("That email and password do not match an account.")
            return render_template("web/login.html", form=form), 401
        except Suspended:
            form.form_errors.append("This account is suspended.")
            return render_template("web/login.html", form=form), 403
        sign_in(user, remember=bool(form.remember.data))
        return redirect(safe_next(url_for("web.home")))
    return render_template("web/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@writes
def logout() -> Response:
    """Sign out (a POST with a CSRF token, so no page can sign a reader out).

    The session ends on the server, so copies of its cookies stop working too.
    """
    key = session_key()
    if key is not None:
        end_session(key)
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("web.home"))


@bp.post("/settings/sign-out-everywhere")
@writes
@login_required
def sign_out_everywhere() -> Response:
    """End every session of this account, here and on every other device, and
    every API token issued to it."""
    end_credentials(required_user())
    logout_user()
    flash("You are signed out everywhere. Sign in again to continue.")
    return redirect(url_for("web.login"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required  # writes in a unit of its own, after the password checks
def settings() -> Page:
    """Change picture, username, bio, email or password."""
    user = required_user()
    form = SettingsForm(obj=user)
    if form.validate_on_submit():
        changes = AccountChanges(
            username=form.username.data or "",
            email=form.email.data or "",
            password=form.password.data or UNSET,
            bio=form.bio.data,
            image_url=form.image_url.data,
        )
        try:
            current = form.current_password.data or ""
            ready = prepare_account_changes(user, changes, current_password=current)
            with followed_by_write():
                update_account(user, ready, keep_session=session_key())
        except InkwellError as error:
            show_errors(form, error)
        else:
            flash("Your settings are saved.")
            return redirect(url_for("web.profile", username=user.username))
    return render_template("web/settings.html", form=form), form_status(form)
