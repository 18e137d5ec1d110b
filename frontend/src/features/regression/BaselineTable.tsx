import { useState } from "react";
import { Link } from "react-router";
import { datasetPath } from "../datasets/manifest";
import { runPath, shortRunId } from "../runs/history";
import { formatLocalTime } from "../traces/payload";
import { BaselineHistory } from "./BaselineHistory";
import { DeleteBaseline } from "./DeleteBaseline";
import { formatValue, metricLabel, type Baseline } from "./regression";

const COLUMNS = 10;

type Opened = "history" | "delete" | null;

function BaselineRow({ baseline }: { baseline: Baseline }) {
  const [opened, setOpened] = useState<Opened>(null);
  const toggle = (what: Exclude<Opened, null>) => setOpened((current) => (current === what ? null : what));
  const detailId = `baseline-${baseline.name}-detail`;

  return (
    <>
      <tr data-testid="regression:baseline-row" data-name={baseline.name}>
        <td>
          <strong className="mono">{baseline.name}</strong>
          {baseline.description && <div className="muted small baseline-description">{baseline.description}</div>}
        </td>
        <td>
          {metricLabel(baseline.metric)}
          {baseline.lower_is_better && <span className="muted small"> (lower is better)</span>}
        </td>
        <td className="num" data-testid="regression:baseline-value">
          {formatValue(baseline.value)}
        </td>
        <td className="num" data-testid="regression:baseline-margin">
          {formatValue(baseline.margin)}
          {baseline.margin_default && (
            <span className="muted small" title="Not set: 5% of the value">
              {" "}
              (5%)
            </span>
          )}
        </td>
        <td data-testid="regression:baseline-judge">
          <span className="mono">{baseline.judge.name}</span> <span className="muted small">v{baseline.judge.version}</span>
        </td>
        <td>
          <Link to={datasetPath(baseline.dataset_key)} className="mono">
            {baseline.dataset_key}
          </Link>{" "}
          <span className="muted small">{baseline.split}</span>
        </td>
        <td>
          <Link to={runPath(baseline.run_id)} className="mono" title={baseline.run_id} data-testid="regression:baseline-run">
            {shortRunId(baseline.run_id)}
          </Link>
        </td>
        <td className="num" data-testid="regression:baseline-version">
          v{baseline.version}
        </td>
        <td>
          <time dateTime={baseline.updated_at}>{formatLocalTime(baseline.updated_at)}</time>
        </td>
        <td className="row-actions">
          <button
            type="button"
            className="link-button"
            aria-expanded={opened === "history"}
            aria-controls={opened === "history" ? detailId : undefined}
            onClick={() => toggle("history")}
            data-testid="regression:history-toggle"
          >
            {opened === "history" ? "Hide history" : "History"}
          </button>
          <button type="button" className="link-button danger-link" onClick={() => toggle("delete")} data-testid="regression:delete">
            Delete
          </button>
        </td>
      </tr>
      {opened !== null && (
        <tr className="detail-row" id={detailId}>
          <td colSpan={COLUMNS}>
            {opened === "history" ? <BaselineHistory name={baseline.name} /> : <DeleteBaseline name={baseline.name} onDone={() => setOpened(null)} />}
          </td>
        </tr>
      )}
    </>
  );
}

/** The baselines by name: what each pins, and its history and delete on demand. */
export function BaselineTable({ baselines, busy }: { baselines: Baseline[]; busy: boolean }) {
  return (
    <div className="table-wrap">
      <table className="baselines" data-testid="regression:baselines" aria-busy={busy}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Metric</th>
            <th scope="col" className="num">
              Value
            </th>
            <th scope="col" className="num">
              Margin
            </th>
            <th scope="col">Judge</th>
            <th scope="col">Dataset</th>
            <th scope="col">Run</th>
            <th scope="col" className="num">
              Version
            </th>
            <th scope="col">Updated</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {baselines.map((baseline) => (
            <BaselineRow key={baseline.name} baseline={baseline} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
