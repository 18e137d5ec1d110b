import { LogScaleToggle } from "../../ui/LogScaleToggle";
import { useId, useMemo, useState } from "react";
import { LazyLineChart as LineChart } from "../../ui/LazyLineChart";
import type { ChartLine } from "../../ui/LineChart";
import { SMOOTHING_CHOICES, useLossChartSettings } from "./lossChartSettings";
import {
  alignSeries,
  EVAL_LOSS,
  lastPoint,
  LEARNING_RATE,
  pointAtOrBefore,
  smoothEma,
  TRAIN_LOSS,
  type MetricPoint,
  type SeriesMap,
} from "./metricSeries";
import { formatLoss } from "./runOutput";

type Charted = {
  name: string;
  line: ChartLine;
  /**
   * Smoothed when smoothing is on. Only the train loss: it is one batch a point, noisy;
   * an eval loss is already a mean over the eval set, taken every N steps (an average
   * across evaluations would only lag it), and the learning rate is a schedule.
   */
  smooth?: boolean;
};

const SERIES: Charted[] = [
  { name: TRAIN_LOSS, line: { label: "train loss", color: "var(--accent, #2b6cb0)" }, smooth: true },
  { name: EVAL_LOSS, line: { label: "eval loss", color: "#dd6b20", dots: true } },
  { name: LEARNING_RATE, line: { label: "learning rate", color: "var(--neutral, #8a93a3)", axis: "y2", dash: [5, 4] } },
];

/** One series as the chart and its legend show it: `points` drawn, `raw` faint behind when smoothed. */
type Shown = Charted & { points: readonly MetricPoint[]; raw: readonly MetricPoint[] | null };

function describe(label: string, points: readonly MetricPoint[]): string {
  const last = lastPoint(points);
  return last ? `${label}: ${points.length} points, last ${formatLoss(last[1])} at step ${last[0]}` : `${label}: no points`;
}

/** The chart's lines and their points; a smoothed series' raw points come first, so they are drawn behind. */
function chartLines(shown: readonly Shown[]): { lines: ChartLine[]; list: (readonly MetricPoint[])[] } {
  const lines: ChartLine[] = [];
  const list: (readonly MetricPoint[])[] = [];
  for (const { line, points, raw } of shown) {
    if (raw) {
      lines.push({ ...line, label: `${line.label} (raw)`, faint: true, dots: false });
      list.push(raw);
    }
    lines.push(line);
    list.push(points);
  }
  return { lines, list };
}

/**
 * Each series' value without hovering: its last point, or while the cursor is over the
 * chart its last point at or before the step there (an eval loss has a point every N steps).
 */
function Legend({ shown, step }: { shown: readonly Shown[]; step: number | null }) {
  const at = (points: readonly MetricPoint[]) => (step === null ? lastPoint(points) : pointAtOrBefore(points, step));
  return (
    <ul className="chart-legend" aria-label={step === null ? "Latest values" : `Values at step ${step}`} data-testid="run:curve-legend">
      {shown.map(({ name, line, points, raw }) => {
        const point = at(points);
        const rawPoint = raw ? at(raw) : null;
        return (
          <li key={name} data-testid="run:curve-legend-entry" data-series={name}>
            <span className={`chart-legend-swatch${line.dash ? " dashed" : ""}`} style={{ borderColor: line.color }} aria-hidden="true" />
            <span className="chart-legend-label">{line.label}</span>
            <span className="chart-legend-value mono">{point ? formatLoss(point[1]) : "—"}</span>
            {rawPoint && <span className="muted small">raw {formatLoss(rawPoint[1])}</span>}
            {point && <span className="muted small">step {point[0]}</span>}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Train and eval loss on the left axis (log scale by default), the learning rate on the
 * right, by step: the stored points, then every `metric` event as it arrives. The reader
 * can smooth the train loss, zoom on a range of steps, and read the values in the legend.
 */
export function LossChart({ series, live }: { series: SeriesMap; live: boolean }) {
  const id = useId();
  const [{ logScale, smoothing }, updateSettings] = useLossChartSettings();
  const [cursorStep, setCursorStep] = useState<number | null>(null);

  const shown = useMemo(
    () =>
      SERIES.flatMap((charted): Shown[] => {
        const raw = series.get(charted.name) ?? [];
        if (raw.length === 0) return [];
        const smoothed = charted.smooth && smoothing > 0;
        return [{ ...charted, points: smoothed ? smoothEma(raw, smoothing) : raw, raw: smoothed ? raw : null }];
      }),
    [series, smoothing],
  );
  const { lines, list } = useMemo(() => chartLines(shown), [shown]);
  const data = useMemo(() => alignSeries(list), [list]);

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
        <>
          <div className="chart-controls">
            <LogScaleToggle checked={logScale} onChange={(logScale) => updateSettings({ logScale })} testId="run:curve-log-scale" />
            <span className="chart-smoothing">
              <label htmlFor={`${id}-smoothing`}>Smoothing</label>
              <select
                id={`${id}-smoothing`}
                value={smoothing}
                onChange={(event) => updateSettings({ smoothing: Number(event.target.value) })}
                data-testid="run:curve-smoothing"
              >
                {SMOOTHING_CHOICES.map((weight) => (
                  <option key={weight} value={weight}>
                    {weight === 0 ? "off" : weight}
                  </option>
                ))}
              </select>
            </span>
            <span className="muted small chart-hint">Drag across the chart to zoom.</span>
          </div>
          <Legend shown={shown} step={cursorStep} />
          <LineChart
            data={data}
            lines={lines}
            xLabel="step"
            yLabel={logScale ? "loss (log scale)" : "loss"}
            y2Label="learning rate"
            logY={logScale}
            showLegend={false}
            onCursor={setCursorStep}
            description={`Loss by step. ${shown.map(({ name, line }) => describe(line.label, series.get(name) ?? [])).join("; ")}.`}
            testId="run:curve-chart"
            dataAttributes={{ "data-points": train.length, "data-eval-points": evals.length, "data-log-scale": String(logScale), "data-smoothing": smoothing }}
          />
        </>
      )}
    </section>
  );
}
