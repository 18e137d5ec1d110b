import { LogScaleToggle } from "../../ui/LogScaleToggle";
import { LazyLineChart } from "../../ui/LazyLineChart";
import type { ChartLine } from "../../ui/LineChart";
import { COMPARE_COLORS } from "../runs/compare";
import { useLossChartSettings } from "../runs/lossChartSettings";
import { alignSeries, EVAL_LOSS, lastPoint, type MetricPoint, type MetricsAnswer } from "../runs/metricSeries";
import { useTrialCurves, type CurvedTrial } from "./queries";
import { describeParams, formatMetric, paramColumns, trialNumbers, type TuningJobDetail } from "./tuning";

/**
 * A colour a trial, by its number: the compare view's four (told apart with colour
 * blindness too), then four more of the theme's; past eight the colours come round
 * again, dashed.
 */
export const TRIAL_COLORS = [
  ...COMPARE_COLORS,
  "var(--timeout, #7b55c7)",
  "var(--bad, #c53030)",
  "var(--caution-text, #7a4b00)",
  "var(--neutral-text, #4a5260)",
] as const;
const ROUND_DASHES: (number[] | undefined)[] = [undefined, [6, 3], [2, 3]];

/** The best trial's line, and the others'. */
export const BEST_WIDTH = 3;
export const OTHER_WIDTH = 1.5;

/** How trial `number` (1 first) is drawn. */
export function trialStyle(number: number): { color: string; dash: number[] | undefined } {
  const index = Math.max(0, number - 1);
  return {
    color: TRIAL_COLORS[index % TRIAL_COLORS.length]!,
    dash: ROUND_DASHES[Math.floor(index / TRIAL_COLORS.length) % ROUND_DASHES.length],
  };
}

/** One trial's curve, as the chart and its legend show it. */
export type TrialCurve = {
  trial: CurvedTrial;
  number: number;
  best: boolean;
  points: readonly MetricPoint[];
  line: ChartLine;
};

/** The points of `series` in a metrics answer, ascending by step. */
export function curvePoints(answer: MetricsAnswer | undefined, series: string): MetricPoint[] {
  const found = answer?.series.find((entry) => entry.name === series);
  const points: MetricPoint[] = [];
  for (const [step, value] of found?.points ?? []) {
    if (Number.isFinite(step) && Number.isFinite(value)) points.push([step!, value!]);
  }
  return points.sort((a, b) => a[0] - b[0]);
}

/**
 * Each trial's curve, in the order the trials began: its colour by its number, the best
 * trial's (the study's `best_run_id`) wider than the rest.
 */
export function trialCurves(
  job: Pick<TuningJobDetail, "trials" | "best_run_id">,
  trials: readonly CurvedTrial[],
  answers: readonly (MetricsAnswer | undefined)[],
  series: string,
): TrialCurve[] {
  const numbers = trialNumbers(job.trials);
  return trials.map((trial, index) => {
    const number = numbers.get(trial.id) ?? index + 1;
    const best = trial.run_id === job.best_run_id;
    const { color, dash } = trialStyle(number);
    return {
      trial,
      number,
      best,
      points: curvePoints(answers[index], series),
      line: { label: `trial ${number}`, color, dash, width: best ? BEST_WIDTH : OTHER_WIDTH, dots: series === EVAL_LOSS },
    };
  });
}

/** The curves with points, the best last (drawn over the others). */
export function drawnCurves(curves: readonly TrialCurve[]): TrialCurve[] {
  const drawn = curves.filter((curve) => curve.points.length > 0);
  return [...drawn.filter((curve) => !curve.best), ...drawn.filter((curve) => curve.best)];
}

const STATE_NOTES: Partial<Record<CurvedTrial["status"], string>> = {
  early_stopped: "stopped early",
  failed: "failed",
  cancelled: "cancelled",
  running: "training",
};

