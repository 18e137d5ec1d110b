import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { setToken } from "../../api/token";
import { json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import {
  contentChunk,
  DONE,
  finishChunk,
  loadedModel,
  modelList,
  openAIErrorResponse,
  reasoningChunk,
  roleChunk,
  servingStatus,
  streamError,
  usageChunk,
} from "../../test/playground";
import { renderApp } from "../../test/render";
import { RUN_ID } from "../../test/runs";
import { liveSse, sseResponse, type LiveSse } from "../../test/sse";
import { clock, SERVING_STATUS_POLL_MS } from "./playground";

const CHAT = "POST /v1/chat/completions";

function pageRoutes(routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    "GET /v1/models": () => json(200, modelList()),
    "GET /api/serving/status": () => json(200, servingStatus()),
    ...routes,
  };
}

/** Each chat request gets the next live stream; the requests as the page sent them (signals included). */
function liveChats(count = 1) {
  const streams: LiveSse[] = Array.from({ length: count }, () => liveSse());
  const sent: Request[] = [];
  const handler: RouteHandler = (request) => {
    sent.push(request);
    return streams[sent.length - 1]!.response;
  };
  return { streams, sent, handler };
}

/** The clock the answers' times are read from, set by the test. */
function fakeClock(start = 0) {
  let now = start;
  vi.spyOn(clock, "now").mockImplementation(() => now);
  return {
    set: (ms: number) => {
      now = ms;
    },
  };
}

async function bodyOf(request: Request): Promise<Record<string, unknown>> {
  return (await request.clone().json()) as Record<string, unknown>;
}

function modelSelect(): HTMLSelectElement {
  return screen.getByLabelText("Model");
}

async function ask(user: ReturnType<typeof renderApp>["user"], text: string) {
  await user.type(screen.getByLabelText("Message"), text);
  await user.keyboard("{Enter}");
}

describe("playground: choosing a model", () => {
  it("lists the served models by source and preselects the one the link names", async () => {
    const { requests } = mockFetch(pageRoutes());
    renderApp("/playground?model=duel-reasoner:prod");

    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Playground");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    const groups = [...modelSelect().querySelectorAll("optgroup")].map((g) => [g.label, [...g.querySelectorAll("option")].map((o) => o.value)]);
    expect(groups).toEqual([
      ["Aliases & versions", ["duel-reasoner:prod", "duel-reasoner@v2"]],
      ["Training runs", [`run-${RUN_ID}`]],
      ["Built-in", ["tunix-rt/tiny-gemma3"]],
      ["Checkpoints", ["google/gemma-3-1b-it"]],
    ]);
    expect(screen.getByLabelText("Temperature")).toHaveValue(0);
    expect(screen.getByLabelText("Max tokens")).toHaveValue(null);
    expect(screen.getByLabelText("System prompt")).toHaveValue("");
    expect(requests.some((r) => new URL(r.url).pathname === "/v1/models")).toBe(true);
  });

  it("keeps a model the link names that is not listed (an older run), and asks for one when none is chosen", async () => {
    mockFetch(pageRoutes());
    const { user } = renderApp("/playground?model=run-old");
    await waitFor(() => expect(modelSelect()).toHaveValue("run-old"));
    expect(within(modelSelect()).getByRole("group", { name: "From the link" })).toBeInTheDocument();

    await user.selectOptions(modelSelect(), "");
    expect(screen.getByTestId("playground:composer-hint")).toHaveTextContent("Choose a model to chat with.");
    await user.type(screen.getByLabelText("Message"), "Hi");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
  });

  it("is in the main navigation, and choosing a model puts it in the address", async () => {
    mockFetch(pageRoutes());
    const { user } = renderApp("/playground");
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Playground" })).toHaveAttribute("href", "/playground");
    await waitFor(() => expect(modelSelect()).toBeEnabled());
    await user.selectOptions(modelSelect(), "tunix-rt/tiny-gemma3");
    expect(modelSelect()).toHaveValue("tunix-rt/tiny-gemma3");
  });

  it("shows why the models could not be listed", async () => {
    mockFetch(pageRoutes({ "GET /v1/models": () => openAIErrorResponse(500, "The database is down", null, "server_error") }));
    renderApp("/playground");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not list the models");
    expect(alert).toHaveTextContent("The database is down");
  });
});

