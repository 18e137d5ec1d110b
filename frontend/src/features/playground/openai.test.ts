import { describe, expect, it } from "vitest";
import { api } from "../../api/client";
import { ApiError } from "../../api/errors";
import { json, mockFetch } from "../../test/fetchMock";
import { contentChunk, DONE, finishChunk, reasoningChunk, roleChunk, streamError, usageChunk } from "../../test/playground";
import { chatRequestBody, parseChatEvent, readChatStream, StreamError, unwrapOpenAI, type ChatStreamEvent } from "./openai";

function body(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function events(...chunks: (string | Uint8Array)[]): Promise<ChatStreamEvent[]> {
  const seen: ChatStreamEvent[] = [];
  for await (const event of readChatStream(body(...chunks))) seen.push(event);
  return seen;
}

const text = (reasoning: string, content: string, finishReason: "stop" | "length" | null = null) =>
  ({ type: "chunk", reasoning, content, finishReason, usage: null }) as const;

describe("chat stream parsing", () => {
  it("reads deltas of reasoning and content, the finish reason, the usage chunk and [DONE]", async () => {
    expect(await events(roleChunk(), reasoningChunk("2 + 2"), contentChunk("4"), finishChunk("length"), usageChunk(12, 3), DONE)).toEqual([
      text("", ""),
      text("2 + 2", ""),
      text("", "4"),
      text("", "", "length"),
      { type: "chunk", reasoning: "", content: "", finishReason: null, usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } },
      { type: "done" },
    ]);
  });

  it("gives the same events however the body is split, a UTF-8 character and the blank line included", async () => {
    const stream = reasoningChunk("é → ✓") + contentChunk("Answer: 11\n") + usageChunk(5, 2) + DONE;
    const bytes = new TextEncoder().encode(stream);
    const whole = await events(bytes);
    expect(whole).toHaveLength(4);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await events(bytes.slice(0, cut), bytes.slice(cut))).toEqual(whole);
    }
    expect(await events(...stream.split(""))).toEqual(whole);
  });

  it("reads a failure sent in the stream as an error with its message and code", async () => {
    const [first, failure] = await events(contentChunk("An"), streamError("The model process exited (signal 9).", "model_crashed"));
    expect(first).toEqual(text("", "An"));
    expect(failure).toMatchObject({ type: "error" });
    const error = (failure as { error: StreamError }).error;
    expect(error).toBeInstanceOf(StreamError);
    expect(error.message).toBe("The model process exited (signal 9).");
    expect(error.code).toBe("model_crashed");
  });

  it("says the model stopped when a stream's error has no message", () => {
    const event = parseChatEvent(JSON.stringify({ error: { message: null, type: "server_error", param: null, code: null } }));
    expect(event).toMatchObject({ type: "error" });
    expect((event as { error: StreamError }).error).toMatchObject({ message: "The model stopped before the answer was finished.", code: "server_error" });
  });

  it("skips what is not a chunk: bad JSON, a list, a keep-alive comment", async () => {
    expect(parseChatEvent("{not json")).toBeNull();
    expect(parseChatEvent("[1, 2]")).toBeNull();
    expect(await events(": ping\n\n", "data: {oops\n\n", contentChunk("ok"), DONE)).toEqual([text("", "ok"), { type: "done" }]);
  });
});

describe("chat request", () => {
  it("asks for a stream with the usage chunk, and leaves max_tokens out when none is set", () => {
    const messages = [{ role: "user" as const, content: "Hi" }];
    expect(chatRequestBody({ model: "m:prod", messages, temperature: 0, maxTokens: null })).toEqual({
      model: "m:prod",
      messages,
      temperature: 0,
      top_p: 1,
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(chatRequestBody({ model: "m:prod", messages, temperature: 0.7, maxTokens: 64 })).toMatchObject({ temperature: 0.7, max_tokens: 64 });
  });

  it("turns OpenAI's error body into an ApiError with the code and the message", async () => {
    mockFetch({
      "GET /v1/models": () => json(404, { error: { message: "The model 'x' does not exist", type: "invalid_request_error", param: "model", code: "model_not_found" } }),
    });
    const failure = unwrapOpenAI(api.GET("/v1/models"));
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 404, error: "model_not_found", detail: "The model 'x' does not exist" });
  });

  it("names the error by its type when it has no code, and reads any other body as the app does", async () => {
    mockFetch({ "GET /v1/models": () => json(401, { error: { message: "No token", type: "authentication_error", param: null, code: null } }) });
    await expect(unwrapOpenAI(api.GET("/v1/models"))).rejects.toMatchObject({ status: 401, error: "authentication_error", detail: "No token" });

    mockFetch({ "GET /v1/models": () => new Response("Bad Gateway", { status: 502, statusText: "Bad Gateway" }) });
    await expect(unwrapOpenAI(api.GET("/v1/models"))).rejects.toMatchObject({ status: 502, error: "HTTP 502", detail: "Bad Gateway" });
  });
});
