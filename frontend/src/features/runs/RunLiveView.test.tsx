import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { setToken } from "../../api/token";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { CHECKS, LOCAL_SUMMARY, RUN_ARTIFACTS, RUN_ID, runDetail, runMetrics, runPageRoutes } from "../../test/runs";
import { checkpointLine, logLine, metricLine } from "../../test/logChunks";
import { end, legacyLog, liveSse, log, logChunk, metric, status, type LiveSse } from "../../test/sse";
import { FakeUPlot } from "../../test/uplot";
import { STREAM_FLUSH_MS } from "./useRunStream";

const DETAIL = `/api/tunix/runs/${RUN_ID}`;
const RUNNING = { status: "running", mode: "local", completed_at: null, duration_seconds: null, exit_code: null };

function detailRequests(requests: Request[]): number {
  return requests.filter((r) => r.method === "GET" && new URL(r.url).pathname === DETAIL).length;
}

/** A running training run's page, its stream held open for the test to feed. */
function runningRun(routes: Record<string, RouteHandler> = {}, detail: () => unknown = () => runDetail(RUNNING)) {
  const stream = liveSse();
  const fetch = mockFetch({
    ...runPageRoutes("running", { "GET /api/tunix/runs/:id/logs": () => stream.response }),
    [`GET ${DETAIL}`]: () => json(200, detail()),
    ...routes,
  });
  return { stream, ...fetch };
}

async function opened(stream: LiveSse, ...messages: string[]) {
  stream.send(status("running"), ...messages);
  await waitFor(() => expect(screen.getByTestId("run:log-state")).toHaveAttribute("data-connection", "open"));
}

/** jsdom has no object URLs: stub them for one test. */
function stubObjectUrls() {
  const createObjectURL = vi.fn<(blob: Blob) => string>(() => "blob:artifact");
  Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
  onTestFinished(() => {
    Reflect.deleteProperty(URL, "createObjectURL");
    Reflect.deleteProperty(URL, "revokeObjectURL");
  });
  return createObjectURL;
}

