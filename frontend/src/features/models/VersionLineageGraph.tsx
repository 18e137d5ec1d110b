import type { ReactNode } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { datasetPath } from "../datasets/manifest";
import { evaluationPath, formatShare } from "../evaluation/evaluation";
import { regressionPath } from "../regression/regression";
import { CheckVerdict } from "../regression/VerdictBadge";
import { runPath, shortRunId } from "../runs/history";
import { RunStatusBadge } from "../runs/RunStatusBadge";
import { formatLocalTime, shortId } from "../traces/payload";
import { AliasChips } from "./AliasChips";
import {
  aliasesOf,
  asRunState,
  asVerdict,
  datasetDrift,
  runSettings,
  TRACE_SAMPLE_SHOWN,
  type DatasetDrift,
  type LineageCheck,
  type LineageDataset,
  type LineageEvaluation,
  type LineageRun,
  type LineageVersion,
} from "./lineage";
import { modelPath, shortSha, type ModelVersion } from "./models";
import { useVersionLineage } from "./queries";

/** One box of the graph: what it is, then its content. `subject`: the version the graph is of. */
function Node({ kind, testId, subject = false, children }: { kind: string; testId: string; subject?: boolean; children: ReactNode }) {
  return (
    <div className={subject ? "lineage-node lineage-subject" : "lineage-node"} data-testid={testId}>
      <h3 className="lineage-kind">{kind}</h3>
      {children}
    </div>
  );
}

function None({ children }: { children: ReactNode }) {
  return <p className="muted small lineage-none">{children}</p>;
}

function Traces({ dataset, drift }: { dataset: LineageDataset; drift: DatasetDrift }) {
  const traces = dataset.traces;
  if (traces === null) return <None>{dataset.key ? "Unknown: the dataset was deleted." : "Not recorded."}</None>;
  const shown = traces.sample_ids.slice(0, TRACE_SAMPLE_SHOWN);
  const more = traces.count - shown.length;
  return (
    <>
      <p className="lineage-main">
        <strong data-testid="models:lineage-trace-count">{traces.count.toLocaleString()}</strong> traces
      </p>
      <p className="small" data-testid="models:lineage-trace-split">
        train {traces.train.toLocaleString()} · eval {traces.eval.toLocaleString()}
      </p>
      {shown.length > 0 && (
        <p className="small lineage-links">
          {shown.map((id) => (
            <Link key={id} to={`/traces/${encodeURIComponent(id)}`} className="mono" title={id} data-testid="models:lineage-trace-link">
              {shortId(id)}
            </Link>
          ))}
          {more > 0 && <span className="muted">+{more.toLocaleString()} more</span>}
        </p>
      )}
      {drift === "changed" && <p className="muted small">as the dataset is now</p>}
    </>
  );
}

function DriftFlag({ dataset, drift }: { dataset: LineageDataset; drift: DatasetDrift }) {
  if (drift === "changed") {
    return (
      <span
        className="pill lineage-flag flag-changed"
        title={`Rebuilt since the run trained on it: its content's sha256 is now ${dataset.sha256_now ?? "?"}`}
        data-testid="models:lineage-dataset-flag"
        data-drift={drift}
      >
        changed since
      </span>
    );
  }
  if (drift === "deleted") {
    return (
      <span className="pill lineage-flag flag-deleted" title="The dataset was deleted after the run trained on it" data-testid="models:lineage-dataset-flag" data-drift={drift}>
        deleted
      </span>
    );
  }
  return null;
}

function Dataset({ dataset, drift }: { dataset: LineageDataset; drift: DatasetDrift }) {
  if (!dataset.key) return <None>Not recorded.</None>;
  return (
    <>
      <p className="lineage-main">
        {drift === "deleted" ? (
          <span className="mono">{dataset.key}</span>
        ) : (
          <Link to={datasetPath(dataset.key)} className="mono" data-testid="models:lineage-dataset-link">
            {dataset.key}
          </Link>
        )}
      </p>
      {dataset.sha256 && (
        <p className="small">
          sha256 <code title={dataset.sha256}>{shortSha(dataset.sha256)}</code>
        </p>
      )}
      {drift === "changed" && dataset.sha256_now && (
        <p className="small">
          now <code title={dataset.sha256_now}>{shortSha(dataset.sha256_now)}</code>
        </p>
      )}
      <DriftFlag dataset={dataset} drift={drift} />
    </>
  );
}

