import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** One line of a chart: its legend label, colour, and which y axis it belongs to. */
export type ChartLine = {
  label: string;
  color: string;
  /** "y" (left axis, the default) or "y2" (right axis). */
  axis?: "y" | "y2";
  dash?: number[];
  /** Draw a dot at every point: for sparse series (an eval every 50 steps). */
  dots?: boolean;
};

export type ChartData = { x: number[]; ys: (number | null)[][] };

type LineChartProps = {
  data: ChartData;
  /** Compared by value: the chart is rebuilt only when a line's label, colour or axis changes. */
  lines: ChartLine[];
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  height?: number;
  /** What the chart shows, in words (the canvas itself says nothing to a screen reader). */
  description: string;
  testId?: string;
  /** Extra attributes for tests and e2e (e.g. how many points). */
  dataAttributes?: Record<`data-${string}`, string | number>;
};

const FALLBACK_WIDTH_PX = 600;
/** Tick spacings for an x axis of whole numbers (steps): never a tick at 0.5. */
const WHOLE_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4, 25e3, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7];
const AXIS_FONT = "12px system-ui, sans-serif";

function formatTick(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  const rounded = Number(value.toPrecision(4));
  return abs < 1e-3 || abs >= 1e5 ? rounded.toExponential() : String(rounded);
}

function optionsOf(lines: ChartLine[], labels: { x: string; y: string; y2?: string }, width: number, height: number): uPlot.Options {
  const hasY2 = lines.some((line) => line.axis === "y2");
  const axis = (scale: string, label: string, side: 1 | 3, grid: boolean, size = 56): uPlot.Axis => ({
    scale,
    label,
    side,
    font: AXIS_FONT,
    labelFont: AXIS_FONT,
    stroke: "#5d6778",
    grid: { show: grid, stroke: "#eef0f4" },
    ticks: { stroke: "#dde1e8" },
    values: (_self, ticks) => ticks.map(formatTick),
    size,
  });
  return {
    width,
    height,
    scales: { x: { time: false }, y: {}, ...(hasY2 ? { y2: {} } : {}) },
    series: [
      { label: labels.x },
      ...lines.map(
        (line): uPlot.Series => ({
          label: line.label,
          stroke: line.color,
          width: 2,
          scale: line.axis ?? "y",
          dash: line.dash,
          spanGaps: true,
          points: line.dots ? { show: true, size: 6, fill: line.color } : { show: false },
          value: (_self, value) => (value == null ? "—" : formatTick(value)),
        }),
      ),
    ],
    axes: [
      { ...axis("x", labels.x, 1, true), side: 2, size: 40, incrs: WHOLE_INCREMENTS },
      axis("y", labels.y, 3, true),
      // Wider: a learning rate's ticks are long (0.009995).
      ...(hasY2 && labels.y2 ? [axis("y2", labels.y2, 1, false, 84)] : []),
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
}

/** `lines` itself while its content is what it was: a new array with the same lines is not a change. */
function useSameLines(lines: ChartLine[]): ChartLine[] {
  const key = JSON.stringify(lines);
  const [held, setHeld] = useState({ key, lines });
  if (held.key !== key) {
    setHeld({ key, lines });
    return lines;
  }
  return held.lines;
}

/**
 * Lines over a shared x axis of whole numbers (training steps), drawn with uPlot (canvas: thousands of points
 * redraw in a millisecond or two, so a live run can update it on every event batch).
 * Data updates go to the existing chart; only a change of `lines` or labels rebuilds it.
 */
export function LineChart({ data, lines: given, xLabel, yLabel, y2Label, height = 260, description, testId, dataAttributes }: LineChartProps) {
  const lines = useSameLines(given);
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef<uPlot.AlignedData>([[]]);

  // Declared before the effect that builds the chart, so a rebuild sees the newest data.
  useEffect(() => {
    latest.current = [data.x, ...data.ys];
    chart.current?.setData(latest.current);
  }, [data]);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const width = () => element.clientWidth || FALLBACK_WIDTH_PX;
    const plot = new uPlot(optionsOf(lines, { x: xLabel, y: yLabel, y2: y2Label }, width(), height), latest.current, element);
    chart.current = plot;
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => plot.setSize({ width: width(), height }));
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [lines, xLabel, yLabel, y2Label, height]);

  return <div ref={host} className="line-chart" role="img" aria-label={description} data-testid={testId} {...dataAttributes} />;
}
