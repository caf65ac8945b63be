"""Roles, suspension and the audit log

Revision ID: a564c228c758
Revises: b7e4c2a9d615
Create Date: 2026-11-24 11:10:43

`users.is_admin` becomes `users.role` (member, editor or admin); existing
admins become admins and everyone else a member. `users.suspended_at` marks a
suspended account, `users.last_sign_in_at` when it last signed in (unknown,
so NULL, for every existing account). `articles.withheld` is true while the
author is suspended; nobody is suspended yet, so every article starts false.
It joins the end of both list indexes, so lists that skip withheld articles
still read their ids from the index alone.
`audit_events` is the append-only log of moderation and role actions. On
PostgreSQL, privileges to change or delete its rows that default privileges
gave other roles (the app user of `inkwell db grants`) are taken back here.

Downgrading keeps admins as `is_admin` (editors become plain members) and
drops the audit log with everything else this revision added.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "a564c228c758"
down_revision = "b7e4c2a9d615"
branch_labels = None
depends_on = None

ROLES = ("member", "editor", "admin")

# Every role but the owner keeps at most SELECT and INSERT on the audit log.
APPEND_ONLY = """
DO $$
DECLARE grantee_name text;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT grantee FROM information_schema.table_privileges
        WHERE table_schema = current_schema() AND table_name = 'audit_events'
          AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND grantee NOT IN (current_user, 'PUBLIC')
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I', grantee_name);
    END LOOP;
END $$
"""


def column_at(name, *, nullable):
    kind = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    return sa.Column(name, kind, nullable=nullable)


users = sa.table(
    "users",
    sa.column("is_admin", sa.Boolean),
    sa.column("role", sa.String),
)


def upgrade():
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        column_at("created_at", nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("target_name", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    op.create_index(op.f("ix_audit_events_action_id"), "audit_events", ["action", "id"])
    op.create_index(op.f("ix_audit_events_actor_id_id"), "audit_events", ["actor_id", "id"])
    op.create_index(
        op.f("ix_audit_events_target_type_target_id_id"),
        "audit_events",
        ["target_type", "target_id", "id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("withheld", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    _listed_in_indexes(("published_at", "id"), ("author_id", "published_at", "id"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=10), server_default="member", nullable=False)
        )
        batch_op.add_column(column_at("suspended_at", nullable=True))
        batch_op.add_column(column_at("last_sign_in_at", nullable=True))
    op.execute(users.update().where(users.c.is_admin == sa.true()).values(role="admin"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_admin")
        batch_op.create_check_constraint(op.f("ck_users_known_role"), f"role IN {ROLES!r}")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_known_role"), type_="check")
        batch_op.add_column(
            sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(users.update().where(users.c.role == "admin").values(is_admin=sa.true()))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("role")
    _unlisted_in_indexes(("published_at", "id"), ("author_id", "published_at", "id"))
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("withheld")
    op.drop_table("audit_events")


def _index_name(columns):
    return op.f("ix_articles_" + "_".join(columns))


def _listed_in_indexes(*keys):
    """Each list index gains `withheld` as its last column. The new index is made
    before the old one goes: on MariaDB the author's serves its foreign key."""
    for key in keys:
        op.create_index(_index_name((*key, "withheld")), "articles", [*key, "withheld"])
        op.drop_index(_index_name(key), table_name="articles")


def _unlisted_in_indexes(*keys):
    for key in keys:
        op.create_index(_index_name(key), "articles", list(key))
        op.drop_index(_index_name((*key, "withheld")), table_name="articles")
