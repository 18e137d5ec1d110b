import { QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { AppRoutes } from "../../app/AppRoutes";
import { createQueryClient } from "../../app/queryClient";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { runDetail, runId, runListPage, runPageRoutes, runsPageRoutes, runSummary, trainedRunSummary } from "../../test/runs";
import { range } from "../../test/traces";
import { COLUMN_STORAGE_KEY } from "./runColumns";

const LIST = "/api/tunix/runs";

function listRequests(requests: Request[]): URLSearchParams[] {
  return requests
    .filter((r) => r.method === "GET" && new URL(r.url).pathname === LIST)
    .map((r) => new URL(r.url).searchParams);
}

/** Answers the list route with each handler in turn, the last one from then on. */
function inTurn(...handlers: RouteHandler[]): RouteHandler {
  let call = 0;
  return (request, params) => handlers[Math.min(call++, handlers.length - 1)]!(request, params);
}

/** Fake timers that still move with real time, so Testing Library's waits keep working. */
function fakeClock() {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

async function advance(ms: number) {
  await act(() => vi.advanceTimersByTimeAsync(ms));
}

/** The app at `path`, and the search string of the URL it is at now. */
function renderWithUrl(path: string) {
  const seen = { search: "" };
  function UrlProbe() {
    seen.search = useLocation().search;
    return null;
  }
  const user = userEvent.setup();
  const view = render(
    <QueryClientProvider client={createQueryClient({ retry: false })}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
        <UrlProbe />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...view, user, search: () => seen.search };
}

function rowOf(n: number): HTMLElement {
  return screen.getAllByTestId("run:row").find((r) => r.getAttribute("data-run-id") === runId(n))!;
}

/** The run ids of the rows, top to bottom, as numbers. */
function rowOrder(): number[] {
  return screen.getAllByTestId("run:row").map((r) => Number(r.getAttribute("data-run-id")!.slice(0, 8)));
}

/** The list answers the runs that match the request's mode and tag, as the server would. */
function filteringList(runs: Record<string, unknown>[]): RouteHandler {
  return (request) => {
    const params = new URL(request.url).searchParams;
    const mode = params.get("mode");
    const tag = params.get("tag");
    const q = params.get("q")?.toLowerCase();
    return json(
      200,
      runListPage(
        runs.filter(
          (run) =>
            (mode === null || run.mode === mode) &&
            (tag === null || (run.tags as string[]).includes(tag)) &&
            (q === undefined || String(run.name ?? "").toLowerCase().includes(q)),
        ),
      ),
    );
  };
}

describe("run history: the table", () => {
  it("shows each run's name or short id with its tags, badge, dataset, model, figures, start and duration", async () => {
    mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: () =>
          json(
            200,
            runListPage([
              runSummary(3, { mode: "local", status: "pending", attempt: 0, started_at: "2025-03-01T12:00:00Z", completed_at: null, duration_seconds: null, learning_rate: 0.00002, max_steps: 500 }),
              runSummary(2, { mode: "local", status: "failed", dataset_key: "duels-v2", duration_seconds: 75, error: "exit code 1" }),
              trainedRunSummary(1, { name: "Baseline lr 5e-3", tags: ["baseline", "lr-sweep"], steps: 120 }),
            ]),
          ),
      }),
    );
    renderApp("/runs");

    const rows = await screen.findAllByTestId("run:row");
    expect(rows).toHaveLength(3);
    const [pending, failed, trained] = rows as [HTMLElement, HTMLElement, HTMLElement];
    expect(within(trained).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "", // the compare checkbox
      "Baseline lr 5e-300000001baselinelr-sweep",
      "completed",
      "duels-v1",
      "tunix-rt/tiny-gemma3",
      "0.005",
      "120 / 300",
      "0.4321",
      "0.5",
      "80%",
      expect.stringMatching(/\d/),
      "1 min 8 s",
    ]);
    const link = within(trained).getByRole("link", { name: `Baseline lr 5e-3 (run ${runId(1)})` });
    expect(link).toHaveAttribute("href", `/runs/${runId(1)}`);
    expect(within(trained).getAllByTestId("run:tag-chip").map((c) => c.textContent)).toEqual(["baseline", "lr-sweep"]);
    expect(within(trained).getByRole("link", { name: "duels-v1" })).toHaveAttribute("href", "/datasets/duels-v1");
    expect(trained.querySelector("time")).toHaveAttribute("dateTime", "2025-03-01T12:00:05Z");

    // No name: the short id, linking to the run.
    expect(within(failed).getByRole("link", { name: `Run ${runId(2)}` })).toHaveTextContent("00000002");
    expect(within(failed).getByTestId("run:row-status")).toHaveClass("status-failed");
    expect(within(failed).getByTestId("run:row-status").closest("td")).toHaveAttribute("title", "exit code 1");
    expect(failed).toHaveTextContent("1 min 15 s");
    // A queued run has no start (its started_at is when it was queued), no figures and no duration yet.
    expect(within(pending).getByTestId("run:row-status")).toHaveTextContent("pending");
    expect(within(pending).getAllByRole("cell").slice(5).map((c) => c.textContent)).toEqual([
      "0.00002",
      "— / 500",
      "—",
      "—",
      "—",
      "queued",
      "—",
    ]);
  });

  it("gives every status a badge of its own colour, with the status written out", async () => {
    const states = ["pending", "running", "completed", "failed", "timeout", "cancelled"] as const;
    mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: () => json(200, runListPage(states.map((status, i) => runSummary(i + 1, { status })))),
      }),
    );
    renderApp("/runs");

    const badges = await screen.findAllByTestId("run:row-status");
    expect(badges.map((b) => b.textContent)).toEqual([...states]);
    expect(new Set(badges.map((b) => b.className)).size).toBe(states.length);
    badges.forEach((badge, i) => expect(badge).toHaveAttribute("data-status", states[i]));
  });

  it("says when there are no training runs yet, and where the dry runs are", async () => {
    mockFetch(runsPageRoutes());
    renderApp("/runs");
    expect(await screen.findByTestId("run:list-empty")).toHaveTextContent(
      "No training runs yet — train one with the form above (dry runs are under Dry runs).",
    );
    expect(screen.getByTestId("run:next-page")).toBeDisabled();
  });

  it("shows why the list could not be loaded", async () => {
    mockFetch(runsPageRoutes({ [`GET ${LIST}`]: () => apiError(403, "Forbidden", "Token scope") }));
    renderApp("/runs");
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the runs: Forbidden (HTTP 403) — Token scope");
  });

  it("opens a run's page from its row", async () => {
    mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: () => json(200, runListPage([runSummary(1, { mode: "local" })])),
        "GET /api/tunix/runs/:id": () => json(200, runDetail({ run_id: runId(1) })),
        ...runPageRoutes(),
      }),
    );
    const { user } = renderApp("/runs");

    await user.click(await screen.findByRole("link", { name: `Run ${runId(1)}` }));
    expect(await screen.findByTestId("run:detail-id")).toHaveTextContent(runId(1));
  });
});