describe("playground: chatting", () => {
  it("streams the reasoning, then the answer, apart, and shows the answer's figures", async () => {
    const time = fakeClock(1_000);
    const chats = liveChats();
    mockFetch(pageRoutes({ [CHAT]: chats.handler }));
    setToken("trt_secret");
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));

    await ask(user, "What is 9 + 2?");
    await waitFor(() => expect(chats.sent).toHaveLength(1));
    const [request] = chats.sent;
    expect(request!.headers.get("Authorization")).toBe("Bearer trt_secret");
    expect(await bodyOf(request!)).toEqual({
      model: "duel-reasoner:prod",
      messages: [{ role: "user", content: "What is 9 + 2?" }],
      temperature: 0,
      top_p: 1,
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(screen.getByLabelText("Message")).toHaveValue("");
    expect(screen.getByTestId("playground:question")).toHaveTextContent("What is 9 + 2?");
    expect(screen.getByRole("button", { name: "Stop" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    expect(screen.getByTestId("playground:announcement")).toHaveTextContent("The model is answering.");

    const stream = chats.streams[0]!;
    time.set(1_250);
    stream.send(roleChunk(), reasoningChunk("9 plus 2 "));
    const reasoning = await screen.findByTestId("playground:reasoning");
    expect(reasoning).toHaveTextContent("Reasoning");
    time.set(1_400);
    stream.send(reasoningChunk("is 11."));
    await waitFor(() => expect(reasoning).toHaveTextContent("9 plus 2 is 11."));
    expect(screen.queryByTestId("playground:content")).not.toBeInTheDocument();

    time.set(1_600);
    stream.send(contentChunk("Answer: "), contentChunk("11"));
    await waitFor(() => expect(screen.getByTestId("playground:content")).toHaveTextContent("Answer: 11"));
    // Apart: the answer holds none of the reasoning, the reasoning none of the answer.
    expect(screen.getByTestId("playground:content")).not.toHaveTextContent("plus");
    expect(reasoning).not.toHaveTextContent("Answer");
    expect(screen.getByTestId("playground:ttft")).toHaveTextContent("first token 250 ms");

    time.set(2_250);
    stream.send(finishChunk("stop"), usageChunk(20, 40), DONE);
    stream.close();
    await waitFor(() => expect(screen.getByTestId("playground:answer")).toHaveAttribute("data-status", "done"));
    // 40 completion tokens in the 1 s from the first text to the usage chunk.
    expect(screen.getByTestId("playground:tokens-per-second")).toHaveTextContent("40.0 tokens/s");
    expect(screen.getByTestId("playground:tokens-per-second")).toHaveAttribute("data-basis", "generation");
    expect(screen.getByTestId("playground:tokens")).toHaveTextContent("20 prompt + 40 completion tokens");
    expect(screen.getByTestId("playground:finish")).toHaveTextContent("finished");
    expect(screen.getByRole("button", { name: "Stop" })).toBeDisabled();
    expect(screen.getByTestId("playground:announcement")).toHaveTextContent("The answer is complete.");
  });

  it("folds the reasoning on demand", async () => {
    mockFetch(pageRoutes({ [CHAT]: () => sseResponse(reasoningChunk("Think."), contentChunk("Done."), finishChunk(), usageChunk(3, 2), DONE) }));
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await ask(user, "Go");
    const reasoning = await screen.findByTestId("playground:reasoning");
    expect(reasoning).toHaveAttribute("open");
    await user.click(within(reasoning).getByText("Reasoning"));
    expect(reasoning).not.toHaveAttribute("open");
    expect(screen.getByTestId("playground:content")).toBeVisible();
  });

  it("sends the earlier turns' questions and answers, never their reasoning, with the settings", async () => {
    const answers = [
      sseResponse(reasoningChunk("9 and 2."), contentChunk("11"), finishChunk(), usageChunk(10, 3), DONE),
      sseResponse(contentChunk("7"), finishChunk("length"), usageChunk(20, 1), DONE),
    ];
    const sent: Request[] = [];
    mockFetch(
      pageRoutes({
        [CHAT]: (request) => {
          sent.push(request);
          return answers[sent.length - 1]!;
        },
      }),
    );
    const { user } = renderApp("/playground?model=duel-reasoner@v2");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner@v2"));
    await user.type(screen.getByLabelText("System prompt"), "Be brief.");
    await user.clear(screen.getByLabelText("Temperature"));
    await user.type(screen.getByLabelText("Temperature"), "0.5");
    await user.type(screen.getByLabelText("Max tokens"), "32");

    await ask(user, "What is 9 + 2?");
    await waitFor(() => expect(screen.getByTestId("playground:answer")).toHaveAttribute("data-status", "done"));
    await user.click(screen.getByRole("button", { name: "Send" })); // nothing typed: nothing sent
    await ask(user, "And 3 + 4?");
    await waitFor(() => expect(screen.getAllByTestId("playground:answer")[1]).toHaveAttribute("data-status", "done"));

    expect(sent).toHaveLength(2);
    expect(await bodyOf(sent[1]!)).toMatchObject({
      model: "duel-reasoner@v2",
      temperature: 0.5,
      max_tokens: 32,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is 9 + 2?" },
        { role: "assistant", content: "11" },
        { role: "user", content: "And 3 + 4?" },
      ],
    });
    // Cut at max tokens: said so, as a hint.
    const second = screen.getAllByTestId("playground:answer")[1]!;
    expect(within(second).getByTestId("playground:finish")).toHaveAttribute("data-finish", "length");
    expect(within(second).getByTestId("playground:finish")).toHaveTextContent("Cut off at the max tokens limit");
  });

  it("starts a new line on Shift+Enter instead of sending", async () => {
    const { requests } = mockFetch(pageRoutes());
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await user.type(screen.getByLabelText("Message"), "one{Shift>}{Enter}{/Shift}two");
    expect(screen.getByLabelText("Message")).toHaveValue("one\ntwo");
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("stops the answer: the request is aborted and its body cancelled, and the answer says it stopped", async () => {
    const chats = liveChats();
    mockFetch(pageRoutes({ [CHAT]: chats.handler }));
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await ask(user, "Count to a million");
    const stream = chats.streams[0]!;
    stream.send(roleChunk(), contentChunk("1, 2, 3"));
    await waitFor(() => expect(screen.getByTestId("playground:content")).toHaveTextContent("1, 2, 3"));

    await user.click(screen.getByRole("button", { name: "Stop" }));

    await waitFor(() => expect(screen.getByTestId("playground:answer")).toHaveAttribute("data-status", "stopped"));
    expect(chats.sent[0]!.signal.aborted).toBe(true);
    expect(stream.cancelled).toBe(true);
    expect(screen.getByTestId("playground:stopped")).toHaveTextContent("stopped");
    expect(screen.getByTestId("playground:content")).toHaveTextContent("1, 2, 3");
    expect(screen.getByRole("button", { name: "Stop" })).toBeDisabled();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("says in words why the server refused, and sends the question again on Retry", async () => {
    let calls = 0;
    mockFetch(
      pageRoutes({
        [CHAT]: () =>
          ++calls === 1
            ? openAIErrorResponse(400, "The prompt is 5000 tokens; the model's context is 2048", "context_length_exceeded")
            : sseResponse(contentChunk("Short."), finishChunk(), usageChunk(4, 2), DONE),
      }),
    );
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await ask(user, "A very long question");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("context_length_exceeded");
    expect(alert).toHaveTextContent("The prompt is 5000 tokens; the model's context is 2048");
    expect(alert).toHaveTextContent("HTTP 400");
    expect(screen.getByTestId("playground:answer")).toHaveAttribute("data-status", "failed");

    await user.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.getByTestId("playground:content")).toHaveTextContent("Short."));
    expect(screen.getAllByTestId("playground:turn")).toHaveLength(1);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("shows a failure the stream sent mid-answer, keeping what came before it", async () => {
    mockFetch(pageRoutes({ [CHAT]: () => sseResponse(roleChunk(), contentChunk("Half an ans"), streamError("The model process exited (signal 9).")) }));
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await ask(user, "Go");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("No answer: The model process exited (signal 9).");
    expect(screen.getByTestId("playground:content")).toHaveTextContent("Half an ans");
    expect(screen.getByTestId("playground:announcement")).toHaveTextContent("The answer failed.");
  });

  it("says so when the stream ends before [DONE]", async () => {
    mockFetch(pageRoutes({ [CHAT]: () => sseResponse(roleChunk(), contentChunk("Cut")) }));
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await ask(user, "Go");
    expect(await screen.findByRole("alert")).toHaveTextContent("The connection closed before the answer was finished.");
  });

  it("opens the token prompt when the server wants a token", async () => {
    mockFetch(pageRoutes({ [CHAT]: () => openAIErrorResponse(401, "A bearer token is required", null, "authentication_error") }));
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await ask(user, "Go");
    expect(await screen.findByTestId("sys:token-prompt")).toBeInTheDocument();
    expect(screen.getByTestId("playground:answer")).toHaveAttribute("data-status", "failed");
  });

  it("refuses settings out of range before sending", async () => {
    mockFetch(pageRoutes());
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await user.clear(screen.getByLabelText("Temperature"));
    await user.type(screen.getByLabelText("Temperature"), "3");
    await user.type(screen.getByLabelText("Max tokens"), "0");

    expect(screen.getByLabelText("Temperature")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Max tokens")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getAllByTestId("playground:field-error").map((e) => e.dataset.field)).toEqual(["temperature", "max_tokens"]);
    await user.type(screen.getByLabelText("Message"), "Hi");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    expect(screen.getByTestId("playground:composer-hint")).toHaveTextContent("Fix the settings to send.");
  });
});

describe("playground: serving status", () => {
  it("shows the loaded models, their queues and speeds, refreshed every few seconds and after an answer", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    let statuses = 0;
    const { pathsCalled } = mockFetch(
      pageRoutes({
        "GET /api/serving/status": () =>
          json(200, ++statuses === 1 ? servingStatus() : servingStatus({ models: [loadedModel({ queue_depth: 0, tokens_per_second: 51 })] })),
        [CHAT]: () => sseResponse(contentChunk("ok"), finishChunk(), usageChunk(1, 1), DONE),
      }),
    );
    const { user } = renderApp("/playground?model=duel-reasoner:prod");
    const loaded = await screen.findByTestId("playground:loaded-model");
    // Named as requests asked for it, with what it is beside.
    expect(within(loaded).getByTestId("playground:loaded-name")).toHaveTextContent("duel-reasoner:prod");
    expect(loaded).toHaveTextContent("tunix-rt/tiny-gemma3 · version:c0ffee");
    expect(within(loaded).getByTestId("playground:loaded-state")).toHaveTextContent("ready");
    expect(within(loaded).getByTestId("playground:queue-depth")).toHaveTextContent("2");
    expect(within(loaded).getByTestId("playground:loaded-rate")).toHaveTextContent("48.3");
    expect(screen.getByTestId("playground:slots")).toHaveTextContent("1 of 2 model slots in use");
    const statusCalls = () => pathsCalled().filter((p) => p === "GET /api/serving/status").length;
    expect(statusCalls()).toBe(1);

    await act(() => vi.advanceTimersByTimeAsync(SERVING_STATUS_POLL_MS));
    await waitFor(() => expect(statusCalls()).toBe(2));
    await waitFor(() => expect(screen.getByTestId("playground:queue-depth")).toHaveTextContent("0"));
    expect(screen.getByTestId("playground:loaded-rate")).toHaveTextContent("51.0");

    await waitFor(() => expect(modelSelect()).toHaveValue("duel-reasoner:prod"));
    await ask(user, "Go");
    await waitFor(() => expect(screen.getByTestId("playground:answer")).toHaveAttribute("data-status", "done"));
    await waitFor(() => expect(statusCalls()).toBe(3));
  });

  it("says when the runtime is missing and nothing is loaded", async () => {
    mockFetch(pageRoutes({ "GET /api/serving/status": () => json(200, servingStatus({ available: false, models: [] })) }));
    renderApp("/playground");
    expect(await screen.findByTestId("playground:unavailable")).toHaveTextContent("The Tunix runtime is not installed");
    expect(screen.getByTestId("playground:status")).toHaveTextContent("No model is loaded");
  });
});
