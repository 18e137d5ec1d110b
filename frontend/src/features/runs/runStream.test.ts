import { act } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { setToken } from "../../api/token";
import { apiError, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { RUN_ID } from "../../test/runs";
import { end, liveSse, log, metric, sse, sseResponse, status } from "../../test/sse";
import { isTokenPromptOpen } from "../auth/promptStore";
import {
  followRunStream,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
  reconnectDelayMs,
  STALL_TIMEOUT_MS,
  toRunStreamEvent,
  type RunStreamEvent,
  type StreamConnection,
} from "./runStream";

const LOGS = `GET /api/tunix/runs/${RUN_ID}/logs`;

function inTurn(...handlers: RouteHandler[]): RouteHandler {
  let call = 0;
  return (request, params) => handlers[Math.min(call++, handlers.length - 1)]!(request, params);
}

function follow() {
  const events: RunStreamEvent[] = [];
  const states: StreamConnection[] = [];
  const errors: unknown[] = [];
  const controller = new AbortController();
  const done = followRunStream(RUN_ID, {
    signal: controller.signal,
    onEvent: (event) => events.push(event),
    onConnection: (state, error) => {
      if (states[states.length - 1] !== state) states.push(state);
      if (error) errors.push(error);
    },
  });
  return { events, states, errors, controller, done };
}

function sinceSeqs(requests: Request[]): (string | null)[] {
  return requests.filter((r) => new URL(r.url).pathname.endsWith("/logs")).map((r) => new URL(r.url).searchParams.get("since_seq"));
}

function useFakeTimers() {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

describe("following a run's log stream", () => {
  it("delivers status, log, metric and end events in order, then stops", async () => {
    mockFetch({
      [LOGS]: () =>
        sseResponse(
          status("running"),
          log(1, "line one\n"),
          metric("train/loss", 1, 3.2, 1),
          sse("heartbeat", 1, { time: "now" }),
          ": ping\r\n\r\n",
          end("completed", 1),
        ),
    });
    const { events, states, done } = follow();
    await done;

    expect(events).toEqual([
      { type: "status", status: "running", attempt: 1 },
      { type: "log", seq: 1, stream: "stdout", text: "line one\n", events: [null] },
      { type: "metric", name: "train/loss", step: 1, value: 3.2 },
      { type: "end", status: "completed" },
    ]);
    expect(states).toEqual(["connecting", "open", "ended"]);
  });

  it("reconnects after a drop from the last seq received, and shows no line twice", async () => {
    useFakeTimers();
    const { requests } = mockFetch({
      [LOGS]: inTurn(
        () => sseResponse(status("running"), log(1, "a\n"), log(2, "b\n", "stderr")),
        // The server replays from since_seq; a line at or below it is dropped all the same.
        () => sseResponse(status("running", 1, 2), log(2, "b\n", "stderr"), log(3, "c\n"), end("completed", 3)),
      ),
    });
    const { events, states, done } = follow();

    await act(() => vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS));
    await done;

    const logs = events.filter((e) => e.type === "log");
    expect(logs.map((e) => [e.seq, e.stream, e.text])).toEqual([
      [1, "stdout", "a\n"],
      [2, "stderr", "b\n"],
      [3, "stdout", "c\n"],
    ]);
    expect(sinceSeqs(requests)).toEqual([null, "2"]);
    expect(states).toEqual(["connecting", "open", "reconnecting", "open", "ended"]);
  });

  it("resumes from the last seq after the connection breaks mid-read", async () => {
    useFakeTimers();
    const first = liveSse();
    const { requests } = mockFetch({
      [LOGS]: inTurn(
        () => first.response,
        () => sseResponse(log(5, "e\n"), end("failed", 5)),
      ),
    });
    const { events, done } = follow();
    first.send(log(4, "d\n"));
    await vi.waitFor(() => expect(events).toHaveLength(1));
    first.fail();

    await act(() => vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS));
    await done;
    expect(events.map((e) => (e.type === "log" ? e.seq : e.type))).toEqual([4, 5, "end"]);
    expect(sinceSeqs(requests)).toEqual([null, "4"]);
  });

  it("backs off while the server keeps failing, doubling up to the cap", async () => {
    expect([1, 2, 3, 4, 5, 6, 9].map(reconnectDelayMs)).toEqual([1000, 2000, 4000, 8000, RECONNECT_MAX_MS, 15000, 15000]);

    useFakeTimers();
    const { requests } = mockFetch({ [LOGS]: () => apiError(503, "Unavailable", "restarting") });
    const { controller, states, done } = follow();
    await vi.waitFor(() => expect(sinceSeqs(requests)).toHaveLength(1));
    await act(() => vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS + 100));
    await vi.waitFor(() => expect(sinceSeqs(requests)).toHaveLength(2));
    // The second wait is twice the first: not over a second later.
    await act(() => vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS));
    expect(sinceSeqs(requests)).toHaveLength(2);
    await act(() => vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS));
    await vi.waitFor(() => expect(sinceSeqs(requests)).toHaveLength(3));
    expect(states).toEqual(["connecting", "reconnecting"]);
    controller.abort();
    await done;
  });

  it("gives up on a run that is not there (404)", async () => {
    mockFetch({ [LOGS]: () => apiError(404, "RunNotFound", "no such run") });
    const { states, errors, done } = follow();
    await done;
    expect(states).toEqual(["connecting", "failed"]);
    expect(String(errors[0])).toContain("RunNotFound");
  });

  it("sends the bearer token; after a 401 it asks for one and resumes once it is saved", async () => {
    setToken("trt_old");
    const { requests } = mockFetch({
      [LOGS]: (request) =>
        request.headers.get("Authorization") === "Bearer trt_new"
          ? sseResponse(status("completed"), log(1, "done\n"), end("completed", 1))
          : apiError(401, "Unauthorized", "token revoked"),
    });
    const { states, events, done } = follow();

    await vi.waitFor(() => expect(states).toContain("failed"));
    expect(isTokenPromptOpen()).toBe(true);
    expect(requests[0]!.headers.get("Authorization")).toBe("Bearer trt_old");

    setToken("trt_new");
    await done;
    expect(states).toEqual(["connecting", "failed", "connecting", "open", "ended"]);
    expect(events.map((e) => e.type)).toEqual(["status", "log", "end"]);
  });

  it("reopens a connection that has gone silent for too long", async () => {
    useFakeTimers();
    const silent = liveSse();
    const { requests } = mockFetch({
      [LOGS]: inTurn(
        () => silent.response,
        () => sseResponse(log(2, "after\n"), end("completed", 2)),
      ),
    });
    const { events, done } = follow();
    silent.send(status("running"), log(1, "before\n"));
    await vi.waitFor(() => expect(events).toHaveLength(2));

    await act(() => vi.advanceTimersByTimeAsync(STALL_TIMEOUT_MS));
    expect(silent.cancelled).toBe(true);
    await act(() => vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS));
    await done;
    expect(sinceSeqs(requests)).toEqual([null, "1"]);
    expect(events.map((e) => e.type)).toEqual(["status", "log", "log", "end"]);
  });

  it("stops when its signal aborts, leaving the connection", async () => {
    const open = liveSse();
    mockFetch({ [LOGS]: () => open.response });
    const { controller, states, done } = follow();
    open.send(status("running"));
    await vi.waitFor(() => expect(states).toContain("open"));
    controller.abort();
    await done;
    expect(open.cancelled).toBe(true);
    expect(states).toEqual(["connecting", "open"]);
  });

  it("passes on the server's reading of each line of a log chunk", async () => {
    const text = '{"event":"metric","time":1,"step":3,"name":"train/loss","value":2.5}\n[ok] plain\n';
    mockFetch({
      [LOGS]: () =>
        sseResponse(
          sse("log", 1, { seq: 1, stream: "stdout", text, events: [{ kind: "metric", step: 3, name: "train/loss", value: 2.5 }, null] }),
          end("completed", 1),
        ),
    });
    const { events, done } = follow();
    await done;
    expect(events[0]).toEqual({
      type: "log",
      seq: 1,
      stream: "stdout",
      text,
      events: [{ kind: "metric", step: 3, name: "train/loss", value: 2.5 }, null],
    });
  });

  it("reads a log event's line readings defensively", () => {
    const read = (events: unknown) => {
      const event = toRunStreamEvent({ event: "log", id: "1", data: JSON.stringify({ seq: 1, stream: "stdout", text: "a\nb\n", events }) });
      return event?.type === "log" ? event.events : "not a log event";
    };
    // A server from before `events`: no readings, every line plain.
    expect(read(undefined)).toEqual([]);
    expect(read("metric")).toEqual([]);
    expect(read({ kind: "log" })).toEqual([]);
    // Each entry an object with a string `kind`, or null.
    expect(read([{ kind: "log", message: "a" }, null])).toEqual([{ kind: "log", message: "a" }, null]);
    expect(read([{ kind: 1 }, { message: "a" }, "log", 3, [], true])).toEqual([null, null, null, null, null, null]);
    // The length is the server's: chunkLines counts a missing entry as a plain line.
    expect(read([null])).toEqual([null]);
  });

  it("ignores events it cannot read", () => {
    expect(toRunStreamEvent({ event: "log", id: "1", data: "not json" })).toBeNull();
    expect(toRunStreamEvent({ event: "log", id: "1", data: "[1]" })).toBeNull();
    expect(toRunStreamEvent({ event: "log", id: "1", data: '{"seq":"1","text":"x"}' })).toBeNull();
    expect(toRunStreamEvent({ event: "status", id: "1", data: '{"status":"exploded"}' })).toBeNull();
    expect(toRunStreamEvent({ event: "metric", id: "1", data: '{"name":"x","step":1}' })).toBeNull();
    expect(toRunStreamEvent({ event: "heartbeat", id: "1", data: '{"time":"now"}' })).toBeNull();
    expect(toRunStreamEvent({ event: "end", id: "1", data: '{"status":null}' })).toEqual({ type: "end", status: null });
    expect(toRunStreamEvent({ event: "status", id: "1", data: '{"status":"pending"}' })).toEqual({
      type: "status",
      status: "pending",
      attempt: 0,
    });
  });
});
