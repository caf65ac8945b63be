"""Daily activity, rolled up for the dashboard; sign-ups, comments and favorites by time

Revision ID: e81f0c2d4b67
Revises: a564c228c758
Create Date: 2026-11-24 11:30:00

`daily_activity` holds each finished UTC day's figures (totals and the day's
leaders), written by `inkwell.services.growth` once the day is over; it
starts empty and fills itself on the dashboard's first visit or the next
`inkwell db maintain`. The indexes on `created_at` let that roll-up, and
today's live figures, read one day's rows instead of every row; those of
comments and favorites carry the article too, so a day's most discussed and
most favorited articles come from the index alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "e81f0c2d4b67"
down_revision = "a564c228c758"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "daily_activity",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "day", "key", name=op.f("pk_daily_activity")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    op.create_index(op.f("ix_users_created_at"), "users", ["created_at"])
    op.create_index(
        op.f("ix_comments_created_at_article_id"), "comments", ["created_at", "article_id"]
    )
    op.create_index(
        op.f("ix_favorites_created_at_article_id"), "favorites", ["created_at", "article_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_favorites_created_at_article_id"), table_name="favorites")
    op.drop_index(op.f("ix_comments_created_at_article_id"), table_name="comments")
    op.drop_index(op.f("ix_users_created_at"), table_name="users")
    op.drop_table("daily_activity")
