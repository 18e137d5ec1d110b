import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { EVALUATION_ID, evaluationDetail, itemPage, JUDGES } from "../../test/evaluations";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { baseline, baselinePage, baselineSetting, BASELINE_RUN_ID, checkPage } from "../../test/regression";
import { renderApp } from "../../test/render";
import { RUN_ID, runDetail, runPageRoutes } from "../../test/runs";

const BASELINES = "/api/regression/baselines";

/** Everything the page reads: the baselines as given, the judges, no checks yet. */
function pageRoutes(baselines: RouteHandler, routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    [`GET ${BASELINES}`]: baselines,
    "GET /api/judges": () => json(200, JUDGES),
    "GET /api/regression/checks": () => json(200, checkPage([])),
    ...routes,
  };
}

function posts(requests: Request[], path: string): Request[] {
  return requests.filter((r) => r.method === "POST" && new URL(r.url).pathname === path);
}

const TOKENS = baseline({
  name: "short-answers",
  metric: "output_tokens",
  lower_is_better: true,
  value: 118.275,
  margin: 10,
  margin_default: false,
  judge: { name: "mock", version: "1", config_hash: JUDGES[2]!.config_hash },
  dataset_key: "sums-v3",
  version: 3,
  description: "Answers stay short",
  updated_at: "2025-03-04T08:00:00Z",
});

describe("regression page: baselines", () => {
  it("lists each baseline with its metric, value, margin, judge, dataset, run, version and update", async () => {
    mockFetch(pageRoutes(() => json(200, baselinePage([baseline(), TOKENS]))));
    renderApp("/regression");

    const rows = await screen.findAllByTestId("regression:baseline-row");
    expect(rows.map((row) => row.dataset.name)).toEqual(["gemma-v1", "short-answers"]);
    const [gemma, tokens] = rows as [HTMLElement, HTMLElement];
    const cells = within(gemma).getAllByRole("cell").map((cell) => cell.textContent);
    expect(cells.slice(0, 8)).toEqual(["gemma-v1", "Primary score", "0.65", "0.0325 (5%)", "exact_match v1", "duels-v1 eval", "00000000", "v1"]);
    expect(within(gemma).getByTestId("regression:baseline-run")).toHaveAttribute("href", `/runs/${BASELINE_RUN_ID}`);
    expect(within(gemma).getByRole("link", { name: "duels-v1" })).toHaveAttribute("href", "/datasets/duels-v1");
    // Lower is better, a margin set by hand, a description.
    expect(tokens).toHaveTextContent("Output tokens (lower is better)");
    expect(within(tokens).getByTestId("regression:baseline-value")).toHaveTextContent("118.3");
    expect(within(tokens).getByTestId("regression:baseline-margin")).toHaveTextContent(/^10$/);
    expect(within(tokens).getByTestId("regression:baseline-version")).toHaveTextContent("v3");
    expect(tokens).toHaveTextContent("Answers stay short");
    // The check form offers them.
    expect(screen.getByTestId("regression:check-baseline")).toHaveValue("gemma-v1");
    expect(within(screen.getByTestId("regression:check-baseline")).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "gemma-v1 (v1)",
      "short-answers (v3)",
    ]);
  });

  it("says there are none yet, and the check form waits for one", async () => {
    mockFetch(pageRoutes(() => json(200, baselinePage([]))));
    renderApp("/regression");

    expect(await screen.findByTestId("regression:baselines-empty")).toHaveTextContent("No baselines yet");
    expect(screen.getByTestId("regression:check-submit")).toBeDisabled();
    expect(screen.getByTestId("regression:check-form")).toHaveTextContent("Set a baseline first.");
  });

  it("shows a baseline's history, newest first, on demand", async () => {
    const detail = {
      ...baseline({ version: 2, margin: 0.05, margin_default: false, value: 0.7, updated_at: "2025-03-03T12:00:00Z" }),
      history: [
        baselineSetting({ version: 2, margin: 0.05, margin_default: false, value: 0.7, description: "After the fix", created_at: "2025-03-03T12:00:00Z" }),
        baselineSetting(),
      ],
    };
    const { requests } = mockFetch(
      pageRoutes(() => json(200, baselinePage([baseline({ version: 2, value: 0.7 })])), {
        [`GET ${BASELINES}/gemma-v1`]: () => json(200, detail),
      }),
    );
    const { user } = renderApp("/regression");

    const toggle = await screen.findByTestId("regression:history-toggle");
    expect(requests.some((r) => new URL(r.url).pathname === `${BASELINES}/gemma-v1`)).toBe(false);
    await user.click(toggle);
    const history = await screen.findByTestId("regression:history");
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const rows = within(history).getAllByTestId("regression:history-row");
    expect(rows.map((row) => row.dataset.version)).toEqual(["2", "1"]);
    expect(within(rows[0]!).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "v2",
      expect.any(String),
      "00000000 evaluation",
      "Primary score",
      "0.7",
      "0.05",
      "exact_match v1",
      "duels-v1 eval",
      "After the fix",
    ]);
    expect(within(rows[1]!).getAllByRole("cell")[5]).toHaveTextContent("0.0325 (5%)");
    expect(within(rows[1]!).getAllByRole("cell")[8]).toHaveTextContent("—");

    await user.click(toggle);
    expect(screen.queryByTestId("regression:history")).not.toBeInTheDocument();
  });

  it("deletes a baseline after a confirmation that says its checks stay", async () => {
    let rows = [baseline(), TOKENS];
    const { requests } = mockFetch(
      pageRoutes(() => json(200, baselinePage(rows)), {
        [`DELETE ${BASELINES}/gemma-v1`]: () => {
          rows = [TOKENS];
          return new Response(null, { status: 204 });
        },
      }),
    );
    const { user } = renderApp("/regression");

    const [gemma] = await screen.findAllByTestId("regression:baseline-row");
    await user.click(within(gemma!).getByTestId("regression:delete"));
    expect(screen.getByRole("group", { name: "Confirm deleting gemma-v1" })).toHaveTextContent(
      "Delete gemma-v1 and its history? The checks made against it stay.",
    );
    await user.click(screen.getByTestId("regression:delete-cancel"));
    expect(screen.queryByTestId("regression:delete-confirm")).not.toBeInTheDocument();
    expect(requests.filter((r) => r.method === "DELETE")).toHaveLength(0);

    await user.click(within(gemma!).getByTestId("regression:delete"));
    await user.click(screen.getByTestId("regression:delete-confirm"));
    await waitFor(() => expect(screen.getAllByTestId("regression:baseline-row").map((r) => r.dataset.name)).toEqual(["short-answers"]));
    expect(requests.filter((r) => r.method === "DELETE")).toHaveLength(1);
  });

  it("shows why a delete failed", async () => {
    mockFetch(
      pageRoutes(() => json(200, baselinePage([baseline()])), {
        [`DELETE ${BASELINES}/gemma-v1`]: () => apiError(404, "BaselineNotFound", "no baseline named 'gemma-v1'"),
      }),
    );
    const { user } = renderApp("/regression");

    await user.click(await screen.findByTestId("regression:delete"));
    await user.click(screen.getByTestId("regression:delete-confirm"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Not deleted: BaselineNotFound (HTTP 404) — no baseline named 'gemma-v1'");
  });
});

