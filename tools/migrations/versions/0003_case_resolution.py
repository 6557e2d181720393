"""Cases can be closed: when, by whom, and how they were resolved.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Three nullable columns: every existing case stays as it was (open or not)."""
    for column in ("closed_at", "closed_by", "resolution"):
        op.add_column("cases", sa.Column(column, sa.Text, nullable=True))


def downgrade() -> None:
    """Drop them."""
    for column in ("resolution", "closed_by", "closed_at"):
        op.drop_column("cases", column)
