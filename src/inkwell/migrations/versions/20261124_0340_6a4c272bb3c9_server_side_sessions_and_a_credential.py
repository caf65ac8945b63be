"""Server-side sessions and a credential version on users

Revision ID: 6a4c272bb3c9
Revises: 3a7501a121fe
Create Date: 2026-11-24 03:31:43

Site sessions lived only in signed cookies, so signing out could not end a
copied cookie, and API tokens lived until they expired. `user_sessions`
holds one row per signed-in browser (the digest of the key its cookies
carry); `users.credential_version` is raised to end every API token issued
before. Existing users start at version 0; sessions and tokens issued before
this revision carry neither and stop working, so everyone signs in again once.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "6a4c272bb3c9"
down_revision = "3a7501a121fe"
branch_labels = None
depends_on = None


def column_at(name):
    kind = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    return sa.Column(name, kind, nullable=False)


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        column_at("created_at"),
        column_at("expires_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_digest", name=op.f("pk_user_sessions")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "credential_version", sa.Integer(), server_default=sa.text("0"), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("credential_version")
    op.drop_table("user_sessions")
