"""The Health page's history: request metrics per minute, and slow statements

Revision ID: aed413e70b1e
Revises: e81f0c2d4b67
Create Date: 2026-11-24 11:58:29

`health_samples` holds the request metrics, merged across workers, once a
minute (one row per minute whatever the number of workers, kept for a
day), so the dashboard can tell the last hour from the totals since the app
servers started. `slow_statements` holds the newest few hundred statements
slower than INKWELL_SLOW_QUERY_MS that any worker saw. Both start empty and
are written by each worker's sampler (`inkwell.ops.samples`).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "aed413e70b1e"
down_revision = "e81f0c2d4b67"
branch_labels = None
depends_on = None


def utc_datetime():
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "health_samples",
        sa.Column("minute", utc_datetime(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("server_errors", sa.BigInteger(), nullable=False),
        sa.Column("latency_buckets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("minute", name=op.f("pk_health_samples")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    op.create_table(
        "slow_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seen_at", utc_datetime(), nullable=False),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("statement", sa.String(length=500), nullable=False),
        sa.Column("endpoint", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slow_statements")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )


def downgrade():
    op.drop_table("slow_statements")
    op.drop_table("health_samples")
