import { Link } from "react-router";
import { datasetPath } from "../datasets/manifest";
import { runPath, shortRunId } from "../runs/history";
import { formatLocalTime } from "../traces/payload";
import { evaluationLink, scoreText } from "./evaluation";
import { VerdictBadge } from "./EvaluationView";
import { IntervalBar } from "./IntervalBar";
import { rankRows, type LeaderboardRow, type LeaderboardSort, type LeaderboardSortKey } from "./leaderboard";

function ModelCell({ row }: { row: LeaderboardRow }) {
  if (row.run_id === null) {
    return (
      <>
        <span className="mono">{row.model_id}</span> <span className="pill base-model">base model</span>
      </>
    );
  }
  return (
    <>
      <span className="mono">{row.model_id}</span>{" "}
      <Link to={runPath(row.run_id)} className="mono small" title={row.run_id} data-testid="leaderboard:run-link">
        run {shortRunId(row.run_id)}
      </Link>
    </>
  );
}

function Row({ rank, row }: { rank: number; row: LeaderboardRow }) {
  return (
    <tr data-testid="leaderboard:row" data-evaluation-id={row.evaluation_id} data-run-id={row.run_id ?? ""}>
      <td className="num rank">{rank}</td>
      <td>
        <ModelCell row={row} />
      </td>
      <td>
        <Link to={datasetPath(row.dataset_key)} className="mono">
          {row.dataset_key}
        </Link>
      </td>
      <td>{row.split}</td>
      <td>
        <span className="mono">{row.judge}</span> <span className="muted small">v{row.judge_version}</span>
      </td>
      <td className="score-cell" data-testid="leaderboard:score" data-value={row.primary_score}>
        <span className="score-text">{scoreText(row.primary_score, row.interval)}</span>
        <IntervalBar score={row.primary_score} interval={row.interval} />
      </td>
      <td className="num" data-testid="leaderboard:n">
        {row.n_scored}
        {row.n_unscored > 0 && <span className="unscored-count small"> +{row.n_unscored} unscored</span>}
      </td>
      <td>
        <VerdictBadge verdict={row.verdict} testId="leaderboard:verdict" />
      </td>
      <td>
        <time dateTime={row.created_at}>{formatLocalTime(row.created_at)}</time>
      </td>
      <td>
        <Link
          to={evaluationLink({ evaluationId: row.evaluation_id, runId: row.run_id })}
          className="button-link"
          data-testid="leaderboard:open"
          aria-label={`Open the evaluation of ${row.model_id}${row.run_id ? ` (run ${shortRunId(row.run_id)})` : ""}`}
        >
          Open
        </Link>
      </td>
    </tr>
  );
}

type SortHeaderProps = {
  label: string;
  sortKey: LeaderboardSortKey;
  sort: LeaderboardSort;
  onSort: (key: LeaderboardSortKey) => void;
  className?: string;
};

function SortHeader({ label, sortKey, sort, onSort, className }: SortHeaderProps) {
  const active = sort.key === sortKey;
  const direction = sort.descending ? "descending" : "ascending";
  return (
    <th scope="col" className={className} aria-sort={active ? direction : "none"}>
      <button type="button" className="sort-button" onClick={() => onSort(sortKey)} data-testid={`leaderboard:sort-${sortKey}`}>
        {label}
        <span aria-hidden="true" className="sort-arrow">
          {active ? (sort.descending ? "▼" : "▲") : "↕"}
        </span>
      </button>
    </th>
  );
}

type LeaderboardTableProps = {
  rows: LeaderboardRow[];
  offset: number;
  sort: LeaderboardSort;
  onSort: (key: LeaderboardSortKey) => void;
  busy: boolean;
};

/** A page of the leaderboard: the server's rank, and the page reordered by a column when asked. */
export function LeaderboardTable({ rows, offset, sort, onSort, busy }: LeaderboardTableProps) {
  return (
    <div className="table-wrap">
      <table className="leaderboard" data-testid="leaderboard:table" aria-busy={busy}>
        <thead>
          <tr>
            <SortHeader label="Rank" sortKey="rank" sort={sort} onSort={onSort} className="num" />
            <th scope="col">Model</th>
            <th scope="col">Dataset</th>
            <th scope="col">Split</th>
            <th scope="col">Judge</th>
            <SortHeader label="Score (95% interval)" sortKey="score" sort={sort} onSort={onSort} />
            <SortHeader label="Scored" sortKey="n" sort={sort} onSort={onSort} className="num" />
            <th scope="col">Verdict</th>
            <SortHeader label="Date" sortKey="date" sort={sort} onSort={onSort} />
            <th scope="col">
              <span className="visually-hidden">Evaluation</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rankRows(rows, offset, sort).map(({ rank, row }) => (
            <Row key={row.evaluation_id} rank={rank} row={row} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
