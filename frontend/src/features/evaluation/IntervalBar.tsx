import { formatInterval, formatShare, type ScoreInterval } from "./evaluation";

type IntervalBarProps = {
  score: number;
  interval: Pick<ScoreInterval, "low" | "high"> | null;
  /** The majority baseline's share, marked on the scale. */
  baseline?: number | null;
  size?: "small" | "large";
  testId?: string;
};

function percent(ratio: number): string {
  return `${Math.min(100, Math.max(0, ratio * 100))}%`;
}

/**
 * The score on a 0–100% scale: its 95% interval as a band, the score as a dot, and
 * (when given) the majority baseline as a line. Text says the same to a screen reader.
 */
export function IntervalBar({ score, interval, baseline = null, size = "small", testId }: IntervalBarProps) {
  const label = [
    `score ${formatShare(score)}`,
    interval ? `95% interval ${formatInterval(interval)}%` : null,
    baseline !== null ? `majority baseline ${formatShare(baseline)}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  return (
    <span className={`interval-bar ${size}`} role="img" aria-label={label} title={label} data-testid={testId}>
      {interval && <span className="interval-band" style={{ left: percent(interval.low), width: percent(interval.high - interval.low) }} />}
      {baseline !== null && <span className="interval-baseline" style={{ left: percent(baseline) }} />}
      <span className="interval-dot" style={{ left: percent(score) }} />
    </span>
  );
}
