// OpenAI's inference API as the backend serves it under /v1: the chat request's body,
// the error body, and the streamed `chat.completion.chunk` events. The one place in the
// UI that reads or writes that format.

import { unwrap, type Schemas } from "../../api/client";
import { readSse } from "../runs/sse";

export type ServedModel = Schemas["ModelCard"];
export type ModelSource = ServedModel["source"];
export type Usage = Schemas["Usage"];
export type ChatRole = "system" | "user" | "assistant";
export type ChatMessage = { role: ChatRole; content: string };
export type FinishReason = "stop" | "length";
type ChatCompletionBody = Schemas["ChatCompletionRequest"];

/** What the playground asks for; `maxTokens` null: as many as fit (the server's default). */
export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number | null;
};

/** The body of a streamed chat completion that ends with the usage chunk. */
export function chatRequestBody({ model, messages, temperature, maxTokens }: ChatRequest): ChatCompletionBody {
  return {
    model,
    messages,
    temperature,
    top_p: 1,
    n: 1,
    stream: true,
    stream_options: { include_usage: true },
    ...(maxTokens === null ? {} : { max_tokens: maxTokens }),
  };
}

/** The error a stream sent in place of its next chunk (the model process stopped mid-answer). */
export class StreamError extends Error {
  readonly code: string | null;

  constructor(message: string, code: string | null) {
    super(message);
    this.name = "StreamError";
    this.code = code;
  }
}

/**
 * One event of a chat stream. `chunk`: text (either part may be ""), the finish reason on
 * the last delta, the usage on the chunk after it. `done`: the `[DONE]` line.
 */
export type ChatStreamEvent =
  | { type: "chunk"; reasoning: string; content: string; finishReason: FinishReason | null; usage: Usage | null }
  | { type: "error"; error: StreamError }
  | { type: "done" };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function nonEmpty(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function usageOf(value: unknown): Usage | null {
  if (!isRecord(value)) return null;
  const { prompt_tokens, completion_tokens, total_tokens } = value;
  if (typeof prompt_tokens !== "number" || typeof completion_tokens !== "number") return null;
  return { prompt_tokens, completion_tokens, total_tokens: typeof total_tokens === "number" ? total_tokens : prompt_tokens + completion_tokens };
}

function finishReasonOf(value: unknown): FinishReason | null {
  return value === "stop" || value === "length" ? value : null;
}

function streamErrorOf(value: Record<string, unknown>): StreamError {
  return new StreamError(nonEmpty(value.message) ?? "The model stopped before the answer was finished.", nonEmpty(value.code) ?? nonEmpty(value.type));
}

/** The `data` of one server-sent event as a chat stream event; null for anything else. */
export function parseChatEvent(data: string): ChatStreamEvent | null {
  if (data.trim() === "[DONE]") return { type: "done" };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  if (isRecord(value.error)) return { type: "error", error: streamErrorOf(value.error) };
  const choice = Array.isArray(value.choices) ? value.choices.find((c) => isRecord(c) && (c.index ?? 0) === 0) : undefined;
  const delta = isRecord(choice) && isRecord(choice.delta) ? choice.delta : {};
  return {
    type: "chunk",
    reasoning: text(delta.reasoning_content),
    content: text(delta.content),
    finishReason: isRecord(choice) ? finishReasonOf(choice.finish_reason) : null,
    usage: usageOf(value.usage),
  };
}

/** The events of a chat stream's body, in order, until it ends or `signal` aborts. */
export async function* readChatStream(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  for await (const message of readSse(body, { signal })) {
    const event = parseChatEvent(message.data);
    if (event) yield event;
  }
}

/** OpenAI's `{"error": {message, type, param, code}}` as the app's `{error, detail}`; anything else as it is. */
function asAppErrorBody(body: unknown): unknown {
  if (!isRecord(body) || !isRecord(body.error) || typeof body.error.message !== "string") return body;
  const { message, code, type } = body.error;
  return { error: nonEmpty(code) ?? nonEmpty(type) ?? "error", detail: message };
}

type ClientResult<T> = { data?: T; error?: unknown; response: Response };

/**
 * `unwrap` for a /v1 call: its data, or an ApiError whose `error` is OpenAI's code (or
 * type) and whose `detail` is the error's message.
 */
export function unwrapOpenAI<T>(call: Promise<ClientResult<T>>): Promise<T> {
  return unwrap(call.then((result) => (result.response.ok ? result : { ...result, error: asAppErrorBody(result.error) })));
}
