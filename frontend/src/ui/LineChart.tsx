import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { resolveColor, usePrefersDark } from "./themeColors";

/** One line of a chart: its legend label, colour, and which y axis it belongs to. */
export type ChartLine = {
  label: string;
  /** A colour, or a theme's `var(--name, fallback)` (read from the stylesheet when the chart is drawn). */
  color: string;
  /** "y" (left axis, the default) or "y2" (right axis). */
  axis?: "y" | "y2";
  dash?: number[];
  /** Draw a dot at every point: for sparse series (an eval every 50 steps). */
  dots?: boolean;
  /** Thin and see-through: the raw points behind their smoothed line. */
  faint?: boolean;
  /** The stroke's width in px: 2 (1 when faint) unless given; wider to stand out among many. */
  width?: number;
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
  /** A logarithmic left axis (values at or below 0 are left out); the right axis stays linear. */
  logY?: boolean;
  /** uPlot's own legend under the chart; off where the page draws one. */
  showLegend?: boolean;
  /** The step under the cursor while it is over the chart, null when it leaves. */
  onCursor?: (step: number | null) => void;
};

/** An x range the reader dragged out. */
type Zoom = { min: number; max: number };

/** What the chart does beyond drawing the lines; `compact`: too narrow for the y axes' titles. */
type Behaviour = { logY: boolean; showLegend: boolean; compact: boolean; hooks: uPlot.Hooks.Arrays };

const FALLBACK_WIDTH_PX = 600;
/**
 * Narrower than this (a phone), the y axes drop their titles: they would take 60 px of
 * a 300 px plot, and the page names the lines (a legend) around the chart.
 */
const COMPACT_WIDTH_PX = 520;
/** About the widest a character of AXIS_FONT draws (digits are 6.7 px): an axis is sized to its ticks by count. */
const AXIS_CHAR_PX = 7;
/** Tick spacings for an x axis of whole numbers (steps): never a tick at 0.5. */
const WHOLE_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4, 25e3, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7];
const AXIS_FONT = "12px system-ui, sans-serif";

function formatTick(value: number | null): string {
  // A log axis leaves null where a tick gets no label (2..9 between powers of ten, when crowded).
  if (value == null) return "";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  const rounded = Number(value.toPrecision(4));
  return abs < 1e-3 || abs >= 1e5 ? rounded.toExponential() : String(rounded);
}

/** The axes' colours: the theme's muted text, a faint grid, the border (light values as fallbacks). */
const AXIS_COLOR = "var(--muted, #5d6778)";
const GRID_COLOR = "var(--neutral-soft, #eef0f4)";
const TICK_COLOR = "var(--border, #dde1e8)";

/**
 * A y axis as wide as its longest tick value, and at least `min` px: a loss's ticks
 * ("5", "2.5") take less room than a learning rate's ("0.0005").
 */
function fitTicks(min: number): uPlot.Axis.Size {
  return (self, values, axisIndex, cycle) => {
    // uPlot sizes the axes again until their ticks settle: after two rounds, keep the size.
    const previous = (self.axes[axisIndex] as { _size?: number } | undefined)?._size;
    if (cycle > 1 && previous !== undefined) return previous;
    const longest = Math.max(0, ...(values ?? []).map((value) => value.length));
    // The tick marks (10 px) and the gap before the values (5 px), then the values.
    return Math.max(min, Math.ceil(15 + longest * AXIS_CHAR_PX + 4));
  };
}

function optionsOf(
  lines: ChartLine[],
  labels: { x: string; y: string; y2?: string },
  width: number,
  height: number,
  color: (value: string) => string,
  behaviour: Behaviour,
): uPlot.Options {
  const hasY2 = lines.some((line) => line.axis === "y2");
  const axis = (scale: string, label: string | undefined, side: 1 | 3, grid: boolean): uPlot.Axis => ({
    scale,
    label,
    side,
    font: AXIS_FONT,
    labelFont: AXIS_FONT,
    stroke: color(AXIS_COLOR),
    grid: { show: grid, stroke: color(GRID_COLOR) },
    ticks: { stroke: color(TICK_COLOR) },
    values: (_self, ticks) => ticks.map(formatTick),
    size: fitTicks(32),
  });
  return {
    width,
    height,
    scales: { x: { time: false }, y: behaviour.logY ? { distr: 3, log: 10 } : {}, ...(hasY2 ? { y2: {} } : {}) },
    series: [
      { label: labels.x },
      ...lines.map(
        (line): uPlot.Series => ({
          label: line.label,
          stroke: color(line.color),
          width: line.width ?? (line.faint ? 1 : 2),
          ...(line.faint ? { alpha: 0.35 } : {}),
          scale: line.axis ?? "y",
          dash: line.dash,
          spanGaps: true,
          points: line.dots ? { show: true, size: 6, fill: color(line.color) } : { show: false },
          value: (_self, value) => (value == null ? "—" : formatTick(value)),
        }),
      ),
    ],
    axes: [
      { ...axis("x", labels.x, 1, true), side: 2, size: 40, incrs: WHOLE_INCREMENTS },
      axis("y", behaviour.compact ? undefined : labels.y, 3, true),
      ...(hasY2 && labels.y2 ? [axis("y2", behaviour.compact ? undefined : labels.y2, 1, false)] : []),
    ],
    legend: { show: behaviour.showLegend, live: true },
    cursor: { drag: { x: true, y: false } },
    hooks: behaviour.hooks,
  };
}