describe("regression page: set a baseline", () => {
  it("sends the form (empty optional inputs left to the server) and says what was pinned", async () => {
    let rows: unknown[] = [];
    const created = baseline({ name: "gemma-v2", run_id: RUN_ID, margin: 0.1, margin_default: false, description: "Release 2" });
    const { requests } = mockFetch(
      pageRoutes(() => json(200, baselinePage(rows)), {
        [`POST ${BASELINES}`]: () => {
          rows = [created];
          return json(201, created);
        },
      }),
    );
    const { user } = renderApp(`/regression?run=${RUN_ID}`);

    // The run from the URL is filled in, in both forms.
    expect(screen.getByTestId("regression:baseline-run-id")).toHaveValue(RUN_ID);
    expect(screen.getByTestId("regression:check-run-id")).toHaveValue(RUN_ID);
    await user.type(screen.getByTestId("regression:baseline-name"), "gemma-v2");
    await user.type(screen.getByTestId("regression:baseline-margin"), "0.1");
    await waitFor(() => expect(screen.getAllByRole("option", { name: /exact_match v1/ })).toHaveLength(1));
    await user.selectOptions(screen.getByTestId("regression:baseline-judge"), "exact_match");
    await user.type(screen.getByTestId("regression:baseline-description"), "Release 2");
    await user.click(screen.getByTestId("regression:baseline-submit"));

    expect(await screen.findByTestId("regression:baseline-saved")).toHaveTextContent(
      "Baseline gemma-v2 created: Primary score 0.65, margin 0.1.",
    );
    const [post] = posts(requests, BASELINES);
    expect(await post!.json()).toEqual({
      name: "gemma-v2",
      run_id: RUN_ID,
      metric: "primary_score",
      margin: 0.1,
      judge: "exact_match",
      description: "Release 2",
    });
    // The list shows it.
    await waitFor(() => expect(screen.getAllByTestId("regression:baseline-row").map((r) => r.dataset.name)).toEqual(["gemma-v2"]));
  });

  it("leaves out the margin and judge when not given, and says when a name is set again", async () => {
    const again = baseline({ version: 4, metric: "format_rate", value: 0.95, margin: 0.0475 });
    const { requests } = mockFetch(pageRoutes(() => json(200, baselinePage([baseline()])), { [`POST ${BASELINES}`]: () => json(200, again) }));
    const { user } = renderApp("/regression");

    await user.type(screen.getByTestId("regression:baseline-name"), "gemma-v1");
    await user.type(screen.getByTestId("regression:baseline-run-id"), ` ${RUN_ID} `);
    await user.selectOptions(screen.getByTestId("regression:baseline-metric"), "format_rate");
    expect(screen.getByTestId("regression:baseline-form")).toHaveTextContent("0–1, answers in the expected format");
    await user.click(screen.getByTestId("regression:baseline-submit"));

    expect(await screen.findByTestId("regression:baseline-saved")).toHaveTextContent(
      "Baseline gemma-v1 set again (version 4): Format rate 0.95, margin 0.0475 (5% of the value).",
    );
    expect(await posts(requests, BASELINES)[0]!.json()).toEqual({ name: "gemma-v1", run_id: RUN_ID, metric: "format_rate" });
  });

  it("shows a 422's field errors at their inputs", async () => {
    mockFetch(
      pageRoutes(() => json(200, baselinePage([])), {
        [`POST ${BASELINES}`]: () =>
          apiError(422, "ValidationError", [
            { loc: ["body", "name"], msg: "String should match pattern '^[A-Za-z0-9][A-Za-z0-9._-]*$'", type: "string_pattern_mismatch" },
            { loc: ["body", "margin"], msg: "Input should be greater than 0", type: "greater_than" },
          ]),
      }),
    );
    const { user } = renderApp("/regression");

    await user.type(screen.getByTestId("regression:baseline-name"), "no spaces");
    await user.type(screen.getByTestId("regression:baseline-run-id"), RUN_ID);
    await user.type(screen.getByTestId("regression:baseline-margin"), "-1");
    await user.click(screen.getByTestId("regression:baseline-submit"));

    const errors = await screen.findAllByTestId("regression:baseline-field-error");
    expect(errors.map((e) => [e.dataset.field, e.textContent])).toEqual([
      ["name", "String should match pattern '^[A-Za-z0-9][A-Za-z0-9._-]*$'"],
      ["margin", "Input should be greater than 0"],
    ]);
    expect(screen.getByTestId("regression:baseline-name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("regression:baseline-margin")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("regression:baseline-run-id")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByTestId("sys:error")).toHaveTextContent("Not set: 2 field errors, shown at the fields.");
    expect(screen.queryByTestId("regression:baseline-saved")).not.toBeInTheDocument();
  });

  it.each([
    [404, "RunNotFound", `no run ${RUN_ID}`],
    [409, "NoCompletedEvaluation", `run ${RUN_ID} has no completed evaluation (evaluate it first: POST /api/tunix/runs/${RUN_ID}/evaluate)`],
  ])("shows a %i's detail", async (status, error, detail) => {
    mockFetch(pageRoutes(() => json(200, baselinePage([])), { [`POST ${BASELINES}`]: () => apiError(status, error, detail) }));
    const { user } = renderApp("/regression");

    await user.type(screen.getByTestId("regression:baseline-name"), "gemma-v1");
    await user.type(screen.getByTestId("regression:baseline-run-id"), RUN_ID);
    await user.click(screen.getByTestId("regression:baseline-submit"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(`Not set: ${error} (HTTP ${status}) — ${detail}`);
  });
});

describe("regression page: from a run", () => {
  it("is linked from a run's completed evaluation, with the run filled in", async () => {
    mockFetch({
      ...runPageRoutes(),
      [`GET /api/tunix/runs/${RUN_ID}`]: () => json(200, runDetail({ mode: "local" })),
      [`GET /api/tunix/runs/${RUN_ID}/evaluation`]: () => json(200, evaluationDetail()),
      [`GET /api/evaluations/${EVALUATION_ID}/items`]: () => json(200, itemPage([])),
      ...pageRoutes(() => json(200, baselinePage([baseline()]))),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await user.click(await screen.findByTestId("eval:regression-link"));
    expect(await screen.findByTestId("regression:page")).toBeInTheDocument();
    expect(screen.getByTestId("regression:baseline-run-id")).toHaveValue(RUN_ID);
    expect(screen.getByTestId("regression:check-run-id")).toHaveValue(RUN_ID);
    expect(screen.getByTestId("sys:nav-regression")).toHaveAttribute("aria-current", "page");
  });
});
