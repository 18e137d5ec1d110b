import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { JUDGES } from "../../test/evaluations";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { baseline, baselinePage, checkPage, checkSummary, failReport, inconclusiveReport } from "../../test/regression";
import { renderApp } from "../../test/render";

const CHECKS = "/api/regression/checks";

const NEWEST = checkSummary(3, {
  verdict: "pass",
  current_value: 0.7,
  delta: 0.05,
  delta_percent: 7.692,
  p_value: 0.5,
  created_at: "2025-03-03T10:00:00Z",
});
const OLDER = checkSummary(2, { baseline_name: "gemma-v0", baseline_version: 1, created_at: "2025-03-02T10:00:00Z" });
const OLDEST = checkSummary(1, {
  verdict: "inconclusive",
  current_value: null,
  delta: null,
  delta_percent: null,
  p_value: null,
  created_at: "2025-03-01T10:00:00Z",
});

function checksRequests(requests: Request[]): URLSearchParams[] {
  return requests.filter((r) => r.method === "GET" && new URL(r.url).pathname === CHECKS).map((r) => new URL(r.url).searchParams);
}

function pageRoutes(checks: RouteHandler, routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    "GET /api/regression/baselines": () => json(200, baselinePage([baseline(), baseline({ name: "gemma-v0" })])),
    "GET /api/judges": () => json(200, JUDGES),
    [`GET ${CHECKS}`]: checks,
    ...routes,
  };
}

describe("regression page: check history", () => {
  it("lists the stored checks newest first, each with its values, delta, verdict and p-value", async () => {
    mockFetch(pageRoutes(() => json(200, checkPage([NEWEST, OLDER, OLDEST]))));
    renderApp("/regression");

    const rows = await screen.findAllByTestId("regression:check-row");
    expect(rows.map((row) => row.dataset.verdict)).toEqual(["pass", "fail", "inconclusive"]);
    const cells = within(rows[0]!).getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(1)).toEqual(["gemma-v1 v2", "00000000", "Primary score", "0.65 → 0.7", "+0.05 (+7.7%)", "pass", "0.5", "Open"]);
    expect(within(rows[1]!).getAllByRole("cell")[1]).toHaveTextContent("gemma-v0 v1");
    expect(within(rows[1]!).getAllByRole("cell")[5]).toHaveTextContent("-0.175 (-26.9%)");
    const oldest = within(rows[2]!).getAllByRole("cell").map((c) => c.textContent);
    expect([oldest[4], oldest[5], oldest[7]]).toEqual(["0.65 → —", "—", "—"]);
  });

  it("filters by baseline through the URL, from the first page", async () => {
    const { requests } = mockFetch(
      pageRoutes((request) => {
        const params = new URL(request.url).searchParams;
        if (params.get("baseline") === "gemma-v0") return json(200, checkPage([OLDER]));
        if (params.get("offset") === "20") return json(200, checkPage([OLDEST], 20, null));
        return json(200, checkPage([NEWEST], 0, 20));
      }),
    );
    const { user } = renderApp("/regression");

    await screen.findByTestId("regression:check-row");
    await user.click(screen.getByTestId("regression:checks-next"));
    await waitFor(() => expect(screen.getByTestId("regression:check-row")).toHaveAttribute("data-verdict", "inconclusive"));

    await user.selectOptions(screen.getByTestId("regression:checks-filter"), "gemma-v0");
    await waitFor(() => expect(screen.getAllByTestId("regression:check-row").map((r) => r.dataset.checkId)).toEqual([OLDER.id]));
    expect(screen.queryByTestId("regression:checks-next")).not.toBeInTheDocument();

    const asked = checksRequests(requests).map((p) => [p.get("baseline"), p.get("offset"), p.get("limit")]);
    expect(asked).toEqual([
      [null, "0", "20"],
      [null, "20", "20"],
      ["gemma-v0", "0", "20"],
    ]);
  });

  it("keeps a filter by a deleted baseline, and says when it has no checks", async () => {
    mockFetch(pageRoutes(() => json(200, checkPage([]))));
    renderApp("/regression?baseline=retired");

    expect(await screen.findByTestId("regression:checks-empty")).toHaveTextContent("No run has been checked against retired yet.");
    await waitFor(() => expect(screen.getByTestId("regression:checks-filter")).toHaveValue("retired"));
    expect(within(screen.getByTestId("regression:checks-filter")).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "All baselines",
      "retired",
      "gemma-v1",
      "gemma-v0",
    ]);
  });

  it("opens a stored check's full report", async () => {
    const { requests } = mockFetch(
      pageRoutes(() => json(200, checkPage([NEWEST, OLDER, OLDEST])), {
        [`GET ${CHECKS}/${OLDER.id}`]: () => json(200, failReport({ id: OLDER.id, baseline_name: "gemma-v0", baseline_version: 1 })),
        [`GET ${CHECKS}/${OLDEST.id}`]: () => json(200, inconclusiveReport({ id: OLDEST.id })),
      }),
    );
    const { user } = renderApp("/regression");

    const rows = await screen.findAllByTestId("regression:check-row");
    expect(screen.queryByTestId("regression:report")).not.toBeInTheDocument();
    await user.click(within(rows[1]!).getByTestId("regression:check-open"));
    const report = await screen.findByTestId("regression:report");
    expect(report).toHaveAttribute("data-check-id", OLDER.id);
    expect(within(report).getByRole("heading", { level: 2 })).toHaveTextContent("against gemma-v0 v1");
    expect(screen.getByTestId("regression:verdict")).toHaveTextContent("fail");
    expect(screen.getAllByTestId("regression:flipped-item")).toHaveLength(9);
    expect(within(rows[1]!).getByTestId("regression:check-open")).toHaveTextContent("Shown");

    await user.click(within(rows[2]!).getByTestId("regression:check-open"));
    await waitFor(() => expect(screen.getByTestId("regression:verdict")).toHaveTextContent("inconclusive"));
    expect(requests.filter((r) => new URL(r.url).pathname.startsWith(`${CHECKS}/`)).map((r) => new URL(r.url).pathname)).toEqual([
      `${CHECKS}/${OLDER.id}`,
      `${CHECKS}/${OLDEST.id}`,
    ]);
  });

  it("says when a linked check does not exist", async () => {
    mockFetch(
      pageRoutes(() => json(200, checkPage([])), {
        [`GET ${CHECKS}/nope`]: () => apiError(422, "ValidationError", [{ loc: ["path", "check_id"], msg: "Input should be a valid UUID", type: "uuid_parsing" }]),
      }),
    );
    const { user } = renderApp("/regression?check=nope");

    expect(await screen.findByTestId("regression:report-error")).toHaveTextContent("No check has the id nope.");
    await user.click(screen.getByRole("button", { name: "Close" }));
    expect(screen.queryByTestId("regression:report-error")).not.toBeInTheDocument();
  });

  it("shows why the checks could not be loaded", async () => {
    mockFetch(pageRoutes(() => apiError(403, "Forbidden", "Token scope")));
    renderApp("/regression");
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the checks: Forbidden (HTTP 403) — Token scope");
  });
});
