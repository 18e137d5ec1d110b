"""tuning jobs and trials

Revision ID: 02605cc4f561
Revises: c0c1c184dffc
Create Date: 2026-12-07 11:05:39.490577

Hyperparameter studies (a job of kind `tune` each) and their trials, each a training
run with its parameters, metric and how it ended.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '02605cc4f561'
down_revision: str | None = 'c0c1c184dffc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tunix_tuning_jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dataset_key', sa.String(length=256), nullable=False),
    sa.Column('base_model_id', sa.String(length=256), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('metric_name', sa.String(length=64), nullable=False),
    sa.Column('metric_mode', sa.String(length=8), nullable=False),
    sa.Column('num_samples', sa.Integer(), nullable=False),
    sa.Column('max_concurrent_trials', sa.Integer(), nullable=False),
    sa.Column('search_alg', sa.String(length=16), nullable=False),
    sa.Column('scheduler', sa.String(length=16), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('search_space_json', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('training_json', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('best_run_id', sa.Uuid(), nullable=True),
    sa.Column('best_params_json', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('best_metric_value', sa.Float(), nullable=True),
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
    sa.ForeignKeyConstraint(['best_run_id'], ['tunix_runs.run_id'], name=op.f('fk_tunix_tuning_jobs_best_run_id_tunix_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tunix_tuning_jobs'))
    )
    with op.batch_alter_table('tunix_tuning_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tunix_tuning_jobs_dataset_key'), ['dataset_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_tunix_tuning_jobs_started_at'), ['started_at'], unique=False)
        batch_op.create_index('ix_tunix_tuning_jobs_status_queued_at', ['status', 'queued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tunix_tuning_jobs_worker_id'), ['worker_id'], unique=False)

    op.create_table('tunix_tuning_trials',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tuning_job_id', sa.Uuid(), nullable=False),
    sa.Column('trial_key', sa.String(length=128), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=True),
    sa.Column('params_json', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('metric_value', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('stopped_step', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['tunix_runs.run_id'], name=op.f('fk_tunix_tuning_trials_run_id_tunix_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tuning_job_id'], ['tunix_tuning_jobs.id'], name=op.f('fk_tunix_tuning_trials_tuning_job_id_tunix_tuning_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tunix_tuning_trials'))
    )
    with op.batch_alter_table('tunix_tuning_trials', schema=None) as batch_op:
        batch_op.create_index('ix_tunix_tuning_trials_job_metric', ['tuning_job_id', 'metric_value'], unique=False)
        batch_op.create_index('ix_tunix_tuning_trials_job_trial', ['tuning_job_id', 'trial_key'], unique=True)
        batch_op.create_index(batch_op.f('ix_tunix_tuning_trials_run_id'), ['run_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tunix_tuning_trials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tunix_tuning_trials_run_id'))
        batch_op.drop_index('ix_tunix_tuning_trials_job_trial')
        batch_op.drop_index('ix_tunix_tuning_trials_job_metric')

    op.drop_table('tunix_tuning_trials')
    with op.batch_alter_table('tunix_tuning_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tunix_tuning_jobs_worker_id'))
        batch_op.drop_index('ix_tunix_tuning_jobs_status_queued_at')
        batch_op.drop_index(batch_op.f('ix_tunix_tuning_jobs_started_at'))
        batch_op.drop_index(batch_op.f('ix_tunix_tuning_jobs_dataset_key'))

    op.drop_table('tunix_tuning_jobs')
