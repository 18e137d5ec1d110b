import { hasStarted, isLive } from "./history";
import { lastPoint, STEPS_PER_SECOND, TOKENS_PER_SECOND, TRAIN_LOSS, type SeriesMap } from "./metricSeries";
import { etaText, progressOf, totalStepsOf, type RunProgress } from "./progress";
import type { RunDetail } from "./queries";
import { formatNumber, formatSeconds, numberAt } from "./runOutput";
import { useElapsedSeconds } from "./useElapsedSeconds";

const latestValue = (series: SeriesMap, name: string): number | null => lastPoint(series.get(name))?.[1] ?? null;

/** The progress of a training run: live from its stream, then from its summary. */
function useRunProgress(run: RunDetail, series: SeriesMap): RunProgress {
  const live = isLive(run.status);
  // Ticks only while the run trains; a finished run's times come from the server.
  const startedMs = live && hasStarted(run) ? Date.parse(run.started_at) : null;
  const ticking = useElapsedSeconds(startedMs !== null && Number.isFinite(startedMs) ? startedMs : null);
  const points = series.get(TRAIN_LOSS) ?? [];
  const summary = run.summary ?? {};
  const latest = lastPoint(points)?.[0] ?? null;
  return progressOf({
    step: live ? latest : (numberAt(summary, "steps") ?? latest),
    total: totalStepsOf(run),
    elapsedSeconds: live ? (startedMs === null ? null : ticking) : (numberAt(summary, "wall_seconds") ?? run.duration_seconds),
    points: points.length,
    // Live: over its latest steps; ended: over the whole run (the trainer's figures both).
    stepsPerSecond: live ? latestValue(series, STEPS_PER_SECOND) : numberAt(summary, "steps_per_second"),
    tokensPerSecond: live ? latestValue(series, TOKENS_PER_SECOND) : numberAt(summary, "tokens_per_second"),
    finished: !live,
  });
}

type BarProps = { step: number; total: number; label?: string; testId?: string; className?: string };

/** Step of total as a bar (the run page's, and a thin one in each running row of the list). */
export function ProgressBar({ step, total, label = "Training progress", testId = "run:progress-bar", className }: BarProps) {
  const percent = Math.min(100, Math.max(0, (step / total) * 100));
  return (
    <div
      className={["run-progress-bar", className].filter(Boolean).join(" ")}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={Math.min(step, total)}
      data-testid={testId}
    >
      <div className="run-progress-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}

/**
 * Step / total, a bar, steps/s, tokens/s, elapsed time and an ETA while a training run runs, and the
 * same as a summary once it ended. An unknown total shows the step alone, never a guess.
 */
export function RunProgressPanel({ run, series }: { run: RunDetail; series: SeriesMap }) {
  const progress = useRunProgress(run, series);
  const { step, total, stepsPerSecond, tokensPerSecond, elapsedSeconds, etaSeconds } = progress;
  if (run.status === "pending" || (step === null && !isLive(run.status))) return null;
  const paceTitle = isLive(run.status) ? "Over its latest steps, as the trainer measures them" : "Over the whole run, as the trainer measured them";
  return (
    <section className="card run-progress" aria-label="Progress" data-testid="run:progress">
      <p className="run-progress-line">
        <strong data-testid="run:progress-step">
          {step === null ? "Waiting for the first step…" : total === null ? `step ${step}` : `step ${step} of ${total}`}
        </strong>
        {stepsPerSecond !== null && (
          <span data-testid="run:progress-rate" title={paceTitle}>
            {formatNumber(stepsPerSecond, 2)} steps/s
          </span>
        )}
        {tokensPerSecond !== null && (
          <span data-testid="run:progress-tokens" title={paceTitle}>
            {Math.round(tokensPerSecond).toLocaleString()} tokens/s
          </span>
        )}
        {elapsedSeconds !== null && <span data-testid="run:progress-elapsed">{formatSeconds(elapsedSeconds)} elapsed</span>}
        {etaSeconds !== null && <span data-testid="run:progress-eta">{etaText(etaSeconds)}</span>}
      </p>
      {step !== null && total !== null && <ProgressBar step={step} total={total} />}
    </section>
  );
}
