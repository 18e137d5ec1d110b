import { useCallback, useState, type ReactNode } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { RunEvaluation } from "../evaluation/RunEvaluation";
import { useRetryAfterToken } from "../auth/hooks";
import { datasetPath, flattenBuild } from "../datasets/manifest";
import { RegisterRunPanel } from "../models/RegisterRunPanel";
import { TryItLink } from "../playground/TryItLink";
import { formatLocalTime } from "../traces/payload";
import { ArtifactList } from "./ArtifactList";
import { CancelRun } from "./CancelRun";
import { useRerun, useRun, useRunGenerations, type RunDetail, type RunResult } from "./queries";
import { hasStarted, isLive, runPath, secondsBetween } from "./history";
import { RunLabels } from "./RunLabels";
import { RunLiveView } from "./RunLiveView";
import { RunStateLine } from "./RunStateLine";
import { Checks, Generations, Summary } from "./RunResultView";
import { RunStatusBadge } from "./RunStatusBadge";
import { formatSeconds } from "./runOutput";

function Time({ iso, absent = "—" }: { iso: string | null; absent?: string }) {
  if (iso === null) return <span className="muted">{absent}</span>;
  return <time dateTime={iso}>{formatLocalTime(iso)}</time>;
}

function Seconds({ value, absent = "—" }: { value: number | null; absent?: string }) {
  return value === null ? <span className="muted">{absent}</span> : <>{formatSeconds(value)}</>;
}