/** The x range shown when it is less than all the data (a drag zoomed in), else null. */
function zoomOf(plot: uPlot): Zoom | null {
  const steps = plot.data[0];
  const { min, max } = plot.scales.x ?? {};
  if (steps.length < 2 || min == null || max == null) return null;
  return min > steps[0]! || max < steps[steps.length - 1]! ? { min, max } : null;
}

/** The data as uPlot takes it; on a log axis a value at or below 0 (log undefined) becomes a gap. */
function plottable(data: ChartData, lines: ChartLine[], logY: boolean): uPlot.AlignedData {
  if (!logY) return [data.x, ...data.ys];
  const onLogAxis = (index: number) => (lines[index]?.axis ?? "y") === "y";
  return [data.x, ...data.ys.map((ys, index) => (onLogAxis(index) ? ys.map((value) => (value !== null && value <= 0 ? null : value)) : ys))];
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
 * Data updates go to the existing chart; only a change of `lines`, labels or scale rebuilds it.
 * Dragging across it zooms in on those steps; "Reset zoom" (or a double click) shows them all again.
 */
export function LineChart({
  data,
  lines: given,
  xLabel,
  yLabel,
  y2Label,
  height = 260,
  description,
  testId,
  dataAttributes,
  logY = false,
  showLegend = true,
  onCursor,
}: LineChartProps) {
  const lines = useSameLines(given);
  // A canvas keeps the colours it was given: a change of the system's theme redraws the chart.
  const dark = usePrefersDark();
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef<uPlot.AlignedData>([[]]);
  // The reader's zoom, held through data updates (setData would fit x to all the data
  // again on a live run's every event batch) and rebuilds (a toggle of the log scale).
  const zoom = useRef<Zoom | null>(null);
  const [zoomed, setZoomed] = useState(false);
  const [compact, setCompact] = useState(false);
  // Read by the chart's hook: a new callback must not rebuild the chart.
  const cursorListener = useRef(onCursor);
  useEffect(() => {
    cursorListener.current = onCursor;
  }, [onCursor]);
  const plotted = useMemo(() => plottable(data, lines, logY), [data, lines, logY]);

  // Declared before the effect that builds the chart, so a rebuild sees the newest data.
  useEffect(() => {
    latest.current = plotted;
    const plot = chart.current;
    const held = zoom.current;
    if (plot && held) {
      plot.setData(plotted, false);
      plot.setScale("x", held);
    } else plot?.setData(plotted);
  }, [plotted]);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const width = () => element.clientWidth || FALLBACK_WIDTH_PX;
    const color = (value: string) => resolveColor(value, element);
    const hooks: uPlot.Hooks.Arrays = {
      setScale: [
        (self, key) => {
          if (key !== "x") return;
          zoom.current = zoomOf(self);
          setZoomed(zoom.current !== null);
        },
      ],
      setCursor: [
        (self) => {
          const index = self.cursor.idx;
          cursorListener.current?.(index == null ? null : (self.data[0][index] ?? null));
        },
      ],
    };
    // Taken before the new chart fits x to the data (its first setScale clears `zoom`).
    const held = zoom.current;
    const behaviour = { logY, showLegend, compact, hooks };
    const plot = new uPlot(optionsOf(lines, { x: xLabel, y: yLabel, y2: y2Label }, width(), height, color, behaviour), latest.current, element);
    if (held) plot.setScale("x", held);
    chart.current = plot;
    const resize = () => {
      plot.setSize({ width: width(), height });
      // Crossing the width rebuilds the chart (it sets the options), once.
      setCompact(width() < COMPACT_WIDTH_PX);
    };
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(resize);
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [lines, xLabel, yLabel, y2Label, height, dark, logY, showLegend, compact]);

  function resetZoom() {
    zoom.current = null;
    setZoomed(false);
    chart.current?.setData(latest.current);
  }

  return (
    <div className="line-chart-frame">
      <div ref={host} className="line-chart" role="img" aria-label={description} data-testid={testId} {...dataAttributes} />
      {zoomed && (
        <button type="button" className="chart-reset-zoom" onClick={resetZoom} data-testid={testId ? `${testId}-reset-zoom` : undefined}>
          Reset zoom
        </button>
      )}
    </div>
  );
}
