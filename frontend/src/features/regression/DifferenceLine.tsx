import { formatChange, lineScale, marginBound } from "./regression";

type DifferenceLineProps = {
  /** The 95% interval of current − baseline. */
  low: number;
  high: number;
  /** The paired mean change, drawn as a dot (none: no dot). */
  estimate: number | null;
  margin: number;
  lowerIsBetter: boolean;
  testId?: string;
};

// Drawn in its own units and scaled to the card's width (at most WIDTH px), so the text
// keeps its size: a 100%-wide viewBox would blow it up on a wide screen.
const WIDTH = 560;
const HEIGHT = 78;
const ZONE_TOP = 20;
const ZONE_BOTTOM = 50;
const BAR_Y = 35;
const LABEL_ABOVE_Y = 14;
const LABEL_BELOW_Y = 68;
// Room left at each end for the outermost labels (the scale spans the rest).
const INSET = 64;

/** What the drawing shows, in a sentence (its accessible name). */
export function differenceLineLabel({ low, high, estimate, margin, lowerIsBetter }: DifferenceLineProps): string {
  const parts = [
    "Change, current minus baseline",
    estimate !== null ? `estimate ${formatChange(estimate)}` : null,
    `95% interval ${formatChange(low)} to ${formatChange(high)}`,
    `margin ${formatChange(marginBound(margin, lowerIsBetter))} (${lowerIsBetter ? "a rise" : "a drop"} past it is a regression)`,
    "0 is no change",
  ];
  return parts.filter(Boolean).join("; ");
}

/**
 * The interval of the change drawn against the margin on a number line: 0 (no change),
 * the margin (the regression side shaded), the interval as a bar and the estimate as a
 * dot. Passes when the whole bar stays on the near side of the margin.
 */
export function DifferenceLine(props: DifferenceLineProps) {
  const { low, high, estimate, margin, lowerIsBetter, testId } = props;
  const bound = marginBound(margin, lowerIsBetter);
  const values = [0, bound, low, high, ...(estimate !== null ? [estimate] : [])];
  const scale = lineScale(values, WIDTH - 2 * INSET);
  const x = (value: number) => INSET + scale.at(value);
  const zero = x(0);
  const edge = x(bound);
  // The regression side of the margin, to the end of the line.
  const zone = lowerIsBetter ? { x: edge, width: WIDTH - edge } : { x: 0, width: edge };
  const label = differenceLineLabel(props);

  return (
    <svg
      className="difference-line"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={label}
      data-testid={testId}
      data-low={low}
      data-high={high}
      data-estimate={estimate ?? undefined}
      data-margin={bound}
    >
      <title>{label}</title>
      <rect className="dl-zone" x={zone.x} y={ZONE_TOP} width={Math.max(0, zone.width)} height={ZONE_BOTTOM - ZONE_TOP} />
      <line className="dl-axis" x1={0} x2={WIDTH} y1={BAR_Y} y2={BAR_Y} />
      <line className="dl-zero" x1={zero} x2={zero} y1={ZONE_TOP - 2} y2={ZONE_BOTTOM + 2} />
      <text className="dl-label" x={zero} y={LABEL_ABOVE_Y} textAnchor="middle">
        0
      </text>
      <line className="dl-margin" x1={edge} x2={edge} y1={ZONE_TOP - 2} y2={ZONE_BOTTOM + 2} />
      {/* Written away from 0, on the regression side, so it never covers the 0. */}
      <text className="dl-label dl-margin-label" x={edge} y={LABEL_ABOVE_Y} textAnchor={lowerIsBetter ? "start" : "end"}>
        margin {formatChange(bound)}
      </text>
      <rect className="dl-interval" x={x(low)} y={BAR_Y - 6} width={Math.max(2, x(high) - x(low))} height={12} rx={6} />
      {estimate !== null && <circle className="dl-estimate" cx={x(estimate)} cy={BAR_Y} r={6} />}
      <text className="dl-label" x={x(low)} y={LABEL_BELOW_Y} textAnchor="end">
        {formatChange(low)}
      </text>
      <text className="dl-label" x={x(high)} y={LABEL_BELOW_Y} textAnchor="start">
        {formatChange(high)}
      </text>
    </svg>
  );
}
