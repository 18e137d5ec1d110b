import { Link, useSearchParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { LazyLineChart as LineChart } from "../../ui/LazyLineChart";
import type { ChartLine } from "../../ui/LineChart";
import { COMPARE_COLORS, configDiff, MAX_COMPARE, MIN_COMPARE, readCompareIds } from "./compare";
import { alignSeries, EMPTY_SERIES, EVAL_LOSS, mergeMetrics, seriesUpdates, TRAIN_LOSS, type MetricPoint, type MetricsAnswer } from "./metricSeries";
import { useRuns, useRunsMetrics, type RunDetail } from "./queries";
import { runName, runPath } from "./history";
import { RunStatusBadge } from "./RunStatusBadge";
import { formatLoss, formatPercent, formatSeconds, numberAt } from "./runOutput";

type Compared = { run: RunDetail; color: string; metrics: MetricsAnswer | undefined };

function Swatch({ color }: { color: string }) {
  return <span className="swatch" style={{ background: color }} aria-hidden="true" />;
}

function RunLabel({ run, color }: { run: RunDetail; color: string }) {
  return (
    <span className="run-label">
      <Swatch color={color} />
      <Link to={runPath(run.run_id)} className={run.name ? undefined : "mono"} title={run.run_id}>
        {runName(run)}
      </Link>
    </span>
  );
}

function lossSeries(metrics: MetricsAnswer | undefined): { train: readonly MetricPoint[]; evals: readonly MetricPoint[] } {
  const series = metrics ? mergeMetrics(EMPTY_SERIES, seriesUpdates(metrics.series)) : EMPTY_SERIES;
  return { train: series.get(TRAIN_LOSS) ?? [], evals: series.get(EVAL_LOSS) ?? [] };
}

/** Train loss (solid) and eval loss (dashed, dotted) of every run, one colour a run. */
function CompareChart({ runs }: { runs: Compared[] }) {
  const lines: ChartLine[] = [];
  const list: (readonly MetricPoint[])[] = [];
  const counts: number[] = [];
  for (const { run, color, metrics } of runs) {
    const { train, evals } = lossSeries(metrics);
    const name = runName(run);
    counts.push(train.length);
    if (train.length > 0) {
      lines.push({ label: `${name} train`, color });
      list.push(train);
    }
    if (evals.length > 0) {
      lines.push({ label: `${name} eval`, color, dash: [6, 4], dots: true });
      list.push(evals);
    }
  }
  const data = alignSeries(list);

  return (
    <section className="card" aria-labelledby="compare-curve-title" data-testid="run:compare-curve">
      <h2 id="compare-curve-title">Loss curves</h2>
      {lines.length === 0 ? (
        <p className="muted" data-testid="run:compare-curve-empty">
          None of these runs recorded a loss (dry runs only check).
        </p>
      ) : (
        <LineChart
          data={data}
          lines={lines}
          xLabel="step"
          yLabel="loss"
          height={300}
          description={`Train and eval loss by step of ${runs.length} runs: ${lines.map((line) => line.label).join(", ")}.`}
          testId="run:compare-chart"
          dataAttributes={{ "data-lines": lines.length, "data-points": counts.join(",") }}
        />
      )}
    </section>
  );
}

function ConfigDiffTable({ runs }: { runs: Compared[] }) {
  const diff = configDiff(runs.map(({ run }) => run));
  return (
    <section className="card" aria-labelledby="compare-config-title">
      <h2 id="compare-config-title">Configuration differences</h2>
      {diff.differing.length === 0 ? (
        <p className="muted" data-testid="run:config-same">
          The configurations are identical ({diff.equal} keys).
        </p>
      ) : (
        <div className="table-wrap">
          <table className="config-diff" data-testid="run:config-diff">
            <thead>
              <tr>
                <th scope="col">Key</th>
                {runs.map((compared) => (
                  <th key={compared.run.run_id} scope="col">
                    <RunLabel {...compared} />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {diff.differing.map(({ key, values }) => (
                <tr key={key} data-testid="run:config-diff-row" data-key={key}>
                  <th scope="row" className="mono">
                    {key}
                  </th>
                  {values.map((value, index) => (
                    <td key={index} className="mono">
                      {value}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {diff.differing.length > 0 && (
        <p className="muted small" data-testid="run:config-equal">
          {diff.equal === 0
            ? "No key has the same value in every run."
            : `${diff.equal} other key${diff.equal === 1 ? " has" : "s have"} the same value in every run (not shown).`}
        </p>
      )}
    </section>
  );
}

function summaryValue(run: RunDetail, key: string, format: (value: number) => string): string {
  const value = run.summary ? numberAt(run.summary, key) : null;
  return value === null ? "—" : format(value);
}

const RESULT_ROWS: { name: string; value: (run: RunDetail) => string }[] = [
  { name: "dataset", value: (run) => run.dataset_key },
  { name: "model", value: (run) => run.model_id },
  { name: "mode", value: (run) => run.mode },
  { name: "steps", value: (run) => summaryValue(run, "steps", String) },
  { name: "loss (first → last)", value: (run) => `${summaryValue(run, "initial_loss", formatLoss)} → ${summaryValue(run, "final_loss", formatLoss)}` },
  { name: "eval loss", value: (run) => summaryValue(run, "eval_loss", formatLoss) },
  { name: "exact match", value: (run) => summaryValue(run, "exact_match", formatPercent) },
  { name: "duration", value: (run) => (run.duration_seconds === null ? "—" : formatSeconds(run.duration_seconds)) },
];

function Results({ runs }: { runs: Compared[] }) {
  return (
    <section className="card" aria-labelledby="compare-results-title">
      <h2 id="compare-results-title">Runs</h2>
      <div className="table-wrap">
        <table className="config-diff" data-testid="run:compare-results">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Fact</span>
              </th>
              {runs.map((compared) => (
                <th key={compared.run.run_id} scope="col">
                  <RunLabel {...compared} /> <RunStatusBadge status={compared.run.status} testId="run:compare-status" />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {RESULT_ROWS.map((row) => (
              <tr key={row.name}>
                <th scope="row">{row.name}</th>
                {runs.map(({ run }) => (
                  <td key={run.run_id} className="mono">
                    {row.value(run)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** 2-4 runs side by side: their loss curves overlaid, results, and only the config keys that differ. */
export function RunComparePage() {
  const [searchParams] = useSearchParams();
  const ids = readCompareIds(searchParams);
  const runs = useRuns(ids);
  const metrics = useRunsMetrics(ids);

  const back = (
    <p className="breadcrumb">
      <Link to="/runs">← Runs</Link>
    </p>
  );
  if (ids.length < MIN_COMPARE) {
    return (
      <div className="stack">
        {back}
        <section className="card" data-testid="run:compare-empty">
          <h1>Compare runs</h1>
          <p>
            Pick {MIN_COMPARE} to {MAX_COMPARE} runs in the <Link to="/runs">run history</Link> and press Compare.
          </p>
        </section>
      </div>
    );
  }

  const failed = runs.map((query, index) => ({ query, id: ids[index]! })).filter(({ query }) => query.isError);
  const loaded: Compared[] = runs.flatMap((query, index) =>
    query.data ? [{ run: query.data, color: COMPARE_COLORS[index % COMPARE_COLORS.length]!, metrics: metrics[index]?.data }] : [],
  );
  const loading = runs.some((query) => query.isPending);

  return (
    <div className="stack" data-testid="run:compare">
      {back}
      <section className="card">
        <h1>Compare runs</h1>
        <p className="muted small">
          {ids.length} runs: their loss curves on one chart, their results, and the configuration keys whose values differ.
        </p>
        {failed.map(({ query, id }) =>
          isApiError(query.error) && (query.error.status === 404 || query.error.status === 422) ? (
            <p key={id} className="error" data-testid="run:compare-missing">
              No run has the id <code>{id}</code>.
            </p>
          ) : (
            <ErrorMessage key={id} error={query.error} title={`Could not load run ${id}`} />
          ),
        )}
      </section>
      {loading && <p className="muted">Loading runs…</p>}
      {!loading && loaded.length > 0 && (
        <>
          <CompareChart runs={loaded} />
          <Results runs={loaded} />
          <ConfigDiffTable runs={loaded} />
        </>
      )}
    </div>
  );
}