describe("run history: columns and sorting", () => {
  const RUNS = [
    trainedRunSummary(4, { final_loss: 0.9, exact_match: 0.5 }),
    trainedRunSummary(3, { final_loss: null, exact_match: null, status: "failed" }),
    trainedRunSummary(2, { final_loss: 0.2, exact_match: 0.9 }),
    trainedRunSummary(1, { final_loss: 0.5, exact_match: 0.7 }),
  ];

  it("sorts the loaded runs by a figure: best first, then reversed, then newest first; runs without it last", async () => {
    const { requests } = mockFetch(runsPageRoutes({ [`GET ${LIST}`]: () => json(200, runListPage(RUNS)) }));
    const { user } = renderApp("/runs");
    await screen.findAllByTestId("run:row");
    expect(rowOrder()).toEqual([4, 3, 2, 1]);
    expect(screen.getByTestId("run:sort-note")).toHaveTextContent("Newest first. A figure's header sorts the runs loaded on this page.");

    const finalLoss = screen.getByTestId("run:sort-finalLoss");
    await user.click(finalLoss);
    expect(rowOrder()).toEqual([2, 1, 4, 3]);
    expect(finalLoss.closest("th")).toHaveAttribute("aria-sort", "ascending");
    expect(screen.getByTestId("run:sort-note")).toHaveTextContent(
      "Sorted by final loss (lowest first) among the 4 runs loaded; other pages are not included.",
    );

    await user.click(finalLoss);
    expect(rowOrder()).toEqual([4, 1, 2, 3]);
    expect(finalLoss.closest("th")).toHaveAttribute("aria-sort", "descending");

    // Exact match: the highest first.
    await user.click(screen.getByTestId("run:sort-exactMatch"));
    expect(rowOrder()).toEqual([2, 1, 4, 3]);
    expect(finalLoss.closest("th")).toHaveAttribute("aria-sort", "none");

    await user.click(screen.getByTestId("run:sort-reset"));
    expect(rowOrder()).toEqual([4, 3, 2, 1]);
    // Sorting is the page's own: the server was asked once.
    expect(listRequests(requests)).toHaveLength(1);
  });

  it("shows the columns chosen, and remembers the choice", async () => {
    mockFetch(runsPageRoutes({ [`GET ${LIST}`]: () => json(200, runListPage(RUNS)) }));
    const first = renderApp("/runs");
    await screen.findAllByTestId("run:row");
    const headers = () => screen.getAllByRole("columnheader").map((th) => th.textContent?.replace(/[↕▲▼]/g, ""));
    expect(headers()).toEqual(["Compare", "Run", "Status", "Dataset", "Model", "Learning rate", "Steps", "Final loss", "Eval loss", "Exact match", "Started", "Duration"]);

    await first.user.click(screen.getByText("Columns"));
    await first.user.click(screen.getByTestId("run:column-model"));
    await first.user.click(screen.getByTestId("run:column-evalLoss"));
    await first.user.click(screen.getByTestId("run:column-attempt"));
    const chosen = ["Compare", "Run", "Status", "Dataset", "Learning rate", "Steps", "Final loss", "Exact match", "Attempt", "Started", "Duration"];
    expect(headers()).toEqual(chosen);
    expect(within(rowOf(4)).getAllByRole("cell")).toHaveLength(chosen.length);
    expect(JSON.parse(window.localStorage.getItem(COLUMN_STORAGE_KEY)!)).not.toContain("evalLoss");

    first.unmount();
    renderApp("/runs");
    await screen.findAllByTestId("run:row");
    expect(headers()).toEqual(chosen);
  });
});

