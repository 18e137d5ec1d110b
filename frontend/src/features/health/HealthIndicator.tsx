import { isApiError } from "../../api/errors";
import { useAppHealth, useRediHealth } from "./queries";

type Tone = "ok" | "bad" | "unknown";

function Pill({ testId, label, tone, text, title }: { testId: string; label: string; tone: Tone; text: string; title: string }) {
  return (
    <span className={`pill pill-${tone}`} data-testid={testId} data-status={tone} title={title} role="status">
      <span className="dot" aria-hidden="true" />
      {label}: {text}
    </span>
  );
}

function failureText(error: unknown): string {
  if (isApiError(error) && error.status === 401) return "token needed";
  if (isApiError(error) && error.status === 403) return "forbidden";
  return "unreachable";
}

/** The service's own health and RediAI's, refreshed every 30 s. */
export function HealthIndicator() {
  const app = useAppHealth();
  const redi = useRediHealth();

  const appTone: Tone = app.data ? "ok" : app.isError ? "bad" : "unknown";
  const appText = app.data ? app.data.status : app.isError ? "unreachable" : "checking…";

  let rediTone: Tone = "unknown";
  let rediText = "checking…";
  let rediTitle = redi.error?.message ?? "GET /api/redi/health";
  if (redi.data?.mode === "mock") {
    // Never checked: the server answers for RediAI without calling it.
    rediText = "mock";
    rediTitle = "REDIAI_MODE=mock: RediAI is not contacted, so its health is unknown";
  } else if (redi.data?.status === "healthy") {
    rediTone = "ok";
    rediText = "healthy";
  } else if (redi.data) {
    rediTone = "bad";
    rediText = redi.data.error ? `down (${redi.data.error})` : "down";
  } else if (redi.isError) {
    rediText = failureText(redi.error);
  }

  return (
    <div className="health" aria-label="Service health">
      <Pill testId="sys:app-health" label="API" tone={appTone} text={appText} title={app.error?.message ?? "GET /api/health"} />
      <Pill
        testId="sys:redi-health"
        label="RediAI"
        tone={rediTone}
        text={rediText}
        title={rediTitle}
      />
    </div>
  );
}