function Row({ name, testId, children }: { name: string; testId: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{name}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function Timings({ run }: { run: RunDetail }) {
  const started = hasStarted(run);
  const queued = run.queued_at !== null;
  return (
    <section className="card" aria-labelledby="run-timings-title">
      <h2 id="run-timings-title">Timings</h2>
      <dl className="facts" data-testid="run:timings">
        <Row name="Created" testId="run:created">
          <Time iso={run.created_at} />
        </Row>
        <Row name="Queued" testId="run:queued">
          <Time iso={run.queued_at} absent="— (ran in the request, not queued)" />
        </Row>
        <Row name="Claimed" testId="run:claimed">
          <Time iso={run.claimed_at} absent={queued ? "not yet" : "—"} />
        </Row>
        <Row name="Started" testId="run:started-at">
          <Time iso={started ? run.started_at : null} absent="not yet" />
        </Row>
        <Row name="Completed" testId="run:completed">
          <Time iso={run.completed_at} absent={isLive(run.status) ? "not yet" : "—"} />
        </Row>
        <Row name="Duration" testId="run:duration">
          <Seconds value={run.duration_seconds} />
        </Row>
        <Row name="Enqueue → start" testId="run:queue-wait">
          <Seconds value={secondsBetween(run.queued_at, run.claimed_at)} absent={queued ? "not yet" : "—"} />
        </Row>
      </dl>
    </section>
  );
}

function Attempts({ run }: { run: RunDetail }) {
  return (
    <section className="card" aria-labelledby="run-attempts-title">
      <h2 id="run-attempts-title">Attempts</h2>
      <dl className="facts">
        <Row name="Attempt" testId="run:attempt">
          {run.attempt} of {run.max_attempts}
        </Row>
        <Row name="Worker" testId="run:worker">
          {run.worker_id ? <span className="mono hash">{run.worker_id}</span> : <span className="muted">none yet</span>}
        </Row>
        <Row name="Exit code" testId="run:exit-code">
          {run.exit_code ?? <span className="muted">—</span>}
        </Row>
      </dl>
    </section>
  );
}

function Config({ config }: { config: Record<string, unknown> }) {
  const entries = flattenBuild(config);
  return (
    <section className="card" aria-labelledby="run-config-title">
      <h2 id="run-config-title">Configuration</h2>
      {entries.length === 0 ? (
        <p className="muted">No configuration was recorded.</p>
      ) : (
        <div className="table-wrap">
          <table className="config" data-testid="run:config">
            <tbody>
              {entries.map(([name, value]) => (
                <tr key={name}>
                  <th scope="row" className="mono">
                    {name}
                  </th>
                  <td className="mono">{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * The run's checks (a dry run's, or a training run's preflight), the training summary and,
 * once it has ended, every held-out answer.
 */
function Result({ run }: { run: RunDetail }) {
  const answers = useRunGenerations(run);
  const checks = run.checks ?? [];
  const summary = run.summary ?? null;
  const hasAnswers = answers.isError || answers.isLoading || (answers.data?.total ?? 0) > 0;
  if (checks.length === 0 && summary === null && !hasAnswers) return null;
  return (
    <section className="card run-result" aria-labelledby="run-result-title" data-testid="run:result">
      <h2 id="run-result-title">Result</h2>
      <Checks checks={checks} />
      {summary && <Summary summary={summary} generations={answers.data} />}
      <Generations answers={answers} />
    </section>
  );
}

function Tail({ name, text, testId }: { name: string; text: string; testId: string }) {
  return (
    <div className="tail">
      <h3>{name}</h3>
      {text ? (
        <pre className="code tail-text" data-testid={testId} tabIndex={0} aria-label={`${name} tail`}>
          {text}
        </pre>
      ) : (
        <p className="muted small" data-testid={testId}>
          (empty)
        </p>
      )}
    </div>
  );
}

function RerunButton({ runId }: { runId: string }) {
  const rerun = useRerun(runId);
  const navigate = useNavigate();
  const onQueued = useCallback((result: RunResult) => navigate(runPath(result.run_id)), [navigate]);
  const { mutate } = rerun;
  const retry = useCallback(() => mutate(undefined, { onSuccess: onQueued }), [mutate, onQueued]);
  useRetryAfterToken(rerun.error, retry);
  return (
    <>
      <button
        type="button"
        className="primary"
        onClick={() => mutate(undefined, { onSuccess: onQueued })}
        disabled={rerun.isPending}
        data-testid="run:rerun"
      >
        {rerun.isPending ? "Queueing…" : "Rerun"}
      </button>
      {rerun.isError && <ErrorMessage error={rerun.error} title="Not rerun" />}
    </>
  );
}

/** The run's name, if it has one, over what it is; or what it is, as the title. */
function RunTitle({ run }: { run: RunDetail }) {
  const kind = run.mode === "dry-run" ? "Dry run" : "Training run";
  const id = (
    <span className="mono run-id" data-testid="run:detail-id">
      {run.run_id}
    </span>
  );
  if (run.name === null) {
    return (
      <h1 id="run-title">
        {kind} {id}
      </h1>
    );
  }
  return (
    <div className="run-title">
      <h1 id="run-title" data-testid="run:name">
        {run.name}
      </h1>
      <p className="muted small">
        {kind} {id}
      </p>
    </div>
  );
}

function Overview({ run, refreshError, streaming }: { run: RunDetail; refreshError: unknown; streaming: boolean }) {
  return (
    <article className="card" aria-labelledby="run-title" data-testid="run:detail">
      <div className="card-header">
        <RunTitle run={run} />
        <div className="actions">
          <RunStatusBadge status={run.status} />
          <CancelRun run={run} />
          {run.status === "completed" && run.mode === "local" && (
            // Only a completed training run has a final checkpoint to serve.
            <TryItLink model={`run-${run.run_id}`} testId="run:try-it" className="button-link button-size">
              Try it in the Playground
            </TryItLink>
          )}
          <RerunButton runId={run.run_id} />
        </div>
      </div>
      <RunLabels run={run} />
      <p className="muted small">
        <Link to={datasetPath(run.dataset_key)} className="mono" data-testid="run:dataset-link">
          {run.dataset_key}
        </Link>{" "}
        · <span className="mono">{run.model_id}</span> · {run.mode} · output{" "}
        <span className="mono path">{run.output_dir}</span>
      </p>
      <RunStateLine run={run} streaming={streaming} />
      {run.message && !isLive(run.status) && run.message !== run.error && (
        <p className={run.status === "completed" ? "success" : "error"} data-testid="run:message">
          {run.message}
        </p>
      )}
      {run.error && (
        <p className="error" data-testid="run:error">
          <strong>{isLive(run.status) ? "Last attempt: " : "Reason: "}</strong>
          {run.error}
        </p>
      )}
      {refreshError !== null && <ErrorMessage error={refreshError} title="Could not refresh (retrying less often)" />}
    </article>
  );
}

/**
 * One run from the history: state, live log and loss curve, its evaluation, checks and
 * summary, artifacts, configuration, timings, attempts; cancel and rerun. The stream keeps it
 * current while open; the page polls only while it is not.
 */
export function RunDetailPage() {
  const { runId = "" } = useParams();
  const [streaming, setStreaming] = useState(false);
  const run = useRun(runId, { streaming });

  if (run.isPending) return <p className="muted">Loading run…</p>;
  if (run.isError && !run.data) {
    // 422: not a UUID, so no run can have it.
    if (isApiError(run.error) && (run.error.status === 404 || run.error.status === 422)) {
      return (
        <section className="card" data-testid="run:not-found">
          <h1>Run not found</h1>
          <p>
            No run has the id <code>{runId}</code>. <Link to="/runs">Back to runs</Link>
          </p>
        </section>
      );
    }
    return <ErrorMessage error={run.error} title="Could not load the run" />;
  }

  const detail = run.data;
  return (
    <div className="stack">
      <p className="breadcrumb">
        <Link to="/runs">← Runs</Link>
      </p>
      {/* Keyed: a rerun's state (its error) belongs to the run it was asked from. */}
      <Overview key={detail.run_id} run={detail} refreshError={run.isError ? run.error : null} streaming={streaming} />
      <RunLiveView key={`live-${detail.run_id}`} run={detail} onStreaming={setStreaming} />
      <RunEvaluation key={`evaluation-${detail.run_id}`} run={detail} />
      <RegisterRunPanel key={`register-${detail.run_id}`} run={detail} />
      <div className="detail-grid run-detail-grid">
        <div className="stack">
          <Result run={detail} />
          <ArtifactList runId={detail.run_id} live={isLive(detail.status)} />
          <Config config={detail.config} />
          <details className="card output-tails" data-testid="run:output">
            <summary>
              <h2>Output tails</h2> <span className="muted small">the last 10 KB of each stream, as the run keeps them</span>
            </summary>
            <Tail name="stdout" text={detail.stdout} testId="run:stdout-tail" />
            <Tail name="stderr" text={detail.stderr} testId="run:stderr-tail" />
          </details>
        </div>
        <div className="stack">
          <Timings run={detail} />
          <Attempts run={detail} />
        </div>
      </div>
    </div>
  );
}
