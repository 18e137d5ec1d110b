"""model registry: artifacts, versions, aliases and their events

Revision ID: bf8099e59af2
Revises: 9d3c7a1e5b42
Create Date: 2026-12-07 04:34:28.592503

The model registry (the seed's M20 plan): `model_artifacts` (registered models),
`model_versions` (immutable, content-addressed copies of runs' checkpoints with their
metrics and provenance), `model_aliases` (where `prod`, `staging`... point now) and
`model_alias_events` (every move of an alias, append-only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = 'bf8099e59af2'
down_revision: str | None = '9d3c7a1e5b42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('model_artifacts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('task_type', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_artifacts')),
    sa.UniqueConstraint('name', name=op.f('uq_model_artifacts_name'))
    )
    with op.batch_alter_table('model_artifacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_artifacts_created_at'), ['created_at'], unique=False)

    op.create_table('model_alias_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('artifact_id', sa.Uuid(), nullable=False),
    sa.Column('alias', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_version_id', sa.Uuid(), nullable=True),
    sa.Column('to_version_id', sa.Uuid(), nullable=True),
    sa.Column('actor', sa.String(length=128), nullable=True),
    sa.Column('check_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('set', 'rollback', 'delete', 'refused')", name=op.f('ck_model_alias_events_action')),
    sa.ForeignKeyConstraint(['artifact_id'], ['model_artifacts.id'], name=op.f('fk_model_alias_events_artifact_id_model_artifacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_alias_events'))
    )
    with op.batch_alter_table('model_alias_events', schema=None) as batch_op:
        batch_op.create_index('ix_model_alias_events_artifact_id_alias_id', ['artifact_id', 'alias', 'id'], unique=False)

    op.create_table('model_versions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('artifact_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('source_run_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('metrics_json', JSON, nullable=False),
    sa.Column('config_json', JSON, nullable=False),
    sa.Column('provenance_json', JSON, nullable=False),
    sa.Column('storage_uri', sa.String(length=512), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['model_artifacts.id'], name=op.f('fk_model_versions_artifact_id_model_artifacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('artifact_id', 'version', name=op.f('uq_model_versions_artifact_id_version'))
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index('ix_model_versions_artifact_id_created_at', ['artifact_id', 'created_at'], unique=False)
        batch_op.create_index('ix_model_versions_artifact_id_sha256', ['artifact_id', 'sha256'], unique=True)
        batch_op.create_index(batch_op.f('ix_model_versions_source_run_id'), ['source_run_id'], unique=False)

    op.create_table('model_aliases',
    sa.Column('artifact_id', sa.Uuid(), nullable=False),
    sa.Column('alias', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Uuid(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['model_artifacts.id'], name=op.f('fk_model_aliases_artifact_id_model_artifacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], name=op.f('fk_model_aliases_version_id_model_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('artifact_id', 'alias', name=op.f('pk_model_aliases'))
    )


def downgrade() -> None:
    op.drop_table('model_aliases')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_versions_source_run_id'))
        batch_op.drop_index('ix_model_versions_artifact_id_sha256')
        batch_op.drop_index('ix_model_versions_artifact_id_created_at')

    op.drop_table('model_versions')
    with op.batch_alter_table('model_alias_events', schema=None) as batch_op:
        batch_op.drop_index('ix_model_alias_events_artifact_id_alias_id')

    op.drop_table('model_alias_events')
    with op.batch_alter_table('model_artifacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_artifacts_created_at'))

    op.drop_table('model_artifacts')
