import { useState } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { datasetPath } from "../datasets/manifest";
import { formatLocalTime } from "../traces/payload";
import { useTuningJobs } from "./queries";
import { TuningForm } from "./TuningForm";
import { TuningStatusBadge } from "./TuningStatusBadge";
import { formatMetric, TUNING_PAGE_SIZE, tuningPath, type TuningJob } from "./tuning";

function JobRow({ job }: { job: TuningJob }) {
  return (
    <tr data-testid="tuning:row" data-job-id={job.id} data-status={job.status}>
      <td className="run-cell">
        <Link to={tuningPath(job.id)} className="run-name" title={job.id} data-testid="tuning:open">
          {job.name}
        </Link>
        <div className="muted small">
          <Link to={datasetPath(job.dataset_key)} className="mono">
            {job.dataset_key}
          </Link>{" "}
          · <span className="mono">{job.base_model_id}</span>
        </div>
      </td>
      <td>
        <TuningStatusBadge status={job.status} />
      </td>
      <td data-testid="tuning:metric">
        <span className="mono">{job.metric_name}</span> <span className="muted small">{job.metric_mode}</span>
      </td>
      <td className="num" data-testid="tuning:trials">
        {job.num_samples}
        <span className="muted small"> ({job.max_concurrent_trials} at once)</span>
      </td>
      <td className="num" data-testid="tuning:best">
        {job.best_metric_value === null ? <span className="muted">—</span> : formatMetric(job.best_metric_value)}
      </td>
      <td>
        <span className="muted small">
          {job.search_alg} · {job.scheduler}
        </span>
      </td>
      <td>
        <time dateTime={job.created_at}>{formatLocalTime(job.created_at)}</time>
      </td>
    </tr>
  );
}

/** Every study, newest first, and a form for a new one. */
export function TuningPage() {
  const [offset, setOffset] = useState(0);
  const jobs = useTuningJobs(offset);
  const page = jobs.data;
  const rows = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;

  return (
    <div className="stack">
      <section className="card" aria-labelledby="tuning-title" data-testid="tuning:page">
        <div className="card-header">
          <h1 id="tuning-title">Tuning</h1>
          <a href="#new-study" className="button-link" data-testid="tuning:new-link">
            New study ↓
          </a>
        </div>
        <p className="muted small">
          A study searches training settings with Ray Tune: each trial is a training run on a worker, reporting its loss
          as it trains. Random search or Optuna&apos;s TPE picks the settings; ASHA stops the trials that fall behind.
          Open a study to start it, follow its trials, and reuse the best trial&apos;s settings.
        </p>
        {jobs.isError && <ErrorMessage error={jobs.error} title={page ? "Could not refresh the studies" : "Could not load the studies"} />}
        {jobs.isPending && <p className="muted">Loading the studies…</p>}
        {page && rows.length === 0 && (
          <p className="muted" data-testid="tuning:empty">
            {offset > 0 ? "No studies on this page." : "No studies yet: create one below."}
          </p>
        )}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table className="tuning-jobs" data-testid="tuning:list" aria-busy={jobs.isPlaceholderData}>
              <thead>
                <tr>
                  <th scope="col">Study</th>
                  <th scope="col">Status</th>
                  <th scope="col">Metric</th>
                  <th scope="col" className="num">
                    Trials
                  </th>
                  <th scope="col" className="num">
                    Best
                  </th>
                  <th scope="col">Search</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((job) => (
                  <JobRow key={job.id} job={job} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {(offset > 0 || nextOffset !== null) && (
          <nav className="pager" aria-label="Study pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - TUNING_PAGE_SIZE))}>
              ← Previous
            </button>
            <button type="button" disabled={nextOffset === null || jobs.isPlaceholderData} onClick={() => nextOffset !== null && setOffset(nextOffset)}>
              Next →
            </button>
          </nav>
        )}
      </section>
      <div id="new-study">
        <TuningForm />
      </div>
    </div>
  );
}