describe("run history: filters and pages", () => {
  it("lists training runs by default; dry runs only under their switch, without compare boxes", async () => {
    const runs = [trainedRunSummary(3), runSummary(2), trainedRunSummary(1)];
    const { requests } = mockFetch(runsPageRoutes({ [`GET ${LIST}`]: filteringList(runs) }));
    const { user, search } = renderWithUrl("/runs");

    await waitFor(() => expect(rowOrder()).toEqual([3, 1]));
    expect(listRequests(requests)[0]!.toString()).toBe("limit=20&offset=0&mode=local");
    expect(screen.getByTestId("run:view-training")).toHaveAttribute("aria-pressed", "true");
    expect(search()).toBe("");

    await user.click(screen.getByTestId("run:view-dry-runs"));
    await waitFor(() => expect(rowOrder()).toEqual([2]));
    expect(listRequests(requests).at(-1)!.toString()).toBe("limit=20&offset=0&mode=dry-run");
    expect(search()).toBe("?mode=dry-run");
    expect(screen.queryByTestId("run:select")).not.toBeInTheDocument();
    expect(screen.queryByTestId("run:compare-bar")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("run:view-all"));
    await waitFor(() => expect(rowOrder()).toEqual([3, 2, 1]));
    expect(listRequests(requests).at(-1)!.toString()).toBe("limit=20&offset=0");
    expect(search()).toBe("?mode=all");
    // Both kinds: the dry one says so, and cannot be picked to compare.
    expect(rowOf(2)).toHaveTextContent("dry run");
    expect(within(rowOf(2)).queryByTestId("run:select")).not.toBeInTheDocument();
    expect(within(rowOf(3)).getByTestId("run:select")).toBeEnabled();
    expect(rowOf(3)).not.toHaveTextContent("dry run");

    await user.click(screen.getByTestId("run:view-training"));
    await waitFor(() => expect(rowOrder()).toEqual([3, 1]));
    expect(search()).toBe("");
  });

  it("sends each filter as its query parameter, puts it in the URL, and goes back to the first page", async () => {
    const { requests } = mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: (request) => {
          const offset = Number(new URL(request.url).searchParams.get("offset"));
          return json(200, offset === 0 ? runListPage(range(1, 20).map((n) => runSummary(n)), 0, 20) : runListPage([runSummary(21)], 20));
        },
      }),
    );
    const { user, search } = renderWithUrl("/runs");

    await screen.findAllByTestId("run:row");
    await user.click(screen.getByTestId("run:next-page"));
    await waitFor(() => expect(screen.getByTestId("run:page-range")).toHaveTextContent("21–21"));
    expect(search()).toBe("?offset=20");

    await user.selectOptions(screen.getByTestId("run:filter-status"), "failed");
    await user.selectOptions(screen.getByTestId("run:filter-dataset"), "duels-v2");
    await user.type(screen.getByTestId("run:filter-tag"), "lr-sweep");
    await waitFor(() => expect(listRequests(requests).at(-1)!.get("tag")).toBe("lr-sweep"));
    await user.type(screen.getByTestId("run:filter-q"), "Base line");
    await waitFor(() => expect(listRequests(requests).at(-1)!.get("q")).toBe("Base line"));

    expect(listRequests(requests).map((p) => p.toString())).toEqual([
      "limit=20&offset=0&mode=local",
      "limit=20&offset=20&mode=local",
      "limit=20&offset=0&status=failed&mode=local",
      "limit=20&offset=0&status=failed&mode=local&dataset_key=duels-v2",
      // The text filters ask once typing pauses, not at each key.
      "limit=20&offset=0&status=failed&mode=local&dataset_key=duels-v2&tag=lr-sweep",
      "limit=20&offset=0&status=failed&mode=local&dataset_key=duels-v2&tag=lr-sweep&q=Base+line",
    ]);
    expect(search()).toBe("?status=failed&dataset_key=duels-v2&tag=lr-sweep&q=Base+line");
    expect(screen.getByTestId("run:filter-q")).toHaveValue("Base line");
  });

  it("filters by a tag chip's tag, and lifts the filter on a second click", async () => {
    const runs = [trainedRunSummary(2, { tags: ["baseline"] }), trainedRunSummary(1, { tags: ["lr-sweep", "baseline"] })];
    const { requests } = mockFetch(runsPageRoutes({ [`GET ${LIST}`]: filteringList([trainedRunSummary(3), ...runs]) }));
    const { user, search } = renderWithUrl("/runs");
    await waitFor(() => expect(rowOrder()).toEqual([3, 2, 1]));

    await user.click(within(rowOf(1)).getByRole("button", { name: "lr-sweep" }));
    await waitFor(() => expect(rowOrder()).toEqual([1]));
    expect(listRequests(requests).at(-1)!.get("tag")).toBe("lr-sweep");
    expect(search()).toBe("?tag=lr-sweep");
    expect(screen.getByTestId("run:filter-tag")).toHaveValue("lr-sweep");
    const chip = within(rowOf(1)).getByRole("button", { name: "lr-sweep" });
    expect(chip).toHaveAttribute("aria-pressed", "true");

    await user.click(chip);
    await waitFor(() => expect(rowOrder()).toEqual([3, 2, 1]));
    expect(search()).toBe("");
    expect(screen.getByTestId("run:filter-tag")).toHaveValue("");
  });

  it("reads the filters from the URL, keeps an unlisted dataset choosable, and clears them (keeping the view)", async () => {
    const { requests } = mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: (request) =>
          json(200, runListPage(new URL(request.url).searchParams.has("status") ? [] : [runSummary(1)])),
      }),
    );
    const { user, search } = renderWithUrl("/runs?status=timeout&dataset_key=gone-v9&mode=dry-run&q=base&tag=x");

    expect(await screen.findByTestId("run:list-empty")).toHaveTextContent("No run matches these filters.");
    expect(screen.getByTestId("run:filter-status")).toHaveValue("timeout");
    expect(screen.getByTestId("run:filter-dataset")).toHaveValue("gone-v9");
    expect(screen.getByTestId("run:filter-q")).toHaveValue("base");
    expect(screen.getByTestId("run:filter-tag")).toHaveValue("x");
    expect(screen.getByTestId("run:view-dry-runs")).toHaveAttribute("aria-pressed", "true");
    expect(listRequests(requests)[0]!.toString()).toBe("limit=20&offset=0&status=timeout&mode=dry-run&dataset_key=gone-v9&tag=x&q=base");

    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(await screen.findAllByTestId("run:row")).toHaveLength(1);
    expect(screen.getByTestId("run:filter-status")).toHaveValue("");
    expect(screen.getByTestId("run:filter-q")).toHaveValue("");
    expect(listRequests(requests).at(-1)!.toString()).toBe("limit=20&offset=0&mode=dry-run");
    expect(search()).toBe("?mode=dry-run");
  });

  it("pages with offset and next_offset", async () => {
    const { requests } = mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: (request) => {
          const offset = Number(new URL(request.url).searchParams.get("offset"));
          return offset === 0
            ? json(200, runListPage(range(1, 20).map((n) => runSummary(n)), 0, 20))
            : json(200, runListPage(range(21, 3).map((n) => runSummary(n)), 20, null));
        },
      }),
    );
    const { user } = renderApp("/runs");

    expect(await screen.findAllByTestId("run:row")).toHaveLength(20);
    expect(screen.getByTestId("run:page-range")).toHaveTextContent("1–20");
    expect(screen.getByTestId("run:prev-page")).toBeDisabled();
    await user.click(screen.getByTestId("run:next-page"));

    await waitFor(() => expect(screen.getByTestId("run:page-range")).toHaveTextContent("21–23"));
    expect(screen.getAllByTestId("run:row")).toHaveLength(3);
    expect(screen.getByTestId("run:next-page")).toBeDisabled();
    expect(listRequests(requests).at(-1)!.get("offset")).toBe("20");

    await user.click(screen.getByTestId("run:prev-page"));
    await waitFor(() => expect(screen.getByTestId("run:page-range")).toHaveTextContent("1–20"));
  });

  it("keeps the run form's dataset when filtering, and the filters when the form's dataset changes", async () => {
    const { requests } = mockFetch(runsPageRoutes());
    const { user } = renderApp("/runs?dataset=duels-v2");

    await screen.findByTestId("run:list-empty");
    await user.selectOptions(screen.getByTestId("run:filter-status"), "running");
    await waitFor(() => expect(listRequests(requests).at(-1)!.get("status")).toBe("running"));
    expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v2");

    await user.selectOptions(screen.getByTestId("run:dataset"), "duels-v1");
    expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1");
    expect(screen.getByTestId("run:filter-status")).toHaveValue("running");
  });
});

