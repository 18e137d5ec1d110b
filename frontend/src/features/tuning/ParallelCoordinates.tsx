import type { CSSProperties } from "react";
import {
  axisPosition,
  axisTicks,
  formatMetricTick,
  measuredTrials,
  metricStrength,
  parallelAxes,
  type Axis,
} from "./parallel";
import { describeParams, formatMetric, metricDirection, paramColumns, trialNumbers, type TuningJobDetail, type TuningTrial } from "./tuning";

/** The drawing's size (its viewBox; the SVG is as wide as its card). */
const AXIS_GAP = 130;
const MARGIN_X = 64;
const MIN_WIDTH = 560;
const HEIGHT = 310;
/** Room above the axes for their names and highest labels, and below for their lowest. */
const TOP = 58;
const BOTTOM = 28;

const ENDED_EARLY: ReadonlySet<TuningTrial["status"]> = new Set(["early_stopped", "failed", "cancelled"]);
const STATE_WORDS: Partial<Record<TuningTrial["status"], string>> = {
  early_stopped: "stopped early",
  failed: "failed",
  cancelled: "cancelled",
  running: "still training",
};

function layout(count: number) {
  const width = Math.max(MIN_WIDTH, (count - 1) * AXIS_GAP + 2 * MARGIN_X);
  const x = (index: number) => (count <= 1 ? width / 2 : MARGIN_X + (index * (width - 2 * MARGIN_X)) / (count - 1));
  const y = (position: number) => TOP + (1 - position) * (HEIGHT - TOP - BOTTOM);
  return { width, x, y };
}

/** Where a tick's label goes: a numeric axis's min and max beyond its ends, clear of the lines; a choice's beside it. */
function tickLabel(axis: Axis, position: number, x: number, y: (position: number) => number) {
  if (axis.kind !== "category" && position === 1) return { x, y: y(1) - 9, anchor: "middle" as const };
  if (axis.kind !== "category" && position === 0) return { x, y: y(0) + 15, anchor: "middle" as const };
  return { x: x + 7, y: y(position), anchor: "start" as const };
}

function AxisView({ axis, x, y, note, metric }: { axis: Axis; x: number; y: (position: number) => number; note: string; metric: boolean }) {
  const ticks = axisTicks(axis, metric ? formatMetricTick : undefined);
  return (
    <g className={`parallel-axis${metric ? " metric" : ""}`} data-testid="tuning:parallel-axis" data-axis={axis.key} data-kind={axis.kind}>
      <text className="parallel-axis-name" x={x} y={14} textAnchor="middle">
        {axis.key}
      </text>
      <text className="parallel-axis-kind" x={x} y={28} textAnchor="middle">
        {note}
      </text>
      <line className="parallel-axis-line" x1={x} x2={x} y1={y(1)} y2={y(0)} />
      {ticks.map((tick, index) => {
        const label = tickLabel(axis, tick.position, x, y);
        return (
          <g key={`${index}-${tick.label}`} className="parallel-tick">
            <line x1={x - 4} x2={x + 4} y1={y(tick.position)} y2={y(tick.position)} />
            <text x={label.x} y={label.y} textAnchor={label.anchor} dominantBaseline="middle">
              {tick.label}
            </text>
          </g>
        );
      })}
    </g>
  );
}

/**
 * The trials across their settings: an axis a parameter of the search space (its range,
 * a log scale for a log-uniform one, a choice's values evenly spaced) and one for the
 * metric; each trial with a metric a line through its values, the better its metric the
 * stronger, the best trial's widest; trials stopped early, failed or cancelled dashed and
 * faded. Hidden until two trials have a metric.
 */
export function ParallelCoordinates({ job }: { job: TuningJobDetail }) {
  const measured = measuredTrials(job.trials);
  if (measured.length < 2) return null;

  const columns = paramColumns(job);
  const { parameters, metric } = parallelAxes(columns, job.search_space, measured, job.metric_name);
  const axes: Axis[] = [...parameters, metric];
  const { width, x, y } = layout(axes.length);
  const numbers = trialNumbers(job.trials);
  const values = measured.map((trial) => trial.metric_value);

  const lines = measured.map((trial) => {
    const strength = metricStrength(trial.metric_value, values, job.metric_mode);
    const best = trial.run_id !== null && trial.run_id === job.best_run_id;
    const points = axes.flatMap((axis, index) => {
      const position = axisPosition(axis, axis === metric ? trial.metric_value : trial.params[axis.key]);
      return position === null ? [] : [`${x(index).toFixed(1)},${y(position).toFixed(1)}`];
    });
    const number = numbers.get(trial.id) ?? 0;
    const state = STATE_WORDS[trial.status];
    const title =
      `Trial ${number}: ${describeParams(trial.params, columns) || "no settings"}; ${job.metric_name} ${formatMetric(trial.metric_value)}` +
      (best ? " (best)" : "") +
      (state ? `, ${state}` : "");
    return { trial, number, strength, best, points: points.join(" "), title };
  });
  // The weakest first, the best last: the stronger a line, the more of it shows.
  lines.sort((a, b) => Number(a.best) - Number(b.best) || a.strength - b.strength);

  const top = lines[lines.length - 1]!;
  const bestValue = job.metric_mode === "min" ? Math.min(...values) : Math.max(...values);
  const label =
    `Parallel coordinates of ${measured.length} trials across ${columns.length > 0 ? columns.join(", ") : "no parameters"} and ${job.metric_name}` +
    ` (${metricDirection(job.metric_mode)}). Best ${job.metric_name} ${formatMetric(bestValue)}` +
    (top.best ? `: trial ${top.number}, ${describeParams(top.trial.params, columns) || "no settings"}.` : ".");

  return (
    <section className="card" aria-labelledby="tuning-parallel-title" data-testid="tuning:parallel">
      <h2 id="tuning-parallel-title">Parallel coordinates</h2>
      <p className="muted small">
        Each line is a trial, through the settings it drew to its {job.metric_name} ({metricDirection(job.metric_mode)}): the better,
        the stronger; the widest is the best. Dashed and faded: stopped early or failed.
      </p>
      <div className="parallel-frame">
        <svg
          className="parallel-coords"
          viewBox={`0 0 ${width} ${HEIGHT}`}
          style={{ minWidth: `${Math.round(width * 0.75)}px` }}
          role="img"
          aria-label={label}
          data-testid="tuning:parallel-chart"
        >
          <g className="parallel-lines">
            {lines.map(({ trial, number, strength, best, points, title }) => (
              <polyline
                key={trial.id}
                className={`parallel-line${best ? " best" : ""}${ENDED_EARLY.has(trial.status) ? " ended-early" : ""}`}
                points={points}
                style={{ "--strength": strength.toFixed(3) } as CSSProperties}
                data-testid="tuning:parallel-line"
                data-trial={number}
                data-status={trial.status}
                data-strength={strength.toFixed(3)}
                data-best={best || undefined}
              >
                <title>{title}</title>
              </polyline>
            ))}
          </g>
          {/* After the lines: their labels stay readable over them. */}
          {axes.map((axis, index) => (
            <AxisView
              key={axis.key}
              axis={axis}
              x={x(index)}
              y={y}
              metric={axis === metric}
              note={axis === metric ? metricDirection(job.metric_mode) : axis.kind === "log" ? "log scale" : axis.kind === "category" ? "choice" : "linear"}
            />
          ))}
        </svg>
      </div>
    </section>
  );
}
