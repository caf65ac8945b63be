"""The guides a newcomer reads first on a demo site: what Inkwell is, writing in
Markdown, searching, and running it in production.

Each guide is a Markdown file beside this module, its title, description and
tags in `Name: value` lines above the first blank line. Files rather than
Python strings, so that a guide is edited and previewed as the Markdown a
writer would paste into the editor, code fences and backslashes included.

They are written through the article services like any article (checked,
rendered, given a slug, counted), by an account of their own that signs in
with the seeded accounts' password and is the demo's administrator (so a
newcomer can open the dashboard), and after the generated articles, so
that they are the newest and head the home page, first guide on top.
"""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import User
from inkwell.models.identity import identity_key
from inkwell.models.users import ADMIN
from inkwell.services.articles import ArticleDraft, create_article

AUTHOR = "inkwell"
AUTHOR_EMAIL = "inkwell@example.com"
AUTHOR_BIO = "The Inkwell team"


def guides() -> list[ArticleDraft]:
    """The guides in reading order, which their file names sort in."""
    files = sorted(resources.files(__name__).iterdir(), key=lambda file: file.name)
    return [_draft(file.read_text("utf-8")) for file in files if file.name.endswith(".md")]


def write_guides(password_hash: str) -> int:
    """Write the guides as the `inkwell` account, the first guide last so that it
    is the newest; how many were written. Flushes; the caller commits.

    None are written if the account exists: its guides are there already.
    """
    taken = sa.select(User.id).where(User.username_key == identity_key(AUTHOR))
    if db.session.scalar(taken) is not None:
        return 0
    author = User(
        username=AUTHOR,
        email=AUTHOR_EMAIL,
        password_hash=password_hash,
        bio=AUTHOR_BIO,
        role=ADMIN,
    )
    db.session.add(author)
    db.session.flush()
    drafts = guides()
    for draft in reversed(drafts):
        create_article(author, draft)
    return len(drafts)


def _draft(text: str) -> ArticleDraft:
    """A guide's file: header lines, a blank line, then the Markdown body."""
    header, _, body = text.partition("\n\n")
    fields = {}
    for line in header.splitlines():
        name, _, value = line.partition(": ")
        fields[name] = value
    return ArticleDraft(
        title=fields["Title"],
        description=fields["Description"],
        body=body,
        tags=fields["Tags"].split(", "),
    )
