import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { evaluationPath } from "../evaluation/evaluation";
import { runPath, shortRunId } from "../runs/history";
import { formatLocalTime } from "../traces/payload";
import { useBaseline } from "./queries";
import { formatValue, metricLabel, type BaselineSetting } from "./regression";

function SettingRow({ setting }: { setting: BaselineSetting }) {
  return (
    <tr data-testid="regression:history-row" data-version={setting.version}>
      <td className="num">v{setting.version}</td>
      <td>
        <time dateTime={setting.created_at}>{formatLocalTime(setting.created_at)}</time>
      </td>
      <td>
        <Link to={runPath(setting.run_id)} className="mono" title={setting.run_id}>
          {shortRunId(setting.run_id)}
        </Link>{" "}
        <Link to={evaluationPath(setting.evaluation_id)} className="muted small" title={setting.evaluation_id}>
          evaluation
        </Link>
      </td>
      <td>
        {metricLabel(setting.metric)}
        {setting.lower_is_better && <span className="muted small"> (lower is better)</span>}
      </td>
      <td className="num">{formatValue(setting.value)}</td>
      <td className="num">
        {formatValue(setting.margin)}
        {setting.margin_default && <span className="muted small"> (5%)</span>}
      </td>
      <td>
        <span className="mono">{setting.judge.name}</span> <span className="muted small">v{setting.judge.version}</span>
      </td>
      <td>
        <span className="mono">{setting.dataset_key}</span> <span className="muted small">{setting.split}</span>
      </td>
      <td className="history-description">{setting.description ?? <span className="muted">—</span>}</td>
    </tr>
  );
}

/** Every setting a baseline has had, newest first. */
export function BaselineHistory({ name }: { name: string }) {
  const detail = useBaseline(name);
  if (detail.isPending) return <p className="muted small">Loading its history…</p>;
  if (detail.isError) return <ErrorMessage error={detail.error} title="Could not load the history" />;
  return (
    <div className="baseline-history" data-testid="regression:history">
      <h3>
        History of <span className="mono">{name}</span>, newest first
      </h3>
      <div className="table-wrap">
        <table className="history">
          <thead>
            <tr>
              <th scope="col" className="num">
                Version
              </th>
              <th scope="col">Set</th>
              <th scope="col">Run</th>
              <th scope="col">Metric</th>
              <th scope="col" className="num">
                Value
              </th>
              <th scope="col" className="num">
                Margin
              </th>
              <th scope="col">Judge</th>
              <th scope="col">Dataset</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {detail.data.history.map((setting) => (
              <SettingRow key={setting.version} setting={setting} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