describe("run page: live stream", () => {
  it("stops polling while the stream is open, and says the page is live", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const stream = liveSse();
    let up = true;
    const { requests } = mockFetch({
      ...runPageRoutes("running", {
        "GET /api/tunix/runs/:id/logs": () => (up ? stream.response : apiError(503, "Unavailable", "restarting")),
      }),
      [`GET ${DETAIL}`]: () => json(200, runDetail(RUNNING)),
    });
    renderApp(`/runs/${RUN_ID}`);
    await opened(stream);

    await waitFor(() => expect(screen.getByTestId("run:refresh-note")).toHaveTextContent("Live: this page follows the run's stream."));
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(detailRequests(requests)).toBe(1);

    // The stream drops (and cannot reopen for now): polling takes over.
    up = false;
    stream.fail();
    await waitFor(() => expect(screen.getByTestId("run:log-state")).toHaveAttribute("data-connection", "reconnecting"));
    // The note follows on the next render (updates are batched every 100 ms).
    await waitFor(() => expect(screen.getByTestId("run:refresh-note")).toHaveTextContent("This page refreshes every 4 s."));
    // The interval starts when the stream is seen down, a moment after the drop.
    await act(() => vi.advanceTimersByTimeAsync(4_500));
    await waitFor(() => expect(detailRequests(requests)).toBe(2));
  });

  it("shows a status change at once and reloads the run; at the end, reloads it and its files", async () => {
    let detail = runDetail(RUNNING);
    const { stream, requests } = runningRun({}, () => detail);
    renderApp(`/runs/${RUN_ID}`);
    await opened(stream, logChunk(1, [logLine("training")]));
    expect(await screen.findByText("training")).toBeInTheDocument();
    const artifactLists = () => requests.filter((r) => new URL(r.url).pathname.endsWith("/artifacts")).length;
    expect(artifactLists()).toBe(1);

    detail = runDetail({ ...RUNNING, status: "completed", completed_at: "2025-03-01T12:05:00Z", message: "Training completed: 20 steps." });
    stream.send(status("completed", 1, 1));
    await waitFor(() => expect(screen.getByTestId("run:status")).toHaveTextContent("completed"));
    stream.send(end("completed", 1));
    await waitFor(() => expect(screen.getByTestId("run:log-ended")).toHaveTextContent("— stream ended (completed) —"));
    await waitFor(() => expect(screen.getByTestId("run:message")).toHaveTextContent("Training completed: 20 steps."));
    expect(detailRequests(requests)).toBeGreaterThanOrEqual(2);
    await waitFor(() => expect(artifactLists()).toBeGreaterThanOrEqual(2));
  });

  it("lists a new checkpoint when the log says one was saved", async () => {
    let artifacts: unknown[] = [];
    const { stream } = runningRun({ "GET /api/tunix/runs/:id/artifacts": () => json(200, artifacts) });
    renderApp(`/runs/${RUN_ID}`);
    await opened(stream);
    expect(await screen.findByTestId("run:artifacts-empty")).toHaveTextContent("No files yet: checkpoints appear here as they are saved.");

    artifacts = RUN_ARTIFACTS.slice(0, 2);
    stream.send(logChunk(1, [checkpointLine(20, "/runs/x/checkpoints/20")]));
    await waitFor(() => expect(screen.getAllByTestId("run:artifact")).toHaveLength(1));
    expect(screen.getByTestId("run:artifact")).toHaveAttribute("data-name", "checkpoints/20");
  });

  it("draws the stored loss points, then adds each metric event once, however often it is replayed", async () => {
    const { stream } = runningRun({
      "GET /api/tunix/runs/:id/metrics": () =>
        json(200, runMetrics({ "train/loss": [[1, 5.5], [2, 5.1]], "eval/loss": [[0, 5.6]], "train/learning_rate": [[1, 0.01], [2, 0.0099]] })),
    });
    renderApp(`/runs/${RUN_ID}`);
    const chart = await screen.findByTestId("run:curve-chart");
    expect(chart).toHaveAttribute("data-points", "2");
    expect(screen.getByTestId("run:curve-summary")).toHaveTextContent("train loss: 2 points, last 5.1 at step 2");

    // The stream replays the stored points, then sends new ones.
    await opened(stream, metric("train/loss", 1, 5.5), metric("train/loss", 2, 5.1), metric("train/loss", 3, 4.2), metric("eval/loss", 3, 4.4));
    await waitFor(() => expect(chart).toHaveAttribute("data-points", "3"));
    stream.send(metric("train/loss", 3, 4.2), metric("train/loss", 4, 3.9));
    await waitFor(() => expect(chart).toHaveAttribute("data-points", "4"));
    expect(chart).toHaveAttribute("data-eval-points", "2");

    const [plot] = FakeUPlot.live();
    expect(plot!.opts.series.map((s) => s.label)).toEqual(["step", "train loss", "eval loss", "learning rate"]);
    expect(plot!.opts.series[3]!.scale).toBe("y2");
    // The chart gets its data in an effect, just after the attributes change.
    await waitFor(() =>
      expect(plot!.data).toEqual([
        [0, 1, 2, 3, 4],
        [null, 5.5, 5.1, 4.2, 3.9],
        [5.6, null, null, 4.4, null],
        [null, 0.01, 0.0099, null, null],
      ]),
    );
    // One chart, updated in place.
    expect(FakeUPlot.instances).toHaveLength(1);
    expect(chart).toHaveAccessibleName(expect.stringContaining("train loss: 4 points, last 3.9 at step 4"));
  });

  it("says a training run has no loss yet, and draws no chart for a dry run", async () => {
    const { stream } = runningRun();
    const { unmount } = renderApp(`/runs/${RUN_ID}`);
    await opened(stream);
    expect(screen.getByTestId("run:curve-empty")).toHaveTextContent("Waiting for the first training step…");
    unmount();

    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail()) });
    renderApp(`/runs/${RUN_ID}`);
    await screen.findByTestId("run:logs");
    expect(screen.queryByTestId("run:curve")).not.toBeInTheDocument();
  });

  it("shows each line as the server read it, and a line it sent no reading for as it came", async () => {
    const { stream } = runningRun();
    const { user } = renderApp(`/runs/${RUN_ID}`);
    const raw = '{"event":"log","time":1,"message":"looks like an event"}';
    await opened(
      stream,
      logChunk(1, [logLine("model loaded"), metricLine(1, "train/loss", 5.5), "[ok] plain"]),
      // The server read this line as nothing (a stray print): the page does not parse it.
      log(2, `${raw}\n`),
      log(3, "W0301 warning from XLA\n", "stderr"),
    );
    await waitFor(() => expect(screen.getAllByTestId("run:log-line")).toHaveLength(4));
    const texts = () => screen.getAllByTestId("run:log-line").map((line) => line.textContent);
    expect(texts()).toEqual(["model loaded", "[ok] plain", raw, "stderrW0301 warning from XLA"]);
    await user.click(screen.getByTestId("run:log-show-metrics"));
    expect(texts()).toEqual(["model loaded", "step 1 · train/loss = 5.5", "[ok] plain", raw, "stderrW0301 warning from XLA"]);
  });

  it("shows every line as plain text from a server that sends no line readings", async () => {
    let artifacts = 0;
    const { stream } = runningRun({
      "GET /api/tunix/runs/:id/artifacts": () => {
        artifacts += 1;
        return json(200, []);
      },
    });
    renderApp(`/runs/${RUN_ID}`);
    const checkpoint = '{"event":"checkpoint","time":2,"step":20,"path":"/runs/x/checkpoints/20"}';
    const metricText = '{"event":"metric","time":1,"step":1,"name":"train/loss","value":5.5}';
    await opened(stream, legacyLog(1, `${metricText}\n${checkpoint}\n[ok] plain\n`));
    await waitFor(() => expect(screen.getAllByTestId("run:log-line")).toHaveLength(3));
    expect(screen.getAllByTestId("run:log-line").map((line) => [line.textContent, line.dataset.kind])).toEqual([
      [metricText, "text"],
      [checkpoint, "text"],
      ["[ok] plain", "text"],
    ]);
    expect(screen.queryByTestId("run:log-show-metrics")).not.toBeInTheDocument();
    // Not read as a checkpoint: the file list is not asked again.
    expect(artifacts).toBe(1);
  });

  it("batches a burst of lines into one update", async () => {
    const { stream } = runningRun();
    renderApp(`/runs/${RUN_ID}`);
    await opened(stream);
    stream.send(...Array.from({ length: 50 }, (_, i) => log(i + 1, `line ${i + 1}\n`)));
    await new Promise((resolve) => setTimeout(resolve, STREAM_FLUSH_MS / 2));
    await waitFor(() => expect(screen.getAllByTestId("run:log-line")).toHaveLength(50));
  });
});