function Run({ run }: { run: LineageRun | null }) {
  if (run === null) return <None>Deleted.</None>;
  const state = asRunState(run.status);
  const settings = runSettings(run.config);
  return (
    <>
      <p className="lineage-main lineage-inline">
        <Link to={runPath(run.run_id)} className="mono" title={run.run_id} data-testid="models:lineage-run-link">
          {shortRunId(run.run_id)}
        </Link>
        {state ? <RunStatusBadge status={state} testId="models:lineage-run-status" /> : <span className="pill">{run.status}</span>}
      </p>
      <p className="small mono lineage-wrap">{run.base_model}</p>
      {settings && <p className="small muted">{settings}</p>}
      {run.completed_at && (
        <p className="small muted">
          ended <time dateTime={run.completed_at}>{formatLocalTime(run.completed_at)}</time>
        </p>
      )}
    </>
  );
}

function Evaluations({ evaluations }: { evaluations: readonly LineageEvaluation[] }) {
  if (evaluations.length === 0) return <None>None.</None>;
  return (
    <ul className="lineage-list">
      {evaluations.map((evaluation) => (
        <li key={evaluation.id} data-testid="models:lineage-evaluation" data-mock={String(evaluation.mock)}>
          <Link to={evaluationPath(evaluation.id)}>{evaluation.primary_score === null ? "no score" : formatShare(evaluation.primary_score)}</Link>{" "}
          <span className="small">{evaluation.judge}</span> <span className="muted small">{evaluation.split}</span>
          {evaluation.mock && (
            <>
              {" "}
              <span className="pill lineage-mock" title="A mock judge: its score says nothing about the model">
                mock
              </span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function Checks({ checks }: { checks: readonly LineageCheck[] }) {
  if (checks.length === 0) return <None>None.</None>;
  return (
    <ul className="lineage-list">
      {checks.map((check) => {
        const verdict = asVerdict(check.verdict);
        return (
          <li key={check.id} data-testid="models:lineage-check">
            <Link to={regressionPath({ check: check.id })} className="mono" title="The check's report">
              {check.baseline_name}
            </Link>{" "}
            {verdict ? <CheckVerdict verdict={verdict} /> : <span className="pill">{check.verdict}</span>}
          </li>
        );
      })}
    </ul>
  );
}

function Version({ version }: { version: LineageVersion }) {
  return (
    <>
      <p className="lineage-main lineage-wrap">
        <Link to={modelPath(version.model_id)} data-testid="models:lineage-version-link">
          <span className="mono">{version.model_name}</span> <strong className="mono">{version.version}</strong>
        </Link>
      </p>
      <p className="small">
        sha256 <code title={version.sha256}>{shortSha(version.sha256)}</code>
      </p>
      <p className="small muted">
        <time dateTime={version.created_at}>{formatLocalTime(version.created_at)}</time>
      </p>
    </>
  );
}

type Props = { version: Pick<ModelVersion, "id" | "model_id" | "model_name" | "version">; protectedAliases: readonly string[] };

/**
 * Where a version came from, drawn left to right (top to bottom on a narrow screen):
 * traces -> dataset version -> run -> its evaluations and regression checks -> the
 * version -> its aliases, each box linked to its own page.
 */
export function VersionLineageGraph({ version, protectedAliases }: Props) {
  const lineage = useVersionLineage(version);
  if (lineage.isPending) return <p className="muted small">Loading its lineage…</p>;
  if (lineage.isError) return <ErrorMessage error={lineage.error} title="Could not load the lineage" />;
  const { dataset, run, evaluations, checks, version: promoted } = lineage.data;
  const drift = datasetDrift(dataset);
  return (
    <div className="lineage" data-testid="models:lineage">
      <ol className="lineage-graph" aria-label={`Lineage of ${version.model_name} ${version.version}, from its traces to its aliases`}>
        <li className="lineage-step">
          <Node kind="Traces" testId="models:lineage-traces">
            <Traces dataset={dataset} drift={drift} />
          </Node>
        </li>
        <li className="lineage-step">
          <Node kind="Dataset" testId="models:lineage-dataset">
            <Dataset dataset={dataset} drift={drift} />
          </Node>
        </li>
        <li className="lineage-step">
          <Node kind="Run" testId="models:lineage-run">
            <Run run={run} />
          </Node>
        </li>
        <li className="lineage-step lineage-branch">
          <Node kind="Evaluations" testId="models:lineage-evaluations">
            <Evaluations evaluations={evaluations} />
          </Node>
          <Node kind="Regression checks" testId="models:lineage-checks">
            <Checks checks={checks} />
          </Node>
        </li>
        <li className="lineage-step">
          <Node kind="Version" testId="models:lineage-version" subject>
            <Version version={promoted} />
          </Node>
        </li>
        <li className="lineage-step">
          <Node kind="Aliases" testId="models:lineage-aliases">
            {promoted.aliases.length === 0 ? <None>None.</None> : <AliasChips aliases={aliasesOf(promoted.aliases, protectedAliases)} />}
          </Node>
        </li>
      </ol>
    </div>
  );
}
