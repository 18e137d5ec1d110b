// The playground's conversation: its turns, how a streamed answer grows from the
// stream's events, what is sent for the next turn, and the figures shown for each answer.

import type { Schemas } from "../../api/client";
import type { FieldError } from "../../api/errors";
import type { ChatMessage, ChatStreamEvent, FinishReason, ModelSource, ServedModel, Usage } from "./openai";

export type ServingStatus = Schemas["ServingStatus"];
export type LoadedModel = Schemas["LoadedModel"];

export const PLAYGROUND_PATH = "/playground";
/** The serving status is refreshed this often while the page is open. */
export const SERVING_STATUS_POLL_MS = 4_000;
/** The server's bounds on temperature (0: greedy). */
export const TEMPERATURE_MIN = 0;
export const TEMPERATURE_MAX = 2;

/**
 * The playground with `model` chosen. `:`, `@` and `/` are left as they are (they are
 * allowed in a query), so `hcd:prod` and `tunix-rt/tiny-gemma3` read as themselves.
 */
export function playgroundPath(model?: string): string {
  if (!model) return PLAYGROUND_PATH;
  const value = encodeURIComponent(model).replace(/%3A/gi, ":").replace(/%40/gi, "@").replace(/%2F/gi, "/");
  return `${PLAYGROUND_PATH}?model=${value}`;
}

export const SOURCE_GROUPS: readonly { source: ModelSource; label: string }[] = [
  { source: "registry", label: "Aliases & versions" },
  { source: "run", label: "Training runs" },
  { source: "builtin", label: "Built-in" },
  { source: "checkpoint", label: "Checkpoints" },
];

export type ModelGroup = { source: ModelSource; label: string; models: ServedModel[] };

/** The served models by source, in the order of SOURCE_GROUPS; empty groups left out. */
export function groupModels(models: readonly ServedModel[]): ModelGroup[] {
  return SOURCE_GROUPS.map(({ source, label }) => ({ source, label, models: models.filter((m) => m.source === source) })).filter(
    (group) => group.models.length > 0,
  );
}

/** Where an answer's times come from: milliseconds, monotonic (a test may set it). */
export const clock = { now: (): number => performance.now() };

/** waiting: asked, nothing back yet. streaming: text is arriving. */
export type AnswerStatus = "waiting" | "streaming" | "done" | "stopped" | "failed";

/** One assistant answer as it streams; times are `clock.now()` milliseconds. */
export type Answer = {
  model: string;
  status: AnswerStatus;
  reasoning: string;
  content: string;
  finishReason: FinishReason | null;
  usage: Usage | null;
  /** Why it failed: an ApiError (refused before streaming), a StreamError, a network error. */
  error: unknown;
  startedAt: number;
  /** When the first text (reasoning or answer) arrived. */
  firstTokenAt: number | null;
  /** When the usage chunk arrived, or the answer otherwise ended. */
  endedAt: number | null;
};

export type Turn = { id: number; prompt: string; answer: Answer };

export function isAnswering(answer: Answer): boolean {
  return answer.status === "waiting" || answer.status === "streaming";
}

export function newAnswer(model: string, startedAt: number): Answer {
  return {
    model,
    status: "waiting",
    reasoning: "",
    content: "",
    finishReason: null,
    usage: null,
    error: null,
    startedAt,
    firstTokenAt: null,
    endedAt: null,
  };
}

/** The answer after one event of its stream, received at `at`. */
export function applyChatEvent(answer: Answer, event: ChatStreamEvent, at: number): Answer {
  if (!isAnswering(answer)) return answer;
  switch (event.type) {
    case "chunk": {
      const hasText = event.reasoning !== "" || event.content !== "";
      return {
        ...answer,
        status: "streaming",
        reasoning: answer.reasoning + event.reasoning,
        content: answer.content + event.content,
        finishReason: event.finishReason ?? answer.finishReason,
        usage: event.usage ?? answer.usage,
        firstTokenAt: answer.firstTokenAt ?? (hasText ? at : null),
        endedAt: event.usage ? at : answer.endedAt,
      };
    }
    case "error":
      return failAnswer(answer, event.error, at);
    case "done":
      return { ...answer, status: "done", endedAt: answer.endedAt ?? at };
  }
}

