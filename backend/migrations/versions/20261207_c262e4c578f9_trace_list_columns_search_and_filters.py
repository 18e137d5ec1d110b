"""trace list columns: prompt, previews, source, latest score

Revision ID: c262e4c578f9
Revises: 02605cc4f561
Create Date: 2026-12-07 14:20:00.000000

What the trace list shows and filters on, copied out of each trace's payload (and its
latest score out of `scores`), so that the list reads narrow columns through indexes:
`prompt` (searched by `q`), `prompt_preview`, `final_answer_preview`, `source`
(`meta.source` when it is a string) and `score`. Existing rows are filled in place.

On PostgreSQL the prompt also gets a trigram index (pg_trgm, GIN) for the substring
search, when the server lets this database have the extension (it is a trusted
extension from PostgreSQL 13, but a server may lack the contrib package); without it
the search scans, as it does on SQLite, and nothing else changes.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c262e4c578f9'
down_revision: str | None = '02605cc4f561'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREVIEW_CHARS = 160
SOURCE_MAX_CHARS = 200
PROMPT_TRGM_INDEX = 'ix_traces_prompt_trgm'

_FILL_POSTGRESQL = f"""
UPDATE traces SET
  prompt = payload ->> 'prompt',
  prompt_preview = left(payload ->> 'prompt', {PREVIEW_CHARS}),
  final_answer_preview = left(payload ->> 'final_answer', {PREVIEW_CHARS}),
  source = CASE WHEN jsonb_typeof(payload -> 'meta' -> 'source') = 'string'
                THEN left(payload -> 'meta' ->> 'source', {SOURCE_MAX_CHARS}) END
"""
_FILL_SQLITE = f"""
UPDATE traces SET
  prompt = json_extract(payload, '$.prompt'),
  prompt_preview = substr(json_extract(payload, '$.prompt'), 1, {PREVIEW_CHARS}),
  final_answer_preview = substr(json_extract(payload, '$.final_answer'), 1, {PREVIEW_CHARS}),
  source = CASE WHEN json_type(payload, '$.meta.source') = 'text'
                THEN substr(json_extract(payload, '$.meta.source'), 1, {SOURCE_MAX_CHARS}) END
"""
_FILL_SCORE = """
UPDATE traces SET score = (
  SELECT s.score FROM scores AS s WHERE s.trace_id = traces.id
  ORDER BY s.created_at DESC, s.id DESC LIMIT 1)
WHERE id IN (SELECT trace_id FROM scores)
"""


def upgrade() -> None:
    with op.batch_alter_table('traces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prompt', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('prompt_preview', sa.String(length=PREVIEW_CHARS), nullable=True))
        batch_op.add_column(sa.Column('final_answer_preview', sa.String(length=PREVIEW_CHARS), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=SOURCE_MAX_CHARS), nullable=True))
        batch_op.add_column(sa.Column('score', sa.Float(), nullable=True))

    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.execute(_FILL_POSTGRESQL if postgresql else _FILL_SQLITE)
    op.execute(_FILL_SCORE)

    with op.batch_alter_table('traces', schema=None) as batch_op:
        batch_op.alter_column('prompt', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('prompt_preview', existing_type=sa.String(length=PREVIEW_CHARS), nullable=False)
        batch_op.alter_column('final_answer_preview', existing_type=sa.String(length=PREVIEW_CHARS), nullable=False)
        batch_op.create_index('ix_traces_source', ['source', 'created_at', 'id'], unique=False)
        batch_op.create_index(
            'ix_traces_scored', ['created_at', 'id'], unique=False,
            postgresql_where=sa.text('score IS NOT NULL'), sqlite_where=sa.text('score IS NOT NULL'),
        )

    if postgresql and _pg_trgm_available():
        op.execute(f'CREATE INDEX {PROMPT_TRGM_INDEX} ON traces USING gin (prompt gin_trgm_ops)')


def _pg_trgm_available() -> bool:
    """Create pg_trgm if it is missing; False when the server refuses (no contrib
    package, or no right to create it). In a savepoint: a failed statement would
    otherwise abort the whole migration's transaction."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    except sa.exc.DBAPIError as exc:
        logging.getLogger('alembic').warning(
            'pg_trgm is not available (%s): the trace search will scan the prompts',
            str(exc.orig).splitlines()[0],
        )
        return False
    return True


def downgrade() -> None:
    # pg_trgm stays: other objects may use it, and dropping it needs more rights.
    op.execute(f'DROP INDEX IF EXISTS {PROMPT_TRGM_INDEX}')
    with op.batch_alter_table('traces', schema=None) as batch_op:
        batch_op.drop_index('ix_traces_scored', sqlite_where=sa.text('score IS NOT NULL'))
        batch_op.drop_index('ix_traces_source')
        batch_op.drop_column('score')
        batch_op.drop_column('source')
        batch_op.drop_column('final_answer_preview')
        batch_op.drop_column('prompt_preview')
        batch_op.drop_column('prompt')
