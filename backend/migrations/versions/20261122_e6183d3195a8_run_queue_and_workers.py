"""run queue and workers

Revision ID: e6183d3195a8
Revises: b54ee029a747
Create Date: 2026-11-22 06:04:54.623255
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e6183d3195a8"
down_revision: str | None = "b54ee029a747"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tunix_workers",
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.Column("hostname", sa.String(length=256), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_tunix_workers")),
    )
    with op.batch_alter_table("tunix_workers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tunix_workers_heartbeat_at"), ["heartbeat_at"], unique=False
        )

    with op.batch_alter_table("tunix_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("max_attempts", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(sa.Column("worker_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_tunix_runs_status_queued_at", ["status", "queued_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tunix_runs_worker_id"), ["worker_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tunix_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tunix_runs_worker_id"))
        batch_op.drop_index("ix_tunix_runs_status_queued_at")
        batch_op.drop_column("error")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("queued_at")
        batch_op.drop_column("worker_id")
        batch_op.drop_column("max_attempts")
        batch_op.drop_column("attempt")

    with op.batch_alter_table("tunix_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tunix_workers_heartbeat_at"))

    op.drop_table("tunix_workers")
