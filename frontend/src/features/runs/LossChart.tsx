import { useMemo } from "react";
import { LazyLineChart as LineChart } from "../../ui/LazyLineChart";
import type { ChartLine } from "../../ui/LineChart";
import { alignSeries, EVAL_LOSS, lastPoint, LEARNING_RATE, TRAIN_LOSS, type MetricPoint, type SeriesMap } from "./metricSeries";
import { formatLoss } from "./runOutput";

const SERIES: { name: string; line: ChartLine }[] = [
  { name: TRAIN_LOSS, line: { label: "train loss", color: "#2b6cb0" } },
  { name: EVAL_LOSS, line: { label: "eval loss", color: "#dd6b20", dots: true } },
  { name: LEARNING_RATE, line: { label: "learning rate", color: "#8a93a3", axis: "y2", dash: [5, 4] } },
];

function describe(label: string, points: readonly MetricPoint[]): string {
  const last = lastPoint(points);
  return last ? `${label}: ${points.length} points, last ${formatLoss(last[1])} at step ${last[0]}` : `${label}: no points`;
}

/**
 * Train and eval loss on the left axis, the learning rate on the right, by step: the
 * stored points, then every `metric` event as it arrives.
 */
export function LossChart({ series, live }: { series: SeriesMap; live: boolean }) {
  const shownKey = SERIES.filter(({ name }) => (series.get(name)?.length ?? 0) > 0)
    .map(({ name }) => name)
    .join(",");
  // Stable while the same series are present: only data changes reach the chart.
  const shown = useMemo(() => SERIES.filter(({ name }) => shownKey.split(",").includes(name)), [shownKey]);
  const lines = useMemo(() => shown.map(({ line }) => line), [shown]);
  const data = useMemo(() => alignSeries(shown.map(({ name }) => series.get(name) ?? [])), [shown, series]);

  const train = series.get(TRAIN_LOSS) ?? [];
  const evals = series.get(EVAL_LOSS) ?? [];
  return (
    <section className="card" aria-labelledby="run-curve-title" data-testid="run:curve">
      <div className="card-header">
        <h2 id="run-curve-title">Loss curve</h2>
        <span className="muted small" data-testid="run:curve-summary">
          {train.length > 0 ? describe("train loss", train) : "no training steps yet"}
        </span>
      </div>
      {shown.length === 0 ? (
        <p className="muted" data-testid="run:curve-empty">
          {live ? "Waiting for the first training step…" : "This run recorded no loss."}
        </p>
      ) : (
        <LineChart
          data={data}
          lines={lines}
          xLabel="step"
          yLabel="loss"
          y2Label="learning rate"
          description={`Loss by step. ${shown.map(({ name, line }) => describe(line.label, series.get(name) ?? [])).join("; ")}.`}
          testId="run:curve-chart"
          dataAttributes={{ "data-points": train.length, "data-eval-points": evals.length }}
        />
      )}
    </section>
  );
}
