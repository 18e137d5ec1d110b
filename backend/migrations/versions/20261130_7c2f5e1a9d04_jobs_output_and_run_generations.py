"""jobs' output tables (log chunks and metric points of every kind, metric seq) and
run generations

Revision ID: 7c2f5e1a9d04
Revises: 4d78b1a3fbcb
Create Date: 2026-11-30 04:40:00.000000

The run's log chunks and metrics become the jobs domain's (`job_log_chunks`,
`job_metrics`, keyed by job id, for jobs of every kind); metric points get the `seq`
of the flush that wrote them, so a resumed stream sends only what is new. Rows are
copied in their order; a copied point's seq follows its run's last log chunk. Every
stored `generation` event of a run is read back from its log into
`tunix_run_generations`.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2f5e1a9d04"
down_revision: str | None = "4d78b1a3fbcb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _log_chunks(name: str, owner: str) -> None:
    op.create_table(
        name,
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column(owner, sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("chunk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *(
            [
                sa.ForeignKeyConstraint(
                    [owner],
                    ["tunix_runs.run_id"],
                    name=op.f(f"fk_{name}_{owner}_tunix_runs"),
                    ondelete="CASCADE",
                )
            ]
            if owner == "run_id"
            else []
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_{owner}_seq", name, [owner, "seq"], unique=True)


def upgrade() -> None:
    _log_chunks("job_log_chunks", "job_id")
    op.execute(
        "INSERT INTO job_log_chunks (job_id, seq, stream, chunk, created_at) "
        "SELECT run_id, seq, stream, chunk, created_at FROM tunix_run_log_chunks ORDER BY id"
    )
    op.create_table(
        "job_metrics",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_metrics")),
    )
    op.create_index(
        "ix_job_metrics_job_id_name_step", "job_metrics", ["job_id", "name", "step"], unique=True
    )
    op.create_index("ix_job_metrics_job_id_seq", "job_metrics", ["job_id", "seq"])
    op.execute(
        "INSERT INTO job_metrics (job_id, name, step, value, seq) "
        "SELECT m.run_id, m.name, m.step, m.value, COALESCE((SELECT max(c.seq) FROM "
        "tunix_run_log_chunks c WHERE c.run_id = m.run_id), 0) + 1 "
        "FROM tunix_run_metrics m ORDER BY m.id"
    )
    op.create_table(
        "tunix_run_generations",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["tunix_runs.run_id"],
            name=op.f("fk_tunix_run_generations_run_id_tunix_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tunix_run_generations")),
    )
    op.create_index(
        "ix_tunix_run_generations_run_id_index",
        "tunix_run_generations",
        ["run_id", "index"],
        unique=True,
    )
    _backfill_generations()
    op.drop_index("ix_tunix_run_metrics_run_id_name_step", "tunix_run_metrics")
    op.drop_table("tunix_run_metrics")
    op.drop_index("ix_tunix_run_log_chunks_run_id_seq", "tunix_run_log_chunks")
    op.drop_table("tunix_run_log_chunks")


def _backfill_generations() -> None:
    """The `generation` events in stored stdout, in order, per run (these rows did not
    exist before: the run page read them from the output's tail)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT run_id, chunk FROM tunix_run_log_chunks WHERE stream = 'stdout' "
            "AND chunk LIKE '%\"event\":\"generation\"%' ORDER BY run_id, seq"
        )
    )
    found: dict[object, list[dict[str, object]]] = {}
    for run_id, chunk in rows:
        for line in chunk.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == "generation":
                found.setdefault(run_id, []).append(event)
    table = sa.table(
        "tunix_run_generations",
        sa.column("run_id", sa.Uuid()),
        sa.column("index", sa.Integer()),
        sa.column("prompt", sa.Text()),
        sa.column("expected", sa.Text()),
        sa.column("output", sa.Text()),
        sa.column("correct", sa.Boolean()),
    )
    for run_id, events in found.items():
        # An attempt answers from the first prompt on: a resumed run that answered
        # twice counts its last answers.
        restart = max(i for i, e in enumerate(events) if e.get("prompt") == events[0].get("prompt"))
        last = events[restart:]
        values = [
            {
                "run_id": run_id,
                "index": n,
                "prompt": str(e.get("prompt", "")),
                "expected": e.get("expected"),
                "output": str(e.get("output", "")),
                "correct": e.get("correct") if isinstance(e.get("correct"), bool) else None,
            }
            for n, e in enumerate(last)
        ]
        conn.execute(sa.insert(table), values)


def downgrade() -> None:
    _log_chunks("tunix_run_log_chunks", "run_id")
    op.execute(
        "INSERT INTO tunix_run_log_chunks (run_id, seq, stream, chunk, created_at) "
        "SELECT job_id, seq, stream, chunk, created_at FROM job_log_chunks "
        "WHERE job_id IN (SELECT run_id FROM tunix_runs) ORDER BY id"
    )
    op.create_table(
        "tunix_run_metrics",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
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
    op.create_index(
        "ix_tunix_run_metrics_run_id_name_step",
        "tunix_run_metrics",
        ["run_id", "name", "step"],
        unique=True,
    )
    op.execute(
        "INSERT INTO tunix_run_metrics (run_id, name, step, value) "
        "SELECT job_id, name, step, value FROM job_metrics "
        "WHERE job_id IN (SELECT run_id FROM tunix_runs) ORDER BY id"
    )
    op.drop_index("ix_tunix_run_generations_run_id_index", "tunix_run_generations")
    op.drop_table("tunix_run_generations")
    op.drop_index("ix_job_metrics_job_id_seq", "job_metrics")
    op.drop_index("ix_job_metrics_job_id_name_step", "job_metrics")
    op.drop_table("job_metrics")
    op.drop_index("ix_job_log_chunks_job_id_seq", "job_log_chunks")
    op.drop_table("job_log_chunks")
