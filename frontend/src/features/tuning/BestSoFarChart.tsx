import { LazyLineChart } from "../../ui/LazyLineChart";
import { bestSoFar, formatMetric, type TuningJobDetail } from "./tuning";

const LINES = [
  { label: "each trial", color: "var(--neutral, #8a93a3)", dots: true, faint: true },
  { label: "best so far", color: "var(--accent, #2b6cb0)" },
];

/** Each trial's metric in the order the trials began, and the best of them so far. */
export function BestSoFarChart({ job }: { job: TuningJobDetail }) {
  const { x, metric, best } = bestSoFar(job.trials, job.metric_mode);
  const measured = metric.filter((value) => value !== null).length;
  if (measured === 0) return null;
  const last = best[best.length - 1] ?? null;
  return (
    <section className="card" aria-labelledby="tuning-chart-title" data-testid="tuning:chart">
      <h2 id="tuning-chart-title">Best so far</h2>
      <p className="muted small">
        {job.metric_name} of each trial, numbered in the order they began ({job.metric_mode === "min" ? "lower" : "higher"} is
        better); the line is the best reached by then.
      </p>
      <LazyLineChart
        data={{ x, ys: [metric, best] }}
        lines={LINES}
        xLabel="trial"
        yLabel={job.metric_name}
        height={220}
        description={`${job.metric_name} of ${measured} trials; best so far ${formatMetric(last)}.`}
        testId="tuning:chart-canvas"
        dataAttributes={{ "data-points": measured }}
      />
    </section>
  );
}