describe("run history: polling", () => {
  it("polls every 4 s while a listed run is pending or running, and stops once none is", async () => {
    fakeClock();
    const { requests } = mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: inTurn(
          () => json(200, runListPage([runSummary(1, { status: "pending", attempt: 0 })])),
          () => json(200, runListPage([runSummary(1, { status: "running" })])),
          () => json(200, runListPage([runSummary(1)])),
        ),
      }),
    );
    renderApp("/runs");

    expect(await screen.findByTestId("run:row-status")).toHaveTextContent("pending");
    expect(screen.getByTestId("run:list-live")).toHaveTextContent("Refreshing every 4 s");
    expect(listRequests(requests)).toHaveLength(1);

    await advance(4_000);
    await waitFor(() => expect(screen.getByTestId("run:row-status")).toHaveTextContent("running"));
    expect(listRequests(requests)).toHaveLength(2);

    await advance(4_000);
    await waitFor(() => expect(screen.getByTestId("run:row-status")).toHaveTextContent("completed"));
    expect(listRequests(requests)).toHaveLength(3);
    expect(screen.queryByTestId("run:list-live")).not.toBeInTheDocument();

    await advance(20_000);
    expect(listRequests(requests)).toHaveLength(3);
  });

  it("does not poll when every listed run has ended", async () => {
    fakeClock();
    const { requests } = mockFetch(
      runsPageRoutes({ [`GET ${LIST}`]: () => json(200, runListPage([runSummary(1), runSummary(2, { status: "failed" })])) }),
    );
    renderApp("/runs");

    await screen.findAllByTestId("run:row");
    await advance(30_000);
    expect(listRequests(requests)).toHaveLength(1);
    expect(screen.queryByTestId("run:list-live")).not.toBeInTheDocument();
  });

  it("backs off while polls fail, keeps the last rows, and returns to 4 s once the server answers", async () => {
    fakeClock();
    let down = false;
    const { requests } = mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: () =>
          down ? apiError(503, "Unavailable", "restarting") : json(200, runListPage([runSummary(1, { status: "running" })])),
      }),
    );
    renderApp("/runs");
    await screen.findByTestId("run:row");
    down = true;

    await advance(4_100); // poll 2 fails: next in 4 s (the time since the last success)
    expect(listRequests(requests)).toHaveLength(2);
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not refresh the runs (retrying less often)");
    expect(screen.getByTestId("run:row")).toBeInTheDocument();

    await advance(4_000); // poll 3 (t≈8 s) fails: next in 8 s
    expect(listRequests(requests)).toHaveLength(3);
    await advance(7_000);
    expect(listRequests(requests)).toHaveLength(3);
    await advance(1_100); // poll 4 (t≈16 s) fails: next in 16 s
    expect(listRequests(requests)).toHaveLength(4);
    await advance(15_000);
    expect(listRequests(requests)).toHaveLength(4);

    down = false;
    await advance(1_100); // poll 5 (t≈32 s) succeeds: every 4 s again
    expect(listRequests(requests)).toHaveLength(5);
    await waitFor(() => expect(screen.queryByTestId("sys:error")).not.toBeInTheDocument());
    await advance(4_000);
    expect(listRequests(requests)).toHaveLength(6);
  });
});

