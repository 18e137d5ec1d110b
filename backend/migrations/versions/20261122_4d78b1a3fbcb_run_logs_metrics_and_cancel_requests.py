"""run logs, metrics and cancel requests

Revision ID: 4d78b1a3fbcb
Revises: e6183d3195a8
Create Date: 2026-11-22 06:36:59.174825
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "4d78b1a3fbcb"
down_revision: str | None = "e6183d3195a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tunix_run_log_chunks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("chunk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["tunix_runs.run_id"],
            name=op.f("fk_tunix_run_log_chunks_run_id_tunix_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tunix_run_log_chunks")),
    )
    with op.batch_alter_table("tunix_run_log_chunks", schema=None) as batch_op:
        batch_op.create_index("ix_tunix_run_log_chunks_run_id_seq", ["run_id", "seq"], unique=True)

    op.create_table(
        "tunix_run_metrics",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["tunix_runs.run_id"],
            name=op.f("fk_tunix_run_metrics_run_id_tunix_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tunix_run_metrics")),
    )
    with op.batch_alter_table("tunix_run_metrics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tunix_run_metrics_run_id_name_step", ["run_id", "name", "step"], unique=True
        )

    with op.batch_alter_table("tunix_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "checks", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "summary", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("message", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tunix_runs", schema=None) as batch_op:
        batch_op.drop_column("message")
        batch_op.drop_column("summary")
        batch_op.drop_column("checks")
        batch_op.drop_column("cancel_requested_at")

    with op.batch_alter_table("tunix_run_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_tunix_run_metrics_run_id_name_step")

    op.drop_table("tunix_run_metrics")
    with op.batch_alter_table("tunix_run_log_chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_tunix_run_log_chunks_run_id_seq")

    op.drop_table("tunix_run_log_chunks")
