"""The site's forms. They collect and carry CSRF tokens; the services judge the values.

Field names match the fields services name in their errors, so an `Invalid`
from a service lands next to the field it concerns (see `show_errors`).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice

from inkwell.models.users import ROLES
from inkwell.services.errors import InkwellError

# Services name a few fields as the API does; the forms use friendlier names.
FIELD_ALIASES = {"tagList": "tags", "image": "image_url", "credentials": "password"}


class RegisterForm(FlaskForm):
    username = StringField("Username")
    email = EmailField("Email")
    password = PasswordField("Password")


class LoginForm(FlaskForm):
    email = EmailField("Email")
    password = PasswordField("Password")
    remember = BooleanField("Keep me signed in")


class ArticleForm(FlaskForm):
    title = StringField("Title")
    description = StringField("What is it about?")
    body = TextAreaField("Article (Markdown)")
    tags = StringField("Tags, separated by commas")

    def tag_list(self) -> list[str]:
        """The tags typed, split on commas."""
        return [tag.strip() for tag in (self.tags.data or "").split(",") if tag.strip()]


class CommentForm(FlaskForm):
    body = TextAreaField("Write a comment")


class ReasonForm(FlaskForm):
    """A moderation action: the reason goes to the audit log."""

    reason = TextAreaField("Reason (kept in the audit log)")


class RoleForm(ReasonForm):
    role = SelectField("Role", choices=[SelectChoice(r, r.capitalize()) for r in ROLES])


class SettingsForm(FlaskForm):
    image_url = URLField("Picture URL")
    username = StringField("Username")
    bio = TextAreaField("Short bio")
    email = EmailField("Email")
    password = PasswordField("New password (leave blank to keep)")
    current_password = PasswordField("Current password (to change email or password)")


Page = str | Response | tuple[str, int]
"""What a view with a form returns: the page, a redirect, or the page with a status."""


def form_status(form: FlaskForm) -> int:
    """422 for a form shown again with problems to fix, so clients and tests can tell."""
    return 422 if form.errors or form.form_errors else 200


def show_errors(form: FlaskForm, error: InkwellError) -> None:
    """Put a service's messages on the matching fields (or the form as a whole)."""
    for name, messages in error.errors.items():
        field = getattr(form, FIELD_ALIASES.get(name, name), None)
        label = name.replace("_", " ").capitalize()
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *(f"{field.label.text} {m}" for m in messages)]
        else:
            form.form_errors.extend(f"{label} {m}" for m in messages)
