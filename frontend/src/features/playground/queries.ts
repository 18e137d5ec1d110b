import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { chatRequestBody, unwrapOpenAI, type ChatRequest } from "./openai";
import { SERVING_STATUS_POLL_MS } from "./playground";

/** Query keys of serving: the names a request may give, and what is loaded now. */
export const servingKeys = {
  all: ["serving"] as const,
  models: () => [...servingKeys.all, "models"] as const,
  status: () => [...servingKeys.all, "status"] as const,
};

/** GET /v1/models: every name the chat may ask for. */
export function useServedModels() {
  return useQuery({
    queryKey: servingKeys.models(),
    queryFn: () => unwrapOpenAI(api.GET("/v1/models")),
  });
}

/** The loaded models and their figures, refreshed while the page that asks is open. */
export function useServingStatus() {
  return useQuery({
    queryKey: servingKeys.status(),
    queryFn: () => unwrap(api.GET("/api/serving/status")),
    refetchInterval: SERVING_STATUS_POLL_MS,
  });
}

/**
 * Opens a streamed chat completion through the API client (so the bearer token goes
 * with it) and returns its body. `signal` aborting closes the connection, and the server
 * stops generating. A refusal throws an ApiError with OpenAI's code and message.
 */
export async function streamChat(request: ChatRequest, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const body = await unwrapOpenAI(
    api.POST("/v1/chat/completions", {
      body: chatRequestBody(request),
      parseAs: "stream",
      signal,
      cache: "no-store",
      headers: { Accept: "text/event-stream" },
    }),
  );
  if (!body) throw new Error("The chat answered without a body.");
  return body;
}
