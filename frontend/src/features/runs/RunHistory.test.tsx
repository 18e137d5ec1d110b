import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { runDetail, runId, runListPage, runPageRoutes, runsPageRoutes, runSummary } from "../../test/runs";
import { range } from "../../test/traces";

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

describe("run history: the table", () => {
  it("shows each run's short id (linking to its page), dataset, model, mode, badge, attempt, start and duration", async () => {
    mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: () =>
          json(
            200,
            runListPage([
              runSummary(3, { status: "pending", attempt: 0, started_at: "2025-03-01T12:00:00Z", completed_at: null, duration_seconds: null }),
              runSummary(2, { status: "failed", mode: "local", dataset_key: "duels-v2", duration_seconds: 75, error: "exit code 1" }),
              runSummary(1),
            ]),
          ),
      }),
    );
    renderApp("/runs");

    const rows = await screen.findAllByTestId("run:row");
    expect(rows).toHaveLength(3);
    const [pending, failed, completed] = rows as [HTMLElement, HTMLElement, HTMLElement];
    expect(within(completed).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "", // the compare checkbox
      "00000001",
      "duels-v1",
      "tunix-rt/tiny-gemma3",
      "dry-run",
      "completed",
      "1",
      expect.stringMatching(/\d/),
      "1.5 s",
    ]);
    const link = within(completed).getByRole("link", { name: `Run ${runId(1)}` });
    expect(link).toHaveAttribute("href", `/runs/${runId(1)}`);
    expect(within(completed).getByRole("link", { name: "duels-v1" })).toHaveAttribute("href", "/datasets/duels-v1");
    expect(completed.querySelector("time")).toHaveAttribute("dateTime", "2025-03-01T12:00:05Z");

    expect(within(failed).getByTestId("run:row-status")).toHaveClass("status-failed");
    expect(within(failed).getByTestId("run:row-status").closest("td")).toHaveAttribute("title", "exit code 1");
    expect(failed).toHaveTextContent("1 min 15 s");
    expect(failed).toHaveTextContent("local");
    // A queued run has no start (its started_at is when it was queued), no attempt and no duration yet.
    expect(within(pending).getByTestId("run:row-status")).toHaveTextContent("pending");
    expect(within(pending).getAllByRole("cell").slice(6).map((c) => c.textContent)).toEqual(["—", "queued", "—"]);
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

  it("says when there are no runs yet", async () => {
    mockFetch(runsPageRoutes());
    renderApp("/runs");
    expect(await screen.findByTestId("run:list-empty")).toHaveTextContent("No runs yet — start one with the form above.");
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
        [`GET ${LIST}`]: () => json(200, runListPage([runSummary(1)])),
        "GET /api/tunix/runs/:id": () => json(200, runDetail({ run_id: runId(1) })),
        ...runPageRoutes(),
      }),
    );
    const { user } = renderApp("/runs");

    await user.click(await screen.findByRole("link", { name: `Run ${runId(1)}` }));
    expect(await screen.findByTestId("run:detail-id")).toHaveTextContent(runId(1));
  });
});

describe("run history: filters and pages", () => {
  it("sends each filter as its query parameter and goes back to the first page", async () => {
    const { requests } = mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: (request) => {
          const offset = Number(new URL(request.url).searchParams.get("offset"));
          return json(200, offset === 0 ? runListPage(range(1, 20).map((n) => runSummary(n)), 0, 20) : runListPage([runSummary(21)], 20));
        },
      }),
    );
    const { user } = renderApp("/runs");

    await screen.findAllByTestId("run:row");
    await user.click(screen.getByTestId("run:next-page"));
    await waitFor(() => expect(screen.getByTestId("run:page-range")).toHaveTextContent("21–21"));

    await user.selectOptions(screen.getByTestId("run:filter-status"), "failed");
    await user.selectOptions(screen.getByTestId("run:filter-mode"), "local");
    await user.selectOptions(screen.getByTestId("run:filter-dataset"), "duels-v2");

    await waitFor(() => expect(listRequests(requests)).toHaveLength(5));
    expect(listRequests(requests).map((p) => p.toString())).toEqual([
      "limit=20&offset=0",
      "limit=20&offset=20",
      "limit=20&offset=0&status=failed",
      "limit=20&offset=0&status=failed&mode=local",
      "limit=20&offset=0&status=failed&mode=local&dataset_key=duels-v2",
    ]);
  });

  it("reads the filters from the URL, keeps an unlisted dataset choosable, and clears them", async () => {
    const { requests } = mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: (request) =>
          json(200, runListPage(new URL(request.url).searchParams.has("status") ? [] : [runSummary(1)])),
      }),
    );
    const { user } = renderApp("/runs?status=timeout&dataset_key=gone-v9");

    expect(await screen.findByTestId("run:list-empty")).toHaveTextContent("No run matches these filters.");
    expect(screen.getByTestId("run:filter-status")).toHaveValue("timeout");
    expect(screen.getByTestId("run:filter-dataset")).toHaveValue("gone-v9");
    expect(screen.getByTestId("run:filter-mode")).toHaveValue("");
    expect(listRequests(requests)[0]!.toString()).toBe("limit=20&offset=0&status=timeout&dataset_key=gone-v9");

    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(await screen.findAllByTestId("run:row")).toHaveLength(1);
    expect(screen.getByTestId("run:filter-status")).toHaveValue("");
    expect(listRequests(requests).at(-1)!.toString()).toBe("limit=20&offset=0");
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

describe("run history: compare", () => {
  function checkbox(n: number): HTMLElement {
    const row = screen.getAllByTestId("run:row").find((r) => r.getAttribute("data-run-id") === runId(n))!;
    return within(row).getByTestId("run:select");
  }

  it("picks at most four runs, across pages, and opens the compare view with them", async () => {
    mockFetch(
      runsPageRoutes({
        [`GET ${LIST}`]: (request) => {
          const offset = Number(new URL(request.url).searchParams.get("offset"));
          return offset === 0
            ? json(200, runListPage(range(1, 20).map((n) => runSummary(n)), 0, 20))
            : json(200, runListPage(range(21, 3).map((n) => runSummary(n)), 20, null));
        },
        "GET /api/tunix/runs/:id": (_request, params) => json(200, runDetail({ run_id: params.id })),
        ...runPageRoutes(),
      }),
    );
    const { user } = renderApp("/runs");
    await screen.findAllByTestId("run:row");

    const compare = screen.getByTestId("run:compare-selected");
    expect(compare).toBeDisabled();
    expect(screen.getByTestId("run:selected-count")).toHaveTextContent("0/4 selected — tick 2 to 4 runs to compare them");
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
    mockFetch(runsPageRoutes({ [`GET ${LIST}`]: () => json(200, runListPage([runSummary(1), runSummary(2)])) }));
    const { user } = renderApp("/runs");
    await screen.findAllByTestId("run:row");
    await user.click(checkbox(1));
    await user.click(screen.getByTestId("run:clear-selection"));
    expect(checkbox(1)).not.toBeChecked();
    expect(screen.getByTestId("run:selected-count")).toHaveTextContent("0/4 selected");
    expect(screen.queryByTestId("run:clear-selection")).not.toBeInTheDocument();
  });
});