export function failAnswer(answer: Answer, error: unknown, at: number): Answer {
  return { ...answer, status: "failed", error, endedAt: answer.endedAt ?? at };
}

export function stopAnswer(answer: Answer, at: number): Answer {
  return isAnswering(answer) ? { ...answer, status: "stopped", endedAt: answer.endedAt ?? at } : answer;
}

/** The body ended: an answer without `[DONE]` (or an error) was cut off. */
export function endAnswer(answer: Answer, at: number): Answer {
  if (!isAnswering(answer)) return answer;
  return failAnswer(answer, new Error("The connection closed before the answer was finished."), at);
}

/**
 * The messages of the next request: the system prompt, then each earlier turn that was
 * answered (its question and the answer's content, never the reasoning), then `prompt`.
 * A turn with no answer text (failed, or stopped while reasoning) is left out whole, so
 * user and assistant keep taking turns.
 */
export function chatMessages(system: string, turns: readonly Turn[], prompt: string): ChatMessage[] {
  const messages: ChatMessage[] = system.trim() ? [{ role: "system", content: system }] : [];
  for (const turn of turns) {
    if (turn.answer.status === "failed" || turn.answer.content === "") continue;
    messages.push({ role: "user", content: turn.prompt }, { role: "assistant", content: turn.answer.content });
  }
  messages.push({ role: "user", content: prompt });
  return messages;
}

/**
 * A generation window shorter than this was not timed: the text came in one burst (the
 * server held it back, or one read held it all), so it is timed from sending instead.
 */
export const MIN_TIMED_GENERATION_MS = 20;

export type AnswerFigures = {
  /** Seconds from sending to the first text: queueing, loading the model, the prompt. */
  ttftSeconds: number | null;
  /** Completion tokens a second, over the window `rateBasis` names. */
  tokensPerSecond: number | null;
  /** generation: from the first text to the usage chunk. request: from sending to it. */
  rateBasis: "generation" | "request" | null;
};

export function answerFigures(answer: Answer): AnswerFigures {
  const { firstTokenAt, endedAt, usage, startedAt } = answer;
  const ttftSeconds = firstTokenAt === null ? null : (firstTokenAt - startedAt) / 1000;
  if (!usage || usage.completion_tokens === 0 || firstTokenAt === null || endedAt === null) {
    return { ttftSeconds, tokensPerSecond: null, rateBasis: null };
  }
  const generationMs = endedAt - firstTokenAt;
  const [basis, ms] = generationMs >= MIN_TIMED_GENERATION_MS ? (["generation", generationMs] as const) : (["request", endedAt - startedAt] as const);
  return { ttftSeconds, tokensPerSecond: ms > 0 ? usage.completion_tokens / (ms / 1000) : null, rateBasis: ms > 0 ? basis : null };
}

export function formatRate(perSecond: number): string {
  return perSecond < 100 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString();
}

/** The settings as typed: strings, so a half-typed number is not lost. */
export type SettingsInput = { temperature: string; maxTokens: string; system: string };
export type ChatSettings = { temperature: number; maxTokens: number | null; system: string };

export const DEFAULT_SETTINGS: SettingsInput = { temperature: "0", maxTokens: "", system: "" };

/** The settings, or the errors of each field that is not valid (at its body path), as the form shows them. */
export function readSettings(input: SettingsInput): { settings: ChatSettings | null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const temperature = Number(input.temperature);
  if (input.temperature.trim() === "" || !Number.isFinite(temperature) || temperature < TEMPERATURE_MIN || temperature > TEMPERATURE_MAX) {
    errors.push({ loc: ["body", "temperature"], msg: `A number from ${TEMPERATURE_MIN} to ${TEMPERATURE_MAX}`, type: "value_error" });
  }
  const maxTokensText = input.maxTokens.trim();
  const maxTokens = maxTokensText === "" ? null : Number(maxTokensText);
  if (maxTokens !== null && (!Number.isInteger(maxTokens) || maxTokens < 1)) {
    errors.push({ loc: ["body", "max_tokens"], msg: "A whole number of 1 or more, or blank for the server's default", type: "value_error" });
  }
  if (errors.length > 0) return { settings: null, errors };
  return { settings: { temperature, maxTokens, system: input.system }, errors };
}