describe("run page: cancel", () => {
  it("cancels a running run after confirming, and says so until it ends", async () => {
    let detail = runDetail(RUNNING);
    const { stream, requests } = runningRun(
      {
        [`POST ${DETAIL}/cancel`]: () => {
          detail = runDetail({ ...RUNNING, cancel_requested_at: "2025-03-01T12:01:00Z" });
          return json(202, { run_id: RUN_ID, status: "running", attempt: 1, started_at: "2025-03-01T12:00:03Z", completed_at: null, duration_seconds: null, error: null, cancel_requested_at: "2025-03-01T12:01:00Z" });
        },
      },
      () => detail,
    );
    const { user } = renderApp(`/runs/${RUN_ID}`);
    await opened(stream);

    await user.click(screen.getByTestId("run:cancel"));
    const confirm = screen.getByRole("group", { name: "Confirm cancel" });
    expect(confirm).toHaveTextContent("Stop training? It saves a checkpoint first.");
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
    await user.click(within(confirm).getByTestId("run:cancel-confirm"));

    expect(await screen.findByTestId("run:cancel-requested")).toHaveTextContent("Cancel requested…");
    expect(screen.getByTestId("run:cancel-requested")).toBeDisabled();
    expect(screen.getByTestId("run:state-line")).toHaveTextContent("Cancel requested: the run stops at its next step, after a checkpoint.");
    expect(screen.getByTestId("run:status")).toHaveTextContent("running");

    detail = runDetail({ ...RUNNING, status: "cancelled", error: "Cancelled: the trainer stopped at step 187, 1.7 s after the request." });
    stream.send(status("cancelled", 1, 2), end("cancelled", 2));
    await waitFor(() => expect(screen.getByTestId("run:status")).toHaveTextContent("cancelled"));
    await waitFor(() => expect(screen.queryByTestId("run:cancel-requested")).not.toBeInTheDocument());
    expect(screen.queryByTestId("run:cancel")).not.toBeInTheDocument();
    expect(await screen.findByTestId("run:error")).toHaveTextContent("Reason: Cancelled: the trainer stopped at step 187");
  });

  it("cancels a queued run at once", async () => {
    const pending = { status: "pending", attempt: 0, claimed_at: null, worker_id: null, completed_at: null, duration_seconds: null, exit_code: null };
    let detail = runDetail(pending);
    mockFetch({
      ...runPageRoutes("pending"),
      [`GET ${DETAIL}`]: () => json(200, detail),
      [`POST ${DETAIL}/cancel`]: () => {
        detail = runDetail({ ...pending, status: "cancelled" });
        return json(202, { run_id: RUN_ID, status: "cancelled", attempt: 0, started_at: "2025-03-01T12:00:00Z", completed_at: "2025-03-01T12:00:09Z", duration_seconds: null, error: "Cancelled before it started.", cancel_requested_at: null });
      },
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await user.click(await screen.findByTestId("run:cancel"));
    expect(screen.getByRole("group", { name: "Confirm cancel" })).toHaveTextContent("Cancel this queued run?");
    await user.click(screen.getByTestId("run:cancel-confirm"));
    await waitFor(() => expect(screen.getByTestId("run:status")).toHaveTextContent("cancelled"));
    expect(screen.queryByTestId("run:cancel")).not.toBeInTheDocument();
    expect(screen.queryByTestId("run:cancel-requested")).not.toBeInTheDocument();
  });

  it("shows the 409 of a run that ended meanwhile, and reloads it", async () => {
    let detail = runDetail(RUNNING);
    const { stream } = runningRun(
      {
        [`POST ${DETAIL}/cancel`]: () => {
          detail = runDetail({ ...RUNNING, status: "completed", completed_at: "2025-03-01T12:05:00Z" });
          return apiError(409, "RunNotCancellable", `run ${RUN_ID} is completed: only a pending or running run can be cancelled`);
        },
      },
      () => detail,
    );
    const { user } = renderApp(`/runs/${RUN_ID}`);
    await opened(stream);

    await user.click(screen.getByTestId("run:cancel"));
    await user.click(screen.getByTestId("run:cancel-confirm"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      `Not cancelled: RunNotCancellable (HTTP 409) — run ${RUN_ID} is completed: only a pending or running run can be cancelled`,
    );
    await waitFor(() => expect(screen.getByTestId("run:status")).toHaveTextContent("completed"));
    expect(screen.queryByTestId("run:cancel")).not.toBeInTheDocument();
    expect(screen.getByTestId("sys:error")).toBeInTheDocument();
  });

  it("keeps running when the confirmation is declined", async () => {
    const { stream, requests } = runningRun();
    const { user } = renderApp(`/runs/${RUN_ID}`);
    await opened(stream);
    await user.click(screen.getByTestId("run:cancel"));
    await user.click(screen.getByTestId("run:cancel-keep"));
    expect(screen.queryByRole("group", { name: "Confirm cancel" })).not.toBeInTheDocument();
    expect(screen.getByTestId("run:cancel")).toBeEnabled();
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("offers no cancel for a run that has ended", async () => {
    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail()) });
    renderApp(`/runs/${RUN_ID}`);
    await screen.findByTestId("run:rerun");
    expect(screen.queryByTestId("run:cancel")).not.toBeInTheDocument();
  });
});

describe("run page: artifacts, checks and summary", () => {
  it("lists the files: each checkpoint a tar row, sizes for people, short hashes that copy", async () => {
    mockFetch({
      ...runPageRoutes("completed", { "GET /api/tunix/runs/:id/artifacts": () => json(200, RUN_ARTIFACTS) }),
      [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local" })),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    const rows = await screen.findAllByTestId("run:artifact");
    expect(rows.map((row) => row.getAttribute("data-name"))).toEqual(["checkpoints/20", "checkpoints/40", "manifest.yaml", "dataset.jsonl"]);
    expect(rows[0]).toHaveTextContent("checkpoints/20 (2 files)");
    expect(rows[0]).toHaveTextContent("checkpoint");
    expect(rows[0]).toHaveTextContent("1.2 MiB");
    expect(rows[0]).toHaveTextContent("— (tar)");
    expect(within(rows[0]!).getByTestId("run:artifact-download")).toHaveAttribute(
      "href",
      `/api/tunix/runs/${RUN_ID}/artifacts/checkpoints/20/download`,
    );
    expect(within(rows[0]!).getByTestId("run:artifact-download")).toHaveAccessibleName("Download checkpoints/20 as a tar");
    expect(rows[2]).toHaveTextContent("config");
    expect(rows[2]).toHaveTextContent("1.0 KiB");
    expect(within(rows[2]!).getByTestId("run:artifact-sha")).toHaveTextContent(/^0959943a328a$/);
    expect(within(rows[2]!).getByTestId("run:artifact-sha")).toHaveAttribute("title", RUN_ARTIFACTS[3]!.sha256);
    expect(rows[2]!.querySelector("time")).toHaveAttribute("dateTime", "2025-03-01T12:00:01Z");

    // user-event stands in a clipboard of its own.
    await user.click(within(rows[2]!).getByTestId("run:artifact-copy"));
    expect(await navigator.clipboard.readText()).toBe(RUN_ARTIFACTS[3]!.sha256);
    expect(within(rows[2]!).getByTestId("run:artifact-copy")).toHaveTextContent("copied");
  });

  it("says a large file's hash is being computed, and asks again until it is there", async () => {
    const pending = RUN_ARTIFACTS.map((a) => (a.name === "manifest.yaml" ? { ...a, sha256: null } : a));
    let listings = 0;
    mockFetch({
      ...runPageRoutes("completed", {
        "GET /api/tunix/runs/:id/artifacts": () => json(200, ++listings === 1 ? pending : RUN_ARTIFACTS),
      }),
      [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local" })),
    });
    renderApp(`/runs/${RUN_ID}`);
    const hashing = await screen.findByTestId("run:artifact-hashing");
    expect(hashing).toHaveTextContent("computing…");
    expect(hashing.closest("tr")).toHaveAttribute("data-name", "manifest.yaml");
    await waitFor(() => expect(screen.queryByTestId("run:artifact-hashing")).not.toBeInTheDocument(), { timeout: 5000 });
    expect(listings).toBe(2);
  });

  it("downloads a checkpoint as a tar through the client, with the bearer token", async () => {
    setToken("trt_secret");
    const createObjectURL = stubObjectUrls();
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    const { requests } = mockFetch({
      ...runPageRoutes("completed", { "GET /api/tunix/runs/:id/artifacts": () => json(200, RUN_ARTIFACTS) }),
      [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local" })),
      [`GET ${DETAIL}/artifacts/checkpoints/40/download`]: () =>
        new Response("tar bytes", {
          status: 200,
          headers: { "Content-Type": "application/x-tar", "Content-Disposition": 'attachment; filename="40.tar"' },
        }),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    const rows = await screen.findAllByTestId("run:artifact");
    await user.click(within(rows[1]!).getByTestId("run:artifact-download"));

    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    const saved = click.mock.contexts[0] as HTMLAnchorElement;
    expect(saved.download).toBe("40.tar");
    expect(saved.href).toBe("blob:artifact");
    expect(await createObjectURL.mock.calls[0]![0].text()).toBe("tar bytes");
    const download = requests.find((r) => r.url.endsWith("/download"))!;
    expect(new URL(download.url).pathname).toBe(`${DETAIL}/artifacts/checkpoints/40/download`);
    expect(download.headers.get("Authorization")).toBe("Bearer trt_secret");
  });

  it("names a download after the artifact when the server gives no name, and shows a failed one", async () => {
    const createObjectURL = stubObjectUrls();
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    mockFetch({
      ...runPageRoutes("completed", { "GET /api/tunix/runs/:id/artifacts": () => json(200, RUN_ARTIFACTS) }),
      [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local" })),
      [`GET ${DETAIL}/artifacts/manifest.yaml/download`]: () => new Response("model: x\n", { status: 200 }),
      [`GET ${DETAIL}/artifacts/dataset.jsonl/download`]: () => apiError(404, "ArtifactNotFound", "dataset.jsonl is gone"),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);
    const rows = await screen.findAllByTestId("run:artifact");

    await user.click(within(rows[2]!).getByTestId("run:artifact-download"));
    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    expect((click.mock.contexts[0] as HTMLAnchorElement).download).toBe("manifest.yaml");
    expect(createObjectURL).toHaveBeenCalledTimes(1);

    await user.click(within(rows[3]!).getByTestId("run:artifact-download"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Download failed: ArtifactNotFound (HTTP 404) — dataset.jsonl is gone");
  });

  it("says a run left no files, and shows why the list failed", async () => {
    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail()) });
    const { unmount } = renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("run:artifacts-empty")).toHaveTextContent("This run left no files.");
    unmount();

    mockFetch({
      ...runPageRoutes("completed", { "GET /api/tunix/runs/:id/artifacts": () => apiError(500, "Internal", "disk") }),
      [`GET ${DETAIL}`]: () => json(200, runDetail()),
    });
    renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not list the artifacts: Internal (HTTP 500) — disk");
  });

  it("shows the checks and the training summary, and the run's closing message", async () => {
    mockFetch({
      ...runPageRoutes(),
      [`GET ${DETAIL}`]: () =>
        json(200, runDetail({ mode: "local", checks: CHECKS, summary: { ...LOCAL_SUMMARY, eval_loss_step: 150 }, message: "Training completed: 20 steps, loss 5.557 -> 2.51." })),
    });
    renderApp(`/runs/${RUN_ID}`);

    const result = await screen.findByTestId("run:result");
    expect(within(result).getAllByTestId("run:check")).toHaveLength(CHECKS.length);
    expect(screen.getByTestId("run:summary-loss")).toHaveTextContent("5.557 → 2.51 (first → last training step)");
    expect(screen.getByTestId("run:exact-match")).toHaveTextContent("50%");
    expect(screen.getByTestId("run:steps-per-second")).toHaveTextContent("0.406");
    expect(screen.getByTestId("run:eval-loss")).toHaveTextContent("5.556 (at step 150)");
    expect(screen.queryByTestId("run:summary-eval_loss_step")).not.toBeInTheDocument();
    expect(screen.getByTestId("run:message")).toHaveTextContent("Training completed: 20 steps, loss 5.557 -> 2.51.");
  });
});
