import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { runPath, shortRunId } from "../runs/history";
import { RunStatusBadge } from "../runs/RunStatusBadge";
import { formatLocalTime } from "../traces/payload";
import { AliasChips } from "./AliasChips";
import { aliasesOf, asRunState, type DatasetRunLineage, type LineageVersion } from "./lineage";
import { modelPath } from "./models";
import { useBuiltOnDataset } from "./queries";

function PromotedVersion({ version }: { version: LineageVersion }) {
  return (
    <li className="built-on-version" data-testid="models:built-on-version" data-version-id={version.id}>
      <Link to={modelPath(version.model_id)} data-testid="models:built-on-version-link">
        <span className="mono">{version.model_name}</span> <strong className="mono">{version.version}</strong>
      </Link>
      {version.aliases.length > 0 && <AliasChips aliases={aliasesOf(version.aliases, [])} />}
    </li>
  );
}

function RunItem({ run }: { run: DatasetRunLineage }) {
  const state = asRunState(run.status);
  return (
    <li className="built-on-run" data-testid="models:built-on-run" data-run-id={run.run_id}>
      <div className="built-on-head">
        <Link to={runPath(run.run_id)} className="mono" title={run.run_id} data-testid="models:built-on-run-link">
          {shortRunId(run.run_id)}
        </Link>
        {state ? <RunStatusBadge status={state} testId="models:built-on-run-status" /> : <span className="pill">{run.status}</span>}
        <span className="mono small">{run.base_model}</span>
        <time className="muted small" dateTime={run.created_at}>
          {formatLocalTime(run.created_at)}
        </time>
      </div>
      {run.versions.length === 0 ? (
        <p className="muted small built-on-none">Not registered as a model.</p>
      ) : (
        <ul className="built-on-versions" aria-label={`Model versions from run ${shortRunId(run.run_id)}`}>
          {run.versions.map((version) => (
            <PromotedVersion key={version.id} version={version} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** On a dataset's page: the training runs on it, newest first, and the model versions promoted from each. */
export function BuiltOnDataset({ datasetKey }: { datasetKey: string }) {
  const lineage = useBuiltOnDataset(datasetKey);
  const runs = lineage.data?.runs ?? [];
  return (
    <section className="card" aria-labelledby="built-on-title" data-testid="models:built-on">
      <div className="card-header">
        <h2 id="built-on-title">Built on this dataset</h2>
        <span className="muted small">training runs, newest first, and the model versions from them</span>
      </div>
      {lineage.isPending && <p className="muted">Loading…</p>}
      {lineage.isError && <ErrorMessage error={lineage.error} title="Could not load what was built on it" />}
      {lineage.data && runs.length === 0 && (
        <p className="muted" data-testid="models:built-on-empty">
          No training runs on it yet.
        </p>
      )}
      {runs.length > 0 && (
        <ul className="built-on-runs">
          {runs.map((run) => (
            <RunItem key={run.run_id} run={run} />
          ))}
        </ul>
      )}
      {lineage.data?.runs_truncated && (
        <p className="muted small" data-testid="models:built-on-truncated">
          The newest {runs.length} runs; it has more.
        </p>
      )}
    </section>
  );
}