function Legend({ curves, columns }: { curves: readonly TrialCurve[]; columns: readonly string[] }) {
  return (
    <ul className="chart-legend trial-curve-legend" aria-label="Trials, with their last value" data-testid="tuning:curve-legend">
      {curves.map(({ trial, number, best, points, line }) => {
        const last = lastPoint(points);
        return (
          <li key={trial.id} className={best ? "best" : undefined} data-testid="tuning:curve-legend-entry" data-trial={number} data-best={best || undefined}>
            <span className={`chart-legend-swatch${line.dash ? " dashed" : ""}${best ? " best" : ""}`} style={{ borderColor: line.color }} aria-hidden="true" />
            <span className="chart-legend-label">#{number}</span>
            <span className="mono small trial-curve-params">{describeParams(trial.params, columns) || "—"}</span>
            <span className="chart-legend-value mono">{last ? formatMetric(last[1]) : "—"}</span>
            {last && <span className="muted small">step {last[0]}</span>}
            {STATE_NOTES[trial.status] && <span className="muted small">{STATE_NOTES[trial.status]}</span>}
            {best && <span className="pill best-pill">best</span>}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Every trial's learning curve over the training steps, overlaid: the run's series of the
 * study's metric (eval_loss: `eval/loss`), a colour a trial, the best trial's line wider.
 * The legend names each trial by its number and settings, with its last value. While the
 * study runs, the curves of the trials still training are asked again every 2 s.
 */
export function LearningCurves({ job }: { job: TuningJobDetail }) {
  const [{ logScale }, updateSettings] = useLossChartSettings();
  const { series, trials, results } = useTrialCurves(job);
  if (trials.length === 0) return null;

  const curves = trialCurves(
    job,
    trials,
    results.map((result) => result.data),
    series,
  );
  const drawn = drawnCurves(curves);
  const failed = curves.filter((_curve, index) => results[index]?.isError && !results[index]?.data);
  const loading = results.some((result) => result.isPending);
  const columns = paramColumns(job);
  const data = alignSeries(drawn.map((curve) => curve.points));
  const best = drawn.find((curve) => curve.best);
  const bestLast = best ? lastPoint(best.points) : null;

  return (
    <section className="card" aria-labelledby="tuning-curves-title" data-testid="tuning:curves">
      <h2 id="tuning-curves-title">Learning curves</h2>
      <p className="muted small">
        <span className="mono">{series}</span> of each trial by training step; the wide line is the best trial.
      </p>
      {drawn.length === 0 ? (
        <p className="muted" data-testid="tuning:curves-empty">
          {loading ? "Loading the trials' curves…" : `No trial has reported ${series} yet.`}
        </p>
      ) : (
        <>
          <div className="chart-controls">
            <LogScaleToggle checked={logScale} onChange={(logScale) => updateSettings({ logScale })} testId="tuning:curves-log-scale" />
            <span className="muted small chart-hint">Drag across the chart to zoom.</span>
          </div>
          <Legend curves={curves} columns={columns} />
          <LazyLineChart
            data={data}
            lines={drawn.map((curve) => curve.line)}
            xLabel="step"
            yLabel={logScale ? `${series} (log scale)` : series}
            logY={logScale}
            showLegend={false}
            height={260}
            description={
              `${series} by step of ${drawn.length} trial${drawn.length === 1 ? "" : "s"}` +
              (best && bestLast ? `; the best, trial ${best.number}: ${formatMetric(bestLast[1])} at step ${bestLast[0]}.` : ".")
            }
            testId="tuning:curves-chart"
            dataAttributes={{ "data-series": drawn.length, "data-log-scale": String(logScale) }}
          />
        </>
      )}
      {failed.length > 0 && (
        <p className="muted small" data-testid="tuning:curves-failed">
          Could not load the curve of trial{failed.length === 1 ? "" : "s"} {failed.map((curve) => curve.number).join(", ")}.
        </p>
      )}
    </section>
  );
}
