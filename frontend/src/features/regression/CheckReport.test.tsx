import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { EVALUATION_ID, JUDGES } from "../../test/evaluations";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import {
  baseline,
  baselinePage,
  BASELINE_EVALUATION_ID,
  BASELINE_RUN_ID,
  CHECK_ID,
  checkPage,
  checkSummary,
  failReport,
  inconclusiveReport,
} from "../../test/regression";
import { renderApp } from "../../test/render";
import { RUN_ID } from "../../test/runs";

const CHECK = "/api/regression/check";

function pageRoutes(routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    "GET /api/regression/baselines": () => json(200, baselinePage([baseline(), baseline({ name: "gemma-v0" })])),
    "GET /api/judges": () => json(200, JUDGES),
    "GET /api/regression/checks": () => json(200, checkPage([])),
    ...routes,
  };
}

function numberAttr(element: Element, name: string): number {
  return Number(element.getAttribute(name));
}

describe("regression page: check a run", () => {
  it("checks a run and shows a fail: verdict and why, the numbers, the interval drawn past the margin, the flipped items", async () => {
    let checked = false;
    const { requests } = mockFetch(
      pageRoutes({
        [`POST ${CHECK}`]: () => {
          checked = true;
          return json(200, failReport());
        },
        "GET /api/regression/checks": () => json(200, checkPage(checked ? [checkSummary(1, { id: CHECK_ID })] : [])),
      }),
    );
    const { user } = renderApp("/regression");

    await waitFor(() => expect(screen.getByTestId("regression:check-baseline")).toHaveValue("gemma-v1"));
    await user.selectOptions(screen.getByTestId("regression:check-baseline"), "gemma-v0");
    await user.selectOptions(screen.getByTestId("regression:check-baseline"), "gemma-v1");
    await user.type(screen.getByTestId("regression:check-run-id"), RUN_ID);
    await user.click(screen.getByTestId("regression:check-submit"));

    const report = await screen.findByTestId("regression:report");
    const post = requests.find((r) => r.method === "POST" && new URL(r.url).pathname === CHECK)!;
    expect(await post.json()).toEqual({ baseline_name: "gemma-v1", run_id: RUN_ID });
    // The report is the POST's answer: not asked for again.
    expect(requests.some((r) => new URL(r.url).pathname === `/api/regression/checks/${CHECK_ID}`)).toBe(false);

    expect(report).toHaveAttribute("data-verdict", "fail");
    expect(within(report).getByRole("heading", { level: 2 })).toHaveTextContent("Run 00000000 against gemma-v1 v2");
    expect(screen.getByTestId("regression:verdict")).toHaveTextContent("fail");
    expect(screen.getByTestId("regression:reasons")).toHaveTextContent(
      "significantly worse (p = 0.0391 < 0.05) and the 95% interval of the change [-0.3137, -0.02852] reaches past the margin -0.0325",
    );
    expect(screen.getByTestId("regression:metric")).toHaveTextContent("Primary score (higher is better)");
    expect(screen.getByTestId("regression:report-baseline")).toHaveTextContent("0.65 run 00000000 · evaluation 00000000");
    expect(within(screen.getByTestId("regression:report-baseline")).getByRole("link", { name: "00000000" })).toHaveAttribute(
      "href",
      `/runs/${BASELINE_RUN_ID}`,
    );
    expect(screen.getByTestId("regression:baseline-evaluation")).toHaveAttribute("href", `/evaluations/${BASELINE_EVALUATION_ID}`);
    expect(screen.getByTestId("regression:report-current")).toHaveTextContent("0.475");
    expect(screen.getByTestId("regression:current-evaluation")).toHaveAttribute("href", `/evaluations/${EVALUATION_ID}`);
    expect(screen.getByTestId("regression:delta")).toHaveTextContent("-0.175 (-26.9%)");
    expect(screen.getByTestId("regression:n")).toHaveTextContent("40 · 2 excluded");
    expect(screen.getByTestId("regression:changed")).toHaveTextContent("8 worse · 1 better");
    expect(screen.getByTestId("regression:test")).toHaveTextContent("exact McNemar test · p = 0.0391");
    expect(screen.getByTestId("regression:margin")).toHaveTextContent("-0.0325 (alpha 0.05)");
    expect(screen.getByTestId("regression:mdd")).toHaveTextContent("0.1871 (the change these 40 items detect 80% of the time)");

    // The interval of the change, drawn: the whole bar left of 0, its low end past the margin.
    expect(screen.getByTestId("regression:interval-text")).toHaveTextContent("[-0.3137, -0.02852]");
    const line = screen.getByTestId("regression:interval-line");
    expect(line).toHaveAccessibleName(
      "Change, current minus baseline; estimate -0.175; 95% interval -0.3137 to -0.02852; margin -0.0325 (a drop past it is a regression); 0 is no change",
    );
    expect([line.dataset.low, line.dataset.high, line.dataset.estimate, line.dataset.margin]).toEqual(["-0.313712", "-0.028523", "-0.175", "-0.0325"]);
    const bar = line.querySelector(".dl-interval")!;
    const barLeft = numberAttr(bar, "x");
    const barRight = barLeft + numberAttr(bar, "width");
    const zero = numberAttr(line.querySelector(".dl-zero")!, "x1");
    const margin = numberAttr(line.querySelector(".dl-margin")!, "x1");
    const dot = numberAttr(line.querySelector(".dl-estimate")!, "cx");
    expect(barLeft).toBeLessThan(margin);
    expect(barLeft).toBeLessThan(dot);
    expect(dot).toBeLessThan(barRight);
    expect(barRight).toBeLessThan(zero);
    // The shaded regression side ends at the margin.
    const zone = line.querySelector(".dl-zone")!;
    expect(numberAttr(zone, "x") + numberAttr(zone, "width")).toBeCloseTo(margin);
    expect(within(line).getByText("margin -0.0325")).toBeInTheDocument();

    // Flipped items, worse first, each with expected, was and now, and links to both evaluations.
    expect(screen.getByTestId("regression:flipped-count")).toHaveTextContent("8 worse, 1 better");
    const items = screen.getAllByTestId("regression:flipped-item");
    expect(items.map((item) => item.dataset.direction)).toEqual([...Array(8).fill("worse"), "better"]);
    const first = items[0]!;
    expect(within(first).getAllByRole("cell")[0]).toHaveTextContent("3");
    expect(within(first).getByTestId("regression:flipped-expected")).toHaveTextContent("Player 1");
    expect(within(first).getByTestId("regression:flipped-was")).toHaveTextContent("Player 1");
    expect(within(first).getByTestId("regression:flipped-now")).toHaveTextContent("Player 2");
    expect(within(first).getByTestId("regression:flipped-trace")).toHaveAttribute("href", "/traces/00000000-0000-4000-8000-000000000003");
    expect(within(first).getByTestId("regression:flipped-current")).toHaveAttribute("href", `/evaluations/${EVALUATION_ID}`);
    expect(within(first).getByTestId("regression:flipped-baseline")).toHaveAttribute("href", `/evaluations/${BASELINE_EVALUATION_ID}`);
    // An untraced item that answered nothing parseable.
    expect(within(items[1]!).queryByTestId("regression:flipped-trace")).not.toBeInTheDocument();
    expect(within(items[1]!).getByTestId("regression:flipped-now")).toHaveTextContent("—");
    expect(items[8]).toHaveTextContent("▲ better");

    // The history gains it, marked as the one shown.
    const row = await screen.findByTestId("regression:check-row");
    expect(within(row).getByTestId("regression:check-open")).toHaveTextContent("Shown");
  });

  it("shows an inconclusive check with its reasons, and no interval or flipped items", async () => {
    mockFetch(pageRoutes({ [`POST ${CHECK}`]: () => json(200, inconclusiveReport()) }));
    const { user } = renderApp("/regression");

    await waitFor(() => expect(screen.getByTestId("regression:check-baseline")).toHaveValue("gemma-v1"));
    await user.type(screen.getByTestId("regression:check-run-id"), RUN_ID);
    await user.click(screen.getByTestId("regression:check-submit"));

    expect(await screen.findByTestId("regression:verdict")).toHaveTextContent("inconclusive");
    expect(screen.getByTestId("regression:reasons")).toHaveTextContent(
      "the judges differ: exact_match 1 (config e2b766d0e46e) and mock 1 (config ab02ca921797)",
    );
    expect(screen.getByTestId("regression:not-comparable")).toBeInTheDocument();
    expect(screen.getByTestId("regression:no-interval")).toHaveTextContent("No interval: the evaluations are not comparable.");
    expect(screen.queryByTestId("regression:interval-line")).not.toBeInTheDocument();
    expect(screen.queryByTestId("regression:flipped")).not.toBeInTheDocument();
    expect(screen.getByTestId("regression:changed")).toHaveTextContent("—");
    expect(screen.getByTestId("regression:test")).toHaveTextContent(/^none$/);
    expect(screen.getByTestId("regression:mdd")).toHaveTextContent("—");
  });

  it("draws the margin above 0 when lower is better, and names the bootstrap's resamples and seed", async () => {
    const report = failReport({
      verdict: "pass",
      metric_name: "output_tokens",
      lower_is_better: true,
      baseline_value: 118.3,
      current_value: 112.1,
      delta: -6.2,
      delta_percent: -5.24,
      margin: 5,
      test: "paired_bootstrap",
      resamples: 10_000,
      seed: 20_261_130,
      interval: { low: -9.1, high: -3.3, level: 0.95 },
      details: { paired_difference: -6.2 },
      b: 4,
      c: 30,
      flipped: [],
      reasons: ["the 95% interval of the change [+3.3, +9.1] stays above the margin -5"],
    });
    mockFetch(pageRoutes({ [`GET /api/regression/checks/${CHECK_ID}`]: () => json(200, report) }));
    renderApp(`/regression?check=${CHECK_ID}`);

    expect(await screen.findByTestId("regression:verdict")).toHaveTextContent("pass");
    expect(screen.getByTestId("regression:test")).toHaveTextContent("paired bootstrap (10,000 resamples, seed 20261130)");
    expect(screen.getByTestId("regression:margin")).toHaveTextContent("+5");
    const line = screen.getByTestId("regression:interval-line");
    expect(line).toHaveAccessibleName(
      "Change, current minus baseline; estimate -6.2; 95% interval -9.1 to -3.3; margin +5 (a rise past it is a regression); 0 is no change",
    );
    const margin = numberAttr(line.querySelector(".dl-margin")!, "x1");
    const zero = numberAttr(line.querySelector(".dl-zero")!, "x1");
    const zone = line.querySelector(".dl-zone")!;
    expect(margin).toBeGreaterThan(zero);
    expect(numberAttr(zone, "x")).toBeCloseTo(margin);
    expect(screen.getByTestId("regression:flipped-count")).toHaveTextContent("none: every paired item scored the same");
  });

  it.each([
    [404, "RunNotFound", `no run ${RUN_ID}`],
    [409, "NoCompletedEvaluation", `run ${RUN_ID} has no completed evaluation by judge exact_match, the baseline's`],
  ])("shows a %i's detail", async (status, error, detail) => {
    mockFetch(pageRoutes({ [`POST ${CHECK}`]: () => apiError(status, error, detail) }));
    const { user } = renderApp("/regression");

    await waitFor(() => expect(screen.getByTestId("regression:check-baseline")).toHaveValue("gemma-v1"));
    await user.type(screen.getByTestId("regression:check-run-id"), RUN_ID);
    await user.click(screen.getByTestId("regression:check-submit"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(`Not checked: ${error} (HTTP ${status}) — ${detail}`);
    expect(screen.queryByTestId("regression:report")).not.toBeInTheDocument();
  });

  it("shows a 422 at the run id, and sends the evaluation id when given", async () => {
    const { requests } = mockFetch(
      pageRoutes({
        [`POST ${CHECK}`]: () =>
          apiError(422, "ValidationError", [{ loc: ["body", "run_id"], msg: "Input should be a valid UUID", type: "uuid_parsing" }]),
      }),
    );
    const { user } = renderApp("/regression");

    await waitFor(() => expect(screen.getByTestId("regression:check-baseline")).toHaveValue("gemma-v1"));
    await user.type(screen.getByTestId("regression:check-run-id"), "not-a-run");
    await user.type(screen.getByTestId("regression:check-evaluation-id"), EVALUATION_ID);
    await user.click(screen.getByTestId("regression:check-submit"));

    const error = await screen.findByTestId("regression:check-field-error");
    expect(error).toHaveTextContent("Input should be a valid UUID");
    expect(error).toHaveAttribute("data-field", "run_id");
    expect(screen.getByTestId("regression:check-run-id")).toHaveAttribute("aria-invalid", "true");
    const post = requests.find((r) => r.method === "POST")!;
    expect(await post.json()).toEqual({ baseline_name: "gemma-v1", run_id: "not-a-run", evaluation_id: EVALUATION_ID });
  });
});
