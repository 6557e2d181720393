"""State replicas share: batch jobs claimed with a lease, thread owners in order, rate and sign-in counters.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Jobs gain a claim and a lease (a killed worker's job is taken over); owners gain a claim time."""
    op.add_column("batch_jobs", sa.Column("created_at", sa.Float(precision=53), nullable=True))
    op.add_column("batch_jobs", sa.Column("claimed_by", sa.Text, nullable=True))
    op.add_column("batch_jobs", sa.Column("lease_until", sa.Float(precision=53), nullable=True))
    op.add_column("batch_jobs", sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    op.create_index("batch_jobs_by_status", "batch_jobs", ["status", "created_at"])
    op.add_column("thread_owners", sa.Column("claimed_at", sa.Float(precision=53), nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # keep the order older rows were listed in (rowid), before new ones
        op.execute("UPDATE thread_owners SET claimed_at = rowid")
    op.create_table(  # per-user call rates and sign-in attempts: one window per key, opened by its first hit
        "counters",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("window_ends", sa.Float(precision=53), nullable=False),
        sa.Column("warned", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Drop what this revision added."""
    op.drop_table("counters")
    op.drop_column("thread_owners", "claimed_at")
    op.drop_index("batch_jobs_by_status", "batch_jobs")
    for column in ("attempts", "lease_until", "claimed_by", "created_at"):
        op.drop_column("batch_jobs", column)
