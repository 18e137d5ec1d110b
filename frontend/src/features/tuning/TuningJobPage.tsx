import { useCallback, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ConfirmCancel } from "../runs/ConfirmCancel";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { datasetPath } from "../datasets/manifest";
import { runPath, shortRunId } from "../runs/history";
import { prefilledRunPath } from "../runs/runForm";
import { formatLocalTime } from "../traces/payload";
import { BestSoFarChart } from "./BestSoFarChart";
import { LearningCurves } from "./LearningCurves";
import { ParallelCoordinates } from "./ParallelCoordinates";
import { useCancelTuningJob, useStartTuningJob, useTuningJob } from "./queries";
import { TrialsTable } from "./TrialsTable";
import { TuningStatusBadge } from "./TuningStatusBadge";
import {
  bestRunValues,
  canCancel,
  canStart,
  describeParameter,
  formatMetric,
  formatValue,
  isTuningLive,
  metricDirection,
  trialCounts,
  TUNING_POLL_INTERVAL_MS,
  type TuningJobDetail,
} from "./tuning";

function Fact({ name, testId, children }: { name: string; testId?: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{name}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function Time({ iso, absent = "—" }: { iso: string | null; absent?: string }) {
  if (iso === null) return <span className="muted">{absent}</span>;
  return <time dateTime={iso}>{formatLocalTime(iso)}</time>;
}

/** Start: queue a created study for a worker. */
function StartButton({ job }: { job: TuningJobDetail }) {
  const start = useStartTuningJob();
  const { mutate } = start;
  const retry = useCallback(() => mutate(job.id), [mutate, job.id]);
  useRetryAfterToken(start.error, retry);
  if (!canStart(job.status) && !start.isError) return null;
  return (
    <>
      {canStart(job.status) && (
        <button type="button" className="primary" onClick={() => mutate(job.id)} disabled={start.isPending} data-testid="tuning:start">
          {start.isPending ? "Starting…" : "Start"}
        </button>
      )}
      {start.isError && <ErrorMessage error={start.error} title="Not started" />}
    </>
  );
}

/** Cancel, after a second click that says what happens. 409 (it ended meanwhile) is shown. */
function CancelButton({ job }: { job: TuningJobDetail }) {
  const cancel = useCancelTuningJob();
  const { mutate } = cancel;
  const onConfirm = useCallback((onSettled: () => void) => mutate(job.id, { onSettled }), [mutate, job.id]);
  return (
    <ConfirmCancel
      testIdPrefix="tuning"
      shown={canCancel(job.status)}
      question={
        job.status === "running"
          ? "Stop every trial? Each saves a checkpoint first."
          : job.status === "pending"
            ? "Cancel this queued study?"
            : "Cancel this study? It will never run."
      }
      label="Cancel study"
      keepLabel="Keep it"
      cancel={cancel}
      onConfirm={onConfirm}
    />
  );
}

/** What the study is doing now, in a sentence, while it is queued or running. */
function StateLine({ job }: { job: TuningJobDetail }) {
  if (!isTuningLive(job.status)) return null;
  const counts = trialCounts(job.trials);
  const ended = job.trials.length - counts.running;
  return (
    <p className="run-state-line" role="status" data-testid="tuning:state-line">
      <span className="spinner" aria-hidden="true" />
      {job.status === "pending"
        ? job.attempt > 0
          ? "Queued again after its worker was lost: waiting for a worker."
          : "Queued: waiting for a worker to run the study."
        : `Running: ${counts.running} trial${counts.running === 1 ? "" : "s"} training, ${ended} of ${job.num_samples} ended.`}{" "}
      <span className="muted small">This page refreshes every {TUNING_POLL_INTERVAL_MS / 1000} s.</span>
    </p>
  );
}

function Overview({ job, refreshError }: { job: TuningJobDetail; refreshError: unknown }) {
  const counts = trialCounts(job.trials);
  return (
    <article className="card" aria-labelledby="tuning-job-title" data-testid="tuning:detail">
      <div className="card-header">
        <div className="run-title">
          <h1 id="tuning-job-title" data-testid="tuning:name">
            {job.name}
          </h1>
          <p className="muted small">
            Study <span className="mono run-id">{job.id}</span>
          </p>
        </div>
        <div className="actions">
          <TuningStatusBadge status={job.status} />
          <StartButton job={job} />
          <CancelButton job={job} />
        </div>
      </div>
      <p className="muted small">
        <Link to={datasetPath(job.dataset_key)} className="mono" data-testid="tuning:dataset-link">
          {job.dataset_key}
        </Link>{" "}
        · <span className="mono">{job.base_model_id}</span> · {job.num_samples} trials, {job.max_concurrent_trials} at once ·{" "}
        {job.search_alg} search · {job.scheduler} scheduler
      </p>
      <StateLine job={job} />
      {job.message && job.message !== job.error && (
        <p className={job.status === "failed" ? "error" : job.status === "completed" ? "success" : "muted"} data-testid="tuning:message">
          {job.message}
        </p>
      )}
      {job.error && (
        <p className="error" data-testid="tuning:error">
          <strong>{isTuningLive(job.status) ? "Last attempt: " : "Reason: "}</strong>
          {job.error}
        </p>
      )}
      {job.trials.length > 0 && (
        <p className="small trial-counts" data-testid="tuning:trial-counts">
          {job.trials.length} of {job.num_samples} trials begun: {counts.completed} completed, {counts.early_stopped} stopped early
          {counts.failed > 0 && `, ${counts.failed} failed`}
          {counts.cancelled > 0 && `, ${counts.cancelled} cancelled`}
          {counts.running > 0 && `, ${counts.running} running`}.
        </p>
      )}
      {refreshError !== null && <ErrorMessage error={refreshError} title="Could not refresh (retrying less often)" />}
    </article>
  );
}

/** The best trial: its metric, its settings, its run, and a run form filled in with them. */
function Best({ job }: { job: TuningJobDetail }) {
  const params = job.best_params ?? {};
  const entries = Object.entries(params);
  return (
    <section className="card best-trial-card" aria-labelledby="tuning-best-title" data-testid="tuning:best-card">
      <h2 id="tuning-best-title">Best trial</h2>
      {job.best_metric_value === null ? (
        <p className="muted" data-testid="tuning:no-best">
          {isTuningLive(job.status) || job.status === "created" ? "No trial has reported its metric yet." : "No trial reported its metric."}
        </p>
      ) : (
        <>
          <p className="best-metric">
            <span className="mono">{job.metric_name}</span>{" "}
            <strong data-testid="tuning:best-metric">{formatMetric(job.best_metric_value)}</strong>{" "}
            <span className="muted small">({metricDirection(job.metric_mode)})</span>
          </p>
          {entries.length > 0 && (
            <dl className="facts" data-testid="tuning:best-params">
              {entries.map(([key, value]) => (
                <Fact key={key} name={key}>
                  <span className="mono" title={String(value)}>
                    {formatValue(value)}
                  </span>
                </Fact>
              ))}
            </dl>
          )}
          <div className="actions">
            {job.best_run_id && (
              <Link to={runPath(job.best_run_id)} className="button-link" data-testid="tuning:best-run">
                Open its run ({shortRunId(job.best_run_id)})
              </Link>
            )}
            <Link
              to={prefilledRunPath(job.dataset_key, job.base_model_id, bestRunValues(job, params))}
              className="button-link"
              data-testid="tuning:use-best"
              title="The Runs page's form, filled in with the study's dataset, model, fixed settings and this trial's"
            >
              Train with these settings
            </Link>
          </div>
        </>
      )}
    </section>
  );
}

/** How the study searches, and when it ran. */
function Study({ job }: { job: TuningJobDetail }) {
  return (
    <section className="card" aria-labelledby="tuning-study-title" data-testid="tuning:study">
      <h2 id="tuning-study-title">Study</h2>
      <dl className="facts">
        <Fact name="Metric" testId="tuning:settings-metric">
          <span className="mono">{job.metric_name}</span>, {job.metric_mode} ({metricDirection(job.metric_mode)})
        </Fact>
        <Fact name="Trials">
          {job.num_samples}, {job.max_concurrent_trials} at once
        </Fact>
        <Fact name="Search">
          {job.search_alg}, seed {job.seed}
        </Fact>
        <Fact name="Scheduler">{job.scheduler === "asha" ? "asha (stops laggards early)" : job.scheduler}</Fact>
        <Fact name="Created" testId="tuning:created">
          <Time iso={job.created_at} />
        </Fact>
        <Fact name="Queued" testId="tuning:queued">
          <Time iso={job.queued_at} absent={job.status === "created" ? "not started" : "—"} />
        </Fact>
        <Fact name="Ended" testId="tuning:completed">
          <Time iso={job.completed_at} absent={isTuningLive(job.status) ? "not yet" : "—"} />
        </Fact>
        <Fact name="Attempt">{job.attempt}</Fact>
      </dl>
    </section>
  );
}

/** What each trial draws, and what every trial shares. */
function Settings({ job }: { job: TuningJobDetail }) {
  const space = Object.entries(job.search_space);
  const training = Object.entries(job.training);
  return (
    <section className="card tuning-settings" aria-labelledby="tuning-settings-title" data-testid="tuning:settings">
      <h2 id="tuning-settings-title">Settings</h2>
      <div className="settings-columns">
        <div>
          <h3>Search space</h3>
          <table className="config" data-testid="tuning:space-summary">
            <tbody>
              {space.map(([key, parameter]) => (
                <tr key={key}>
                  <th scope="row" className="mono">
                    {key}
                  </th>
                  <td className="mono">{describeParameter(parameter)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h3>Every trial</h3>
          {training.length === 0 ? (
            <p className="muted small">The server&apos;s defaults.</p>
          ) : (
            <table className="config" data-testid="tuning:training-summary">
              <tbody>
                {training.map(([key, value]) => (
                  <tr key={key}>
                    <th scope="row" className="mono">
                      {key}
                    </th>
                    <td className="mono">{formatValue(value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </section>
  );
}

/**
 * One study: its state, start and cancel, the best trial (and a run form filled in with
 * its settings), the best metric so far trial by trial, every trial, each trial's learning
 * curve, the trials across their settings (parallel coordinates), and its settings.
 * Refreshes every 2 s while it is queued or running.
 */
export function TuningJobPage() {
  const { jobId = "" } = useParams();
  const job = useTuningJob(jobId);

  if (job.isPending) return <p className="muted">Loading the study…</p>;
  if (job.isError && !job.data) {
    if (isApiError(job.error) && (job.error.status === 404 || job.error.status === 422)) {
      return (
        <section className="card" data-testid="tuning:not-found">
          <h1>Study not found</h1>
          <p>
            No study has the id <code>{jobId}</code>. <Link to="/tuning">Back to tuning</Link>
          </p>
        </section>
      );
    }
    return <ErrorMessage error={job.error} title="Could not load the study" />;
  }

  const detail = job.data;
  return (
    <div className="stack">
      <p className="breadcrumb">
        <Link to="/tuning">← Tuning</Link>
      </p>
      <Overview key={detail.id} job={detail} refreshError={job.isError ? job.error : null} />
      <div className="detail-grid tuning-detail-grid">
        <div className="stack">
          <section className="card" aria-labelledby="tuning-trials-title" data-testid="tuning:trials">
            <h2 id="tuning-trials-title">Trials</h2>
            <TrialsTable key={detail.id} job={detail} />
          </section>
          <BestSoFarChart job={detail} />
          <LearningCurves job={detail} />
          <ParallelCoordinates job={detail} />
          <Settings job={detail} />
        </div>
        <div className="stack">
          <Best job={detail} />
          <Study job={detail} />
        </div>
      </div>
    </div>
  );
}
