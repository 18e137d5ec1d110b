"""run labels: name, notes, tags

Revision ID: c0c1c184dffc
Revises: e899666b35f4
Create Date: 2026-12-07 05:08:08.837925

Labels a person gives a run, editable (its results are not): a name, notes, tags.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = 'c0c1c184dffc'
down_revision: str | None = 'e899666b35f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tunix_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('tags', JSON, server_default=sa.text("'[]'"), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('tunix_runs', schema=None) as batch_op:
        batch_op.drop_column('tags')
        batch_op.drop_column('notes')
        batch_op.drop_column('name')

