"""regression baselines, their history and checks

Revision ID: 5e8a1c3f9b27
Revises: 3b9e4d2f6a17
Create Date: 2026-12-06 18:58:05.052447

Regression gates (the seed's M18 `regression_baselines`, with what a baseline pins of
its evaluation), each setting of a baseline in `regression_baseline_history`, and
`regression_checks`, every check with its full report.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = '5e8a1c3f9b27'
down_revision: str | None = '3b9e4d2f6a17'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('regression_checks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('baseline_name', sa.String(length=128), nullable=False),
    sa.Column('baseline_version', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('evaluation_id', sa.Uuid(), nullable=False),
    sa.Column('baseline_run_id', sa.Uuid(), nullable=False),
    sa.Column('baseline_evaluation_id', sa.Uuid(), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('baseline_value', sa.Float(), nullable=False),
    sa.Column('current_value', sa.Float(), nullable=True),
    sa.Column('p_value', sa.Float(), nullable=True),
    sa.Column('report', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("verdict IN ('pass', 'fail', 'inconclusive')", name=op.f('ck_regression_checks_verdict')),
    sa.ForeignKeyConstraint(['run_id'], ['tunix_runs.run_id'], name=op.f('fk_regression_checks_run_id_tunix_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regression_checks'))
    )
    with op.batch_alter_table('regression_checks', schema=None) as batch_op:
        batch_op.create_index('ix_regression_checks_baseline_name_created_at', ['baseline_name', 'created_at'], unique=False)
        batch_op.create_index('ix_regression_checks_run_id_created_at', ['run_id', 'created_at'], unique=False)

    op.create_table('regression_baselines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('evaluation_id', sa.Uuid(), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('lower_is_better', sa.Boolean(), nullable=False),
    sa.Column('margin', sa.Float(), nullable=False),
    sa.Column('margin_set', sa.Boolean(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('judge', sa.String(length=64), nullable=False),
    sa.Column('judge_version', sa.String(length=32), nullable=False),
    sa.Column('judge_config_hash', sa.String(length=64), nullable=False),
    sa.Column('dataset_key', sa.String(length=256), nullable=False),
    sa.Column('dataset_sha256', sa.String(length=64), nullable=True),
    sa.Column('split', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['tunix_run_evaluations.id'], name=op.f('fk_regression_baselines_evaluation_id_tunix_run_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['tunix_runs.run_id'], name=op.f('fk_regression_baselines_run_id_tunix_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regression_baselines')),
    sa.UniqueConstraint('name', name=op.f('uq_regression_baselines_name'))
    )
    op.create_table('regression_baseline_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('baseline_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('evaluation_id', sa.Uuid(), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('lower_is_better', sa.Boolean(), nullable=False),
    sa.Column('margin', sa.Float(), nullable=False),
    sa.Column('margin_set', sa.Boolean(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('judge', sa.String(length=64), nullable=False),
    sa.Column('judge_version', sa.String(length=32), nullable=False),
    sa.Column('judge_config_hash', sa.String(length=64), nullable=False),
    sa.Column('dataset_key', sa.String(length=256), nullable=False),
    sa.Column('dataset_sha256', sa.String(length=64), nullable=True),
    sa.Column('split', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['baseline_id'], ['regression_baselines.id'], name=op.f('fk_regression_baseline_history_baseline_id_regression_baselines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evaluation_id'], ['tunix_run_evaluations.id'], name=op.f('fk_regression_baseline_history_evaluation_id_tunix_run_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['tunix_runs.run_id'], name=op.f('fk_regression_baseline_history_run_id_tunix_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regression_baseline_history')),
    sa.UniqueConstraint('baseline_id', 'version', name=op.f('uq_regression_baseline_history_baseline_id_version'))
    )


def downgrade() -> None:
    op.drop_table('regression_baseline_history')
    op.drop_table('regression_baselines')
    with op.batch_alter_table('regression_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_regression_checks_run_id_created_at')
        batch_op.drop_index('ix_regression_checks_baseline_name_created_at')

    op.drop_table('regression_checks')
