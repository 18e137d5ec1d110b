import { runName } from "./history";
import { etaText, rowProgressOf } from "./progress";
import type { RunSummary } from "./queries";
import { ProgressBar } from "./RunProgressPanel";
import { formatNumber, formatSeconds } from "./runOutput";

/**
 * A running training run's progress in its row of the list: step / total, a thin bar, the
 * pace and the time left; tokens/s and the time so far on hover. Nothing for any other run. Refreshed
 * with the list (every 4 s while a run is live), never by a request of its own.
 */
export function RunRowProgress({ run }: { run: RunSummary }) {
  const progress = rowProgressOf(run);
  if (progress === null) return null;
  const { step, total, stepsPerSecond, tokensPerSecond, elapsedSeconds, etaSeconds } = progress;
  const rate = stepsPerSecond === null ? null : `${formatNumber(stepsPerSecond, 2)} steps/s`;
  const tokens = tokensPerSecond === null ? null : `${Math.round(tokensPerSecond).toLocaleString()} tokens/s`;
  const elapsed = elapsedSeconds === null ? null : `${formatSeconds(elapsedSeconds)} elapsed`;
  return (
    <div
      className="run-row-progress"
      title={[rate, tokens, elapsed].filter(Boolean).join(" · ") || undefined}
      data-testid="run:row-progress"
      data-step={step ?? undefined}
    >
      <span className="run-row-progress-step" data-testid="run:row-progress-step">
        <span>{step === null ? "first step…" : total === null ? `step ${step}` : `${step} / ${total}`}</span>
        {rate !== null && (
          <>
            {" "}
            <span className="muted">· {rate}</span>
          </>
        )}
      </span>
      {step !== null && total !== null && (
        <ProgressBar
          step={step}
          total={total}
          label={`Training progress of run ${runName(run)}`}
          testId="run:row-progress-bar"
          className="run-row-progress-bar"
        />
      )}
      {etaSeconds !== null && (
        <span className="muted run-row-progress-eta" data-testid="run:row-progress-eta">
          {etaText(etaSeconds)}
        </span>
      )}
    </div>
  );
}