describe("run history: progress of running runs", () => {
  const training = (progress: Record<string, unknown> | null, overrides: Record<string, unknown> = {}) =>
    runSummary(1, { mode: "local", status: "running", completed_at: null, duration_seconds: null, max_steps: 60, progress, ...overrides });

  it("shows step / total, a bar, the pace and the time left (tokens/s on hover), moving with each poll of the list alone", async () => {
    fakeClock();
    const { requests, pathsCalled } = mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: inTurn(
          () => json(200, runListPage([training({ step: 20, points: 2, elapsed_seconds: 10, steps_per_second: null, tokens_per_second: null })])),
          () => json(200, runListPage([training({ step: 40, points: 4, elapsed_seconds: 14, steps_per_second: 5, tokens_per_second: 2400.4 })])),
          () => json(200, runListPage([trainedRunSummary(1, { max_steps: 60, steps: 60 })])),
        ),
      }),
    );
    renderApp("/runs");

    const cell = await screen.findByTestId("run:row-progress");
    expect(screen.getByTestId("run:row-progress-step")).toHaveTextContent("20 / 60 · 2 steps/s");
    const bar = within(cell).getByRole("progressbar", { name: `Training progress of run ${runId(1).slice(0, 8)}` });
    expect(bar).toHaveAttribute("aria-valuenow", "20");
    expect(bar).toHaveAttribute("aria-valuemax", "60");
    expect(screen.getByTestId("run:row-progress-eta")).toHaveTextContent("about 20 s left");
    expect(cell).toHaveAttribute("title", "2 steps/s · 10 s elapsed");
    expect(within(rowOf(1)).getByText("20 / 60", { selector: "td" })).toHaveAttribute("data-column", "steps");

    await advance(4_000);
    // The trainer's pace over its latest steps now, not the steps over the time so far.
    await waitFor(() => expect(screen.getByTestId("run:row-progress-step")).toHaveTextContent("40 / 60 · 5 steps/s"));
    expect(within(cell).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "40");
    expect(screen.getByTestId("run:row-progress-eta")).toHaveTextContent("about 4 s left");
    expect(cell).toHaveAttribute("title", "5 steps/s · 2,400 tokens/s · 14 s elapsed");

    await advance(4_000);
    await waitFor(() => expect(screen.getByTestId("run:row-status")).toHaveTextContent("completed"));
    expect(screen.queryByTestId("run:row-progress")).not.toBeInTheDocument();
    // One list request a poll: no run's metrics nor detail asked for.
    expect(listRequests(requests)).toHaveLength(3);
    expect(pathsCalled().filter((path) => path.startsWith(`GET ${LIST}/`))).toEqual([]);
  });

  it("waits for the first step, shows the step alone when the total is unknown, and nothing for other runs", async () => {
    mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: () =>
          json(
            200,
            runListPage([
              training({ step: null, points: 0, elapsed_seconds: 3, steps_per_second: null, tokens_per_second: null }),
              training({ step: 12, points: 1, elapsed_seconds: 4, steps_per_second: null, tokens_per_second: null }, { run_id: runId(2), max_steps: null }),
              runSummary(3, { mode: "local", status: "pending", attempt: 0, progress: null }),
              trainedRunSummary(4),
            ]),
          ),
      }),
    );
    renderApp("/runs");

    await screen.findAllByTestId("run:row");
    expect(within(rowOf(1)).getByTestId("run:row-progress-step")).toHaveTextContent(/^first step…$/);
    expect(within(rowOf(1)).queryByRole("progressbar")).toBeNull();
    expect(within(rowOf(1)).getByTestId("run:row-progress")).toHaveAttribute("title", "3 s elapsed");
    // One point, 4 s in: a pace, but too early for an ETA; no total, so no bar either.
    expect(within(rowOf(2)).getByTestId("run:row-progress-step")).toHaveTextContent(/^step 12 · 3 steps\/s$/);
    expect(within(rowOf(2)).queryByRole("progressbar")).toBeNull();
    expect(within(rowOf(2)).queryByTestId("run:row-progress-eta")).toBeNull();
    expect(within(rowOf(3)).queryByTestId("run:row-progress")).toBeNull();
    expect(within(rowOf(4)).queryByTestId("run:row-progress")).toBeNull();
  });
});

