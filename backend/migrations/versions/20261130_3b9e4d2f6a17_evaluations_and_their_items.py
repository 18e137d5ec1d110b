"""evaluations and their items

Revision ID: 3b9e4d2f6a17
Revises: 7c2f5e1a9d04
Create Date: 2026-11-30 06:52:55.863090

`tunix_run_evaluations` (the seed's M17 table, and the queue of `evaluate` jobs: it
takes the job columns) and `tunix_evaluation_items`, one row per scored example.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = '3b9e4d2f6a17'
down_revision: str | None = '7c2f5e1a9d04'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tunix_run_evaluations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=True),
    sa.Column('model_id', sa.String(length=256), nullable=False),
    sa.Column('dataset_key', sa.String(length=256), nullable=False),
    sa.Column('dataset_sha256', sa.String(length=64), nullable=True),
    sa.Column('split', sa.String(length=16), nullable=False),
    sa.Column('judge', sa.String(length=64), nullable=False),
    sa.Column('judge_version', sa.String(length=32), nullable=False),
    sa.Column('judge_config_hash', sa.String(length=64), nullable=False),
    sa.Column('mock', sa.Boolean(), nullable=False),
    sa.Column('checkpoint_step', sa.Integer(), nullable=True),
    sa.Column('decoding', JSON, nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('primary_score', sa.Float(), nullable=True),
    sa.Column('ci_low', sa.Float(), nullable=True),
    sa.Column('ci_high', sa.Float(), nullable=True),
    sa.Column('verdict', sa.String(length=32), nullable=True),
    sa.Column('n_items', sa.Integer(), nullable=False),
    sa.Column('n_scored', sa.Integer(), nullable=False),
    sa.Column('n_unscored', sa.Integer(), nullable=False),
    sa.Column('details', JSON, nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempt', sa.Integer(), server_default='0', nullable=False),
    sa.Column('max_attempts', sa.Integer(), server_default='3', nullable=False),
    sa.Column('worker_id', sa.String(length=128), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('cancel_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['tunix_runs.run_id'], name=op.f('fk_tunix_run_evaluations_run_id_tunix_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tunix_run_evaluations'))
    )
    with op.batch_alter_table('tunix_run_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tunix_run_evaluations_dataset_key'), ['dataset_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_tunix_run_evaluations_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_tunix_run_evaluations_score', ['score'], unique=False)
        batch_op.create_index(batch_op.f('ix_tunix_run_evaluations_started_at'), ['started_at'], unique=False)
        batch_op.create_index('ix_tunix_run_evaluations_status_queued_at', ['status', 'queued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tunix_run_evaluations_worker_id'), ['worker_id'], unique=False)

    op.create_table('tunix_evaluation_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('evaluation_id', sa.Uuid(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('trace_id', sa.Uuid(), nullable=True),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('expected', sa.Text(), nullable=True),
    sa.Column('output', sa.Text(), nullable=False),
    sa.Column('extracted', sa.Text(), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('format_ok', sa.Boolean(), nullable=False),
    sa.Column('reasoning_steps', sa.Integer(), nullable=False),
    sa.Column('reasoning_tokens', sa.Integer(), nullable=False),
    sa.Column('output_tokens', sa.Integer(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('judge_reasoning', sa.Text(), nullable=True),
    sa.Column('judge_raw', sa.Text(), nullable=True),
    sa.Column('judge_attempts', sa.Integer(), nullable=False),
    sa.Column('unscored_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['tunix_run_evaluations.id'], name=op.f('fk_tunix_evaluation_items_evaluation_id_tunix_run_evaluations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tunix_evaluation_items'))
    )
    with op.batch_alter_table('tunix_evaluation_items', schema=None) as batch_op:
        batch_op.create_index('ix_tunix_evaluation_items_evaluation_id_index', ['evaluation_id', 'index'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('tunix_evaluation_items', schema=None) as batch_op:
        batch_op.drop_index('ix_tunix_evaluation_items_evaluation_id_index')

    op.drop_table('tunix_evaluation_items')
    with op.batch_alter_table('tunix_run_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tunix_run_evaluations_worker_id'))
        batch_op.drop_index('ix_tunix_run_evaluations_status_queued_at')
        batch_op.drop_index(batch_op.f('ix_tunix_run_evaluations_started_at'))
        batch_op.drop_index('ix_tunix_run_evaluations_score')
        batch_op.drop_index(batch_op.f('ix_tunix_run_evaluations_run_id'))
        batch_op.drop_index(batch_op.f('ix_tunix_run_evaluations_dataset_key'))

    op.drop_table('tunix_run_evaluations')
