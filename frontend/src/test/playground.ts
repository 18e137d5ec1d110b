// The served models, chat stream events and serving status, as the backend's /v1 and
// /api/serving answer them.

import { json } from "./fetchMock";
import { RUN_ID } from "./runs";

export const SERVED_MODELS = [
  { id: "duel-reasoner:prod", object: "model", created: 1740823200, owned_by: "tunix-rt", source: "registry" },
  { id: "duel-reasoner@v2", object: "model", created: 1740823100, owned_by: "tunix-rt", source: "registry" },
  { id: `run-${RUN_ID}`, object: "model", created: 1740820000, owned_by: "tunix-rt", source: "run" },
  { id: "tunix-rt/tiny-gemma3", object: "model", created: 0, owned_by: "tunix-rt", source: "builtin" },
  { id: "google/gemma-3-1b-it", object: "model", created: 0, owned_by: "tunix-rt", source: "checkpoint" },
];

export function modelList(data: unknown[] = SERVED_MODELS) {
  return { object: "list", data };
}

/** An OpenAI error body, as every /v1 refusal (and a stream's failure) carries it. */
export function openAIError(message: string, code: string | null, type = "invalid_request_error") {
  return { error: { message, type, param: null, code } };
}

export function openAIErrorResponse(status: number, message: string, code: string | null, type?: string): Response {
  return json(status, openAIError(message, code, type));
}

/** One SSE event as the backend writes it: `data: <json>` and a blank line. */
export function data(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

const BASE = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1740823300, model: "duel-reasoner:prod" };

export function chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
  return data({ ...BASE, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], usage: null });
}

export const roleChunk = () => chunk({ role: "assistant", content: "" });
export const reasoningChunk = (text: string) => chunk({ reasoning_content: text });
export const contentChunk = (text: string) => chunk({ content: text });
export const finishChunk = (reason: "stop" | "length" = "stop") => chunk({}, reason);

export function usageChunk(promptTokens: number, completionTokens: number): string {
  return data({ ...BASE, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } });
}

export const DONE = "data: [DONE]\n\n";

export function streamError(message: string, code: string | null = "model_crashed"): string {
  return data(openAIError(message, code, "server_error"));
}

export function loadedModel(overrides: Record<string, unknown> = {}) {
  return {
    key: "version:c0ffee",
    names: ["duel-reasoner:prod"],
    model_id: "tunix-rt/tiny-gemma3",
    pid: 4242,
    alive: true,
    ready: true,
    loaded_at: 1740823000,
    load_seconds: 3.2,
    context_length: 2048,
    checkpoint_step: 30,
    queue_depth: 2,
    in_flight: 1,
    requests: 7,
    prompt_tokens: 120,
    completion_tokens: 560,
    batches: 5,
    mean_batch_size: 1.4,
    tokens_per_second: 48.25,
    ...overrides,
  };
}

export function servingStatus(overrides: Record<string, unknown> = {}) {
  return { available: true, max_models: 2, max_batch: 8, batch_window_ms: 5, models: [loadedModel()], ...overrides };
}