describe("run history: compare", () => {
  function checkbox(n: number): HTMLElement {
    return within(rowOf(n)).getByTestId("run:select");
  }

  it("picks at most four runs, across pages, and opens the compare view with them", async () => {
    mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: (request) => {
          const offset = Number(new URL(request.url).searchParams.get("offset"));
          return offset === 0
            ? json(200, runListPage(range(1, 20).map((n) => trainedRunSummary(n)), 0, 20))
            : json(200, runListPage(range(21, 3).map((n) => trainedRunSummary(n)), 20, null));
        },
        "GET /api/tunix/runs/:id": (_request, params) => json(200, runDetail({ run_id: params.id })),
        ...runPageRoutes(),
      }),
    );
    const { user } = renderApp("/runs");
    await screen.findAllByTestId("run:row");

    const compare = screen.getByTestId("run:compare-selected");
    expect(compare).toBeDisabled();
    expect(screen.getByTestId("run:selected-count")).toHaveTextContent("0/4 selected — tick 2 to 4 training runs to compare them");
    expect(checkbox(1)).toHaveAccessibleName("Compare run 00000001");

    await user.click(checkbox(1));
    expect(compare).toBeDisabled();
    await user.click(checkbox(2));
    expect(compare).toBeEnabled();
    await user.click(checkbox(3));
    expect(checkbox(1).closest("tr")).toHaveClass("selected");

    // The selection outlives a change of page.
    await user.click(screen.getByTestId("run:next-page"));
    await waitFor(() => expect(screen.getByTestId("run:page-range")).toHaveTextContent("21–23"));
    await user.click(checkbox(22));
    expect(screen.getByTestId("run:selected-count")).toHaveTextContent("4/4 selected");
    // A fifth cannot be ticked.
    expect(checkbox(21)).toBeDisabled();
    expect(checkbox(21)).toHaveAttribute("title", "At most 4 runs can be compared");
    expect(checkbox(22)).toBeEnabled();
    await user.click(checkbox(21));
    expect(screen.getByTestId("run:selected-count")).toHaveTextContent("4/4 selected");

    // Unticking one frees a place.
    await user.click(checkbox(22));
    expect(checkbox(21)).toBeEnabled();
    await user.click(checkbox(21));

    await user.click(compare);
    expect(await screen.findByTestId("run:compare")).toBeInTheDocument();
    expect(screen.queryByTestId("run:history")).not.toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Compare runs");
    await waitFor(() => expect(screen.getAllByTestId("run:compare-status")).toHaveLength(4));
    expect(screen.getByTestId("run:compare-results")).toHaveTextContent("00000001");
    expect(screen.getByTestId("run:compare-results")).toHaveTextContent("00000021");
  });

  it("clears the selection", async () => {
    mockFetch(runsPageRoutes({ [`GET ${LIST}`]: () => json(200, runListPage([trainedRunSummary(1), trainedRunSummary(2)])) }));
    const { user } = renderApp("/runs");
    await screen.findAllByTestId("run:row");
    await user.click(checkbox(1));
    await user.click(screen.getByTestId("run:clear-selection"));
    expect(checkbox(1)).not.toBeChecked();
    expect(screen.getByTestId("run:selected-count")).toHaveTextContent("0/4 selected");
    expect(screen.queryByTestId("run:clear-selection")).not.toBeInTheDocument();
  });
});
