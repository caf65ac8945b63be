"""Usernames compared by how they look; names and emails compared in NFKC

Revision ID: d2ea9c75cf86
Revises: 6a4c272bb3c9
Create Date: 2026-11-24 03:51:00

A username that only looks like a taken one (a Cyrillic "e" in "kenny", the
fullwidth "kenny") could be registered beside it. `users.username_skeleton`
holds what a name looks like (`inkwell.models.identity.skeleton`) under a
unique constraint. The comparison keys become NFKC and case-folded, where
they were only case-folded.

Existing rows are filled in id order. Where two existing accounts already
look alike, or their keys would now coincide, the later account keeps its
old key and gets no skeleton (NULL, which a unique constraint allows more
than once): nobody loses a name, and no new look-alike can be registered.
Downgrading drops the column and leaves the keys as they are (they still
tell the same accounts apart).
"""

import sqlalchemy as sa
from alembic import op

from inkwell.models.identity import identity_key, skeleton

revision = "d2ea9c75cf86"
down_revision = "6a4c272bb3c9"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_skeleton", sa.String(length=160), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_username_skeleton"), ["username_skeleton"]
        )
    _fill_keys()


def _fill_keys():
    """Compute the new keys in Python (no database has UTS #39), a batch at a time."""
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("username", sa.String),
        sa.column("username_key", sa.String),
        sa.column("username_skeleton", sa.String),
        sa.column("email", sa.String),
        sa.column("email_key", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            users.c.id, users.c.username, users.c.username_key, users.c.email, users.c.email_key
        ).order_by(users.c.id)
    ).all()
    taken = {
        "username_key": {row.username_key for row in rows},
        "email_key": {row.email_key for row in rows},
        "username_skeleton": set(),
    }
    changes = []
    for row in rows:
        values = {"username_skeleton": skeleton(row.username)}
        if values["username_skeleton"] in taken["username_skeleton"]:
            values["username_skeleton"] = None
        for column, source in (("username_key", row.username), ("email_key", row.email)):
            key = identity_key(source)
            if key != getattr(row, column) and key not in taken[column]:
                taken[column].discard(getattr(row, column))
                values[column] = key
        for column, value in values.items():
            if value is not None:
                taken[column].add(value)
        changes.append({"row_id": row.id, **values})
    for start in range(0, len(changes), BATCH):
        batch = changes[start : start + BATCH]
        for columns in {tuple(sorted(change)) for change in batch}:
            same = [change for change in batch if tuple(sorted(change)) == columns]
            update = users.update().where(users.c.id == sa.bindparam("row_id"))
            connection.execute(
                update.values({c: sa.bindparam(c) for c in columns if c != "row_id"}), same
            )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_username_skeleton"), type_="unique")
        batch_op.drop_column("username_skeleton")
