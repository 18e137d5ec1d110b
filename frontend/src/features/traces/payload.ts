import type { ReasoningTrace, TraceStep } from "./queries";

// The API types a stored payload as a free-form object (it is validated on the way
// in); these guards narrow it back to a ReasoningTrace before rendering.
function isStep(value: unknown): value is TraceStep {
  if (typeof value !== "object" || value === null) return false;
  const step = value as Record<string, unknown>;
  return typeof step.i === "number" && typeof step.type === "string" && typeof step.content === "string";
}

export function readTracePayload(payload: Record<string, unknown>): ReasoningTrace | null {
  const { trace_version, prompt, final_answer, steps, meta } = payload;
  if (typeof trace_version !== "string" || typeof prompt !== "string" || typeof final_answer !== "string") return null;
  if (!Array.isArray(steps) || !steps.every(isStep)) return null;
  const validMeta = typeof meta === "object" && meta !== null && !Array.isArray(meta);
  return {
    trace_version,
    prompt,
    final_answer,
    steps: [...steps].sort((a, b) => a.i - b.i),
    meta: validMeta ? (meta as Record<string, unknown>) : null,
  };
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function formatLocalTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimeFormat.format(date);
}

export function formatScore(score: number): string {
  return score.toFixed(1);
}
