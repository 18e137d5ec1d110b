import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { LOCAL_SUMMARY, manyGenerations, RUN_ID, runDetail, runId, runPageRoutes, runResult } from "../../test/runs";

const DETAIL = `/api/tunix/runs/${RUN_ID}`;

function detailRequests(requests: Request[], path = DETAIL): number {
  return requests.filter((r) => r.method === "GET" && new URL(r.url).pathname === path).length;
}

function inTurn(...handlers: RouteHandler[]): RouteHandler {
  let call = 0;
  return (request, params) => handlers[Math.min(call++, handlers.length - 1)]!(request, params);
}

const PENDING = {
  status: "pending",
  attempt: 0,
  claimed_at: null,
  started_at: "2025-03-01T12:00:00Z",
  completed_at: null,
  duration_seconds: null,
  worker_id: null,
  exit_code: null,
  stdout: "",
};

function cellsOf(table: HTMLElement): [string, string][] {
  return within(table)
    .getAllByRole("row")
    .map((row) => [row.querySelector("th")!.textContent!, row.querySelector("td")!.textContent!]);
}

describe("run detail", () => {
  it("shows the status, configuration, timings, attempts and output tails of a run a worker ran", async () => {
    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail({ stderr: "W0301 warning\n" })) });
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:detail-id")).toHaveTextContent(RUN_ID);
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(`Dry run ${RUN_ID}`);
    const status = screen.getByTestId("run:status");
    expect(status).toHaveTextContent("completed");
    expect(status).toHaveClass("status-completed");
    expect(screen.getByTestId("run:dataset-link")).toHaveAttribute("href", "/datasets/duels-v1");
    expect(screen.getByTestId("run:detail")).toHaveTextContent(`tunix-rt/tiny-gemma3 · dry-run · output runs/${RUN_ID}`);
    expect(screen.queryByTestId("run:state-line")).not.toBeInTheDocument();

    expect(cellsOf(screen.getByTestId("run:config"))).toEqual([
      ["dataset_key", "duels-v1"],
      ["model_id", "tunix-rt/tiny-gemma3"],
      ["dry_run", "true"],
      ["learning_rate", "0.01"],
      ["batch_size", "8"],
      ["max_steps", "500"],
      ["timeout_seconds", "—"],
      ["output_dir", `runs/${RUN_ID}`],
    ]);

    expect(screen.getByTestId("run:queued").querySelector("time")).toHaveAttribute("dateTime", "2025-03-01T12:00:00Z");
    expect(screen.getByTestId("run:claimed").querySelector("time")).toHaveAttribute("dateTime", "2025-03-01T12:00:03Z");
    expect(screen.getByTestId("run:started-at").querySelector("time")).toHaveAttribute("dateTime", "2025-03-01T12:00:03Z");
    expect(screen.getByTestId("run:completed").querySelector("time")).toHaveAttribute("dateTime", "2025-03-01T12:00:05Z");
    expect(screen.getByTestId("run:created").querySelector("time")).toBeInTheDocument();
    expect(screen.getByTestId("run:duration")).toHaveTextContent("2 s");
    expect(screen.getByTestId("run:queue-wait")).toHaveTextContent("3 s");

    expect(screen.getByTestId("run:attempt")).toHaveTextContent("1 of 3");
    expect(screen.getByTestId("run:worker")).toHaveTextContent("host-1:4242:ab12");
    expect(screen.getByTestId("run:exit-code")).toHaveTextContent("0");
    expect(screen.queryByTestId("run:error")).not.toBeInTheDocument();

    const stdout = screen.getByTestId("run:stdout-tail");
    expect(stdout.tagName).toBe("PRE");
    expect(stdout.textContent).toBe("[ok] dataset: duels-v1\n[ok] model: built in");
    expect(screen.getByTestId("run:stderr-tail").textContent).toBe("W0301 warning\n");
  });

  it("says a queued run is waiting, with nothing claimed or started yet", async () => {
    mockFetch({ ...runPageRoutes("pending"), [`GET ${DETAIL}`]: () => json(200, runDetail(PENDING)) });
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:state-line")).toHaveTextContent("Queued: waiting for a worker to claim it.");
    expect(screen.getByTestId("run:status")).toHaveTextContent("pending");
    expect(screen.getByTestId("run:claimed")).toHaveTextContent("not yet");
    expect(screen.getByTestId("run:started-at")).toHaveTextContent("not yet");
    expect(screen.getByTestId("run:completed")).toHaveTextContent("not yet");
    expect(screen.getByTestId("run:queue-wait")).toHaveTextContent("not yet");
    expect(screen.getByTestId("run:duration")).toHaveTextContent("—");
    expect(screen.getByTestId("run:attempt")).toHaveTextContent("0 of 3");
    expect(screen.getByTestId("run:worker")).toHaveTextContent("none yet");
    expect(screen.getByTestId("run:stdout-tail")).toHaveTextContent("(empty)");
  });

  it("names the worker of a running run, and a run re-queued after its worker was lost", async () => {
    let answer = runDetail({ status: "running", completed_at: null, duration_seconds: null, exit_code: null });
    mockFetch({ ...runPageRoutes("running"), [`GET ${DETAIL}`]: () => json(200, answer) });
    const { queryClient } = renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:state-line")).toHaveTextContent("Running on host-1:4242:ab12.");

    answer = runDetail({ ...PENDING, attempt: 1, error: "worker host-1:4242:ab12 stopped heartbeating; re-queued" });
    await act(() => queryClient.refetchQueries());
    await waitFor(() => expect(screen.getByTestId("run:state-line")).toHaveTextContent("Queued again after its worker was lost"));
    expect(screen.getByTestId("run:error")).toHaveTextContent("Last attempt: worker host-1:4242:ab12 stopped heartbeating; re-queued");
  });

  it("shows why a run failed, and that a sync run was never queued", async () => {
    mockFetch({
      ...runPageRoutes("timeout"),
      [`GET ${DETAIL}`]: () =>
        json(
          200,
          runDetail({
            status: "timeout",
            mode: "local",
            queued_at: null,
            claimed_at: null,
            worker_id: null,
            exit_code: null,
            duration_seconds: 0.0042,
            error: "Training stopped after TUNIX_RUN_TIMEOUT_SECONDS=60.",
            config: {},
          }),
        ),
    });
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:error")).toHaveTextContent("Reason: Training stopped after TUNIX_RUN_TIMEOUT_SECONDS=60.");
    expect(screen.getByTestId("run:duration")).toHaveTextContent("4 ms");
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Training run");
    expect(screen.getByTestId("run:status")).toHaveClass("status-timeout");
    expect(screen.getByTestId("run:queued")).toHaveTextContent("— (ran in the request, not queued)");
    expect(screen.getByTestId("run:claimed")).toHaveTextContent("—");
    expect(screen.getByTestId("run:queue-wait")).toHaveTextContent("—");
    expect(screen.getByTestId("run:exit-code")).toHaveTextContent("—");
    expect(screen.getByText("No configuration was recorded.")).toBeInTheDocument();
  });

  it("polls every 4 s while pending or running and the live stream is down, and stops at the end", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const { requests } = mockFetch({
      ...runPageRoutes("pending", { "GET /api/tunix/runs/:id/logs": () => apiError(503, "Unavailable", "restarting") }),
      [`GET ${DETAIL}`]: inTurn(
        () => json(200, runDetail(PENDING)),
        () => json(200, runDetail({ status: "running", completed_at: null, duration_seconds: null, stdout: "[ok] dataset: duels-v1" })),
        () => json(200, runDetail()),
      ),
    });
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:status")).toHaveTextContent("pending");
    expect(screen.getByTestId("run:refresh-note")).toHaveTextContent("This page refreshes every 4 s.");
    await act(() => vi.advanceTimersByTimeAsync(4_000));
    await waitFor(() => expect(screen.getByTestId("run:status")).toHaveTextContent("running"));
    expect(screen.getByTestId("run:stdout-tail")).toHaveTextContent("[ok] dataset: duels-v1");
    await act(() => vi.advanceTimersByTimeAsync(4_000));
    await waitFor(() => expect(screen.getByTestId("run:status")).toHaveTextContent("completed"));
    expect(detailRequests(requests)).toBe(3);

    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(detailRequests(requests)).toBe(3);
    expect(screen.queryByTestId("run:state-line")).not.toBeInTheDocument();
  });

  it("keeps the run shown when a poll fails, and says so", async () => {
    let down = false;
    mockFetch({
      ...runPageRoutes("pending"),
      [`GET ${DETAIL}`]: () => (down ? apiError(503, "Unavailable", "restarting") : json(200, runDetail(PENDING))),
    });
    const { queryClient } = renderApp(`/runs/${RUN_ID}`);

    await screen.findByTestId("run:state-line");
    down = true;
    await act(() => queryClient.refetchQueries());
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not refresh (retrying less often): Unavailable (HTTP 503)");
    expect(screen.getByTestId("run:status")).toHaveTextContent("pending");
  });

  it("reruns with the same configuration and opens the new run", async () => {
    const rerunId = runId(77);
    const { requests } = mockFetch({
      ...runPageRoutes(),
      [`GET ${DETAIL}`]: () => json(200, runDetail()),
      [`POST ${DETAIL}/rerun`]: () => json(202, runResult({ run_id: rerunId, status: "pending", message: "Run queued: a worker will start it." })),
      [`GET /api/tunix/runs/${rerunId}`]: () => json(200, runDetail({ ...PENDING, run_id: rerunId })),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await user.click(await screen.findByTestId("run:rerun"));

    await waitFor(() => expect(screen.getByTestId("run:detail-id")).toHaveTextContent(rerunId));
    expect(screen.getByTestId("run:status")).toHaveTextContent("pending");
    expect(requests.filter((r) => r.method === "POST").map((r) => new URL(r.url).pathname)).toEqual([`${DETAIL}/rerun`]);
  });

  it("offers to try a completed training run in the Playground, and not a dry run or an unfinished one", async () => {
    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local" })) });
    renderApp(`/runs/${RUN_ID}`);
    const tryIt = await screen.findByTestId("run:try-it");
    expect(tryIt).toHaveTextContent("Try it in the Playground");
    expect(tryIt).toHaveAttribute("href", `/playground?model=run-${RUN_ID}`);
    cleanup();

    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail()) });
    renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("run:detail-id")).toHaveTextContent(RUN_ID);
    expect(screen.queryByTestId("run:try-it")).not.toBeInTheDocument();
    cleanup();

    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local", status: "failed" })) });
    renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("run:detail-id")).toHaveTextContent(RUN_ID);
    expect(screen.queryByTestId("run:try-it")).not.toBeInTheDocument();
  });

  it("shows why a rerun was refused", async () => {
    mockFetch({
      ...runPageRoutes(),
      [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local" })),
      [`POST ${DETAIL}/rerun`]: () => apiError(501, "TunixNotAvailable", "Tunix is not installed here, so dry_run=false cannot train."),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await user.click(await screen.findByTestId("run:rerun"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not rerun: TunixNotAvailable (HTTP 501) — Tunix is not installed here, so dry_run=false cannot train.",
    );
    expect(screen.getByTestId("run:detail-id")).toHaveTextContent(RUN_ID);
  });

  it("says an unknown run was not found", async () => {
    mockFetch({ "GET /api/tunix/runs/:id": () => apiError(404, "RunNotFound", `no run ${runId(9)}`) });
    renderApp(`/runs/${runId(9)}`);

    const notFound = await screen.findByTestId("run:not-found");
    expect(notFound).toHaveTextContent("Run not found");
    expect(notFound).toHaveTextContent(`No run has the id ${runId(9)}.`);
    expect(within(notFound).getByRole("link", { name: "Back to runs" })).toHaveAttribute("href", "/runs");
  });

  it("says the same for an id that is not a UUID (422)", async () => {
    mockFetch({
      "GET /api/tunix/runs/:id": () =>
        apiError(422, "ValidationError", [{ loc: ["path", "run_id"], msg: "Input should be a valid UUID", type: "uuid_parsing" }]),
    });
    renderApp("/runs/not-a-uuid");
    expect(await screen.findByTestId("run:not-found")).toHaveTextContent("No run has the id not-a-uuid.");
  });

  it("shows other load errors from {error, detail}", async () => {
    mockFetch({ [`GET ${DETAIL}`]: () => apiError(403, "Forbidden", "Token scope") });
    renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the run: Forbidden (HTTP 403) — Token scope");
  });
});

describe("run detail: held-out answers", () => {
  const GENERATIONS = `${DETAIL}/generations`;
  const asked = (requests: Request[]) => detailRequests(requests, GENERATIONS);
  const RUNNING = { status: "running", mode: "local", completed_at: null, duration_seconds: null, exit_code: null, summary: null };

  it("shows every answer of an ended training run, and the summary from the summary alone (no stdout)", async () => {
    mockFetch({
      ...runPageRoutes(),
      [`GET ${DETAIL}`]: () =>
        json(200, runDetail({ mode: "local", stdout: "", summary: { ...LOCAL_SUMMARY, exact_match: 0.9, eval_loss_step: 150 } })),
      [`GET ${GENERATIONS}`]: () => json(200, manyGenerations(30, 27)),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    const score = await screen.findByTestId("run:generations-score");
    expect(score).toHaveTextContent("27 of 30 correct (90%)");
    expect(screen.getByTestId("run:exact-match")).toHaveTextContent("27 of 30 correct (90%)");
    expect(screen.getByTestId("run:exact-match")).toHaveAttribute("data-value", "0.9");
    expect(screen.getByTestId("run:eval-loss")).toHaveTextContent("5.556 (at step 150)");
    expect(screen.getByTestId("run:latest-checkpoint")).toHaveTextContent("step 20 · checkpoints/20");
    expect(within(screen.getByTestId("run:result")).getAllByTestId("run:generation")).toHaveLength(20);
    await user.click(screen.getByTestId("run:generations-toggle"));
    expect(screen.getAllByTestId("run:generation")).toHaveLength(30);
  });

  it("asks for them once the run has ended, not while it runs", async () => {
    let answer = runDetail(RUNNING);
    const { requests } = mockFetch({
      ...runPageRoutes("running"),
      [`GET ${DETAIL}`]: () => json(200, answer),
      [`GET ${GENERATIONS}`]: () => json(200, manyGenerations(2, 1)),
    });
    const { queryClient } = renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:state-line")).toHaveTextContent("Running");
    expect(asked(requests)).toBe(0);
    expect(screen.queryByTestId("run:result")).not.toBeInTheDocument();

    answer = runDetail({ mode: "local", summary: LOCAL_SUMMARY });
    await act(() => queryClient.refetchQueries({ queryKey: ["runs", "detail", RUN_ID], exact: true }));
    expect(await screen.findByTestId("run:generations-score")).toHaveTextContent("1 of 2 correct (50%)");
    expect(screen.getAllByTestId("run:generation")).toHaveLength(2);
    expect(screen.queryByTestId("run:generations-toggle")).not.toBeInTheDocument();
    expect(asked(requests)).toBe(1);
  });

  it("asks nothing for a dry run, which answers no prompt", async () => {
    const { requests } = mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail()) });
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:status")).toHaveTextContent("completed");
    expect(asked(requests)).toBe(0);
    expect(screen.queryByTestId("run:generations")).not.toBeInTheDocument();
  });

  it("shows why the answers could not be read", async () => {
    mockFetch({
      ...runPageRoutes(),
      [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local", summary: LOCAL_SUMMARY })),
      [`GET ${GENERATIONS}`]: () => apiError(403, "Forbidden", "Token scope"),
    });
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the held-out answers: Forbidden (HTTP 403) — Token scope");
    // The summary's own percentage stays.
    expect(screen.getByTestId("run:exact-match")).toHaveTextContent("50% of the held-out prompts");
  });
});

describe("run detail: labels", () => {
  const LABELLED = { mode: "local", name: "Baseline lr 5e-3", notes: "First try.\nLoss flat after 200 steps.", tags: ["baseline", "lr-sweep"] };

  async function patchBodies(requests: Request[]): Promise<unknown[]> {
    const patches = requests.filter((r) => r.method === "PATCH" && new URL(r.url).pathname === DETAIL);
    return Promise.all(patches.map((r) => r.clone().json()));
  }

  it("shows the name as the title, the notes, and the tags linking to the runs with each", async () => {
    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail(LABELLED)) });
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Baseline lr 5e-3");
    expect(screen.getByTestId("run:detail")).toHaveTextContent(`Training run ${RUN_ID}`);
    expect(screen.getByTestId("run:notes")).toHaveTextContent("First try. Loss flat after 200 steps.");
    const tags = screen.getAllByTestId("run:tag-link");
    expect(tags.map((t) => t.textContent)).toEqual(["baseline", "lr-sweep"]);
    expect(tags[1]).toHaveAttribute("href", "/runs?tag=lr-sweep");
  });

  it("edits the labels: sends them as a PATCH and shows the saved ones", async () => {
    let current = runDetail();
    const { requests } = mockFetch({
      ...runPageRoutes(),
      [`GET ${DETAIL}`]: () => json(200, current),
      [`PATCH ${DETAIL}`]: async (request) => {
        current = { ...current, ...((await request.clone().json()) as object) };
        return json(200, current);
      },
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("run:labels")).toHaveTextContent("No name, notes or tags yet.");
    await user.click(screen.getByTestId("run:labels-edit"));
    await user.type(screen.getByTestId("run:labels-name"), "  Checked once  ");
    await user.type(screen.getByTestId("run:labels-tags"), "smoke, dry  smoke");
    await user.type(screen.getByTestId("run:labels-notes"), "Before the sweep.");
    await user.click(screen.getByTestId("run:labels-save"));

    await waitFor(() => expect(screen.queryByTestId("run:labels-form")).not.toBeInTheDocument());
    expect(await patchBodies(requests)).toEqual([{ name: "Checked once", notes: "Before the sweep.", tags: ["smoke", "dry"] }]);
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Checked once");
    expect(screen.getByTestId("run:notes")).toHaveTextContent("Before the sweep.");
    expect(screen.getAllByTestId("run:tag-link").map((t) => t.textContent)).toEqual(["smoke", "dry"]);
    // A dry run's tag leads to the dry runs.
    expect(screen.getAllByTestId("run:tag-link")[0]).toHaveAttribute("href", "/runs?mode=dry-run&tag=smoke");

    // Emptied, the name and notes are cleared (null).
    await user.click(screen.getByTestId("run:labels-edit"));
    expect(screen.getByTestId("run:labels-tags")).toHaveValue("smoke, dry");
    await user.clear(screen.getByTestId("run:labels-name"));
    await user.clear(screen.getByTestId("run:labels-notes"));
    await user.click(screen.getByTestId("run:labels-save"));
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent(`Dry run ${RUN_ID}`));
    expect((await patchBodies(requests)).at(-1)).toEqual({ name: null, notes: null, tags: ["smoke", "dry"] });
  });

  it("shows the server's refusal at the fields, naming the refused tag, and keeps the form open", async () => {
    const { requests } = mockFetch({
      ...runPageRoutes(),
      [`GET ${DETAIL}`]: () => json(200, runDetail(LABELLED)),
      [`PATCH ${DETAIL}`]: () =>
        apiError(422, "ValidationError", [
          { loc: ["body", "tags", 1], msg: "String should match pattern '^[A-Za-z0-9][A-Za-z0-9._:-]*$'", type: "string_pattern_mismatch" },
          { loc: ["body", "name"], msg: "String should have at most 200 characters", type: "string_too_long" },
        ]),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await user.click(await screen.findByTestId("run:labels-edit"));
    expect(screen.getByTestId("run:labels-name")).toHaveValue("Baseline lr 5e-3");
    await user.clear(screen.getByTestId("run:labels-tags"));
    await user.type(screen.getByTestId("run:labels-tags"), "baseline a/b");
    await user.click(screen.getByTestId("run:labels-save"));

    const tags = screen.getByTestId("run:labels-tags");
    await waitFor(() => expect(tags).toHaveAttribute("aria-invalid", "true"));
    const tagErrors = within(tags.closest(".field") as HTMLElement).getAllByTestId("run:labels-error");
    expect(tagErrors.map((e) => e.textContent)).toEqual(["Tag “a/b”: String should match pattern '^[A-Za-z0-9][A-Za-z0-9._:-]*$'"]);
    expect(tags).toHaveAccessibleDescription(expect.stringContaining("Tag “a/b”"));
    const name = screen.getByTestId("run:labels-name");
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(within(name.closest(".field") as HTMLElement).getByTestId("run:labels-error")).toHaveTextContent(
      "String should have at most 200 characters",
    );
    expect(screen.getByTestId("sys:error")).toHaveTextContent("Labels not saved: 2 field errors, shown at the fields.");
    expect(screen.getByTestId("run:labels-form")).toBeInTheDocument();
    expect(await patchBodies(requests)).toEqual([{ name: "Baseline lr 5e-3", notes: LABELLED.notes, tags: ["baseline", "a/b"] }]);
  });
});
