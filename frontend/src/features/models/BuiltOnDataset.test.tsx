import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { manifest } from "../../test/datasets";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { datasetLineage, MODEL_ID, V1_RUN_ID } from "../../test/models";
import { renderApp } from "../../test/render";
import { RUN_ID } from "../../test/runs";

function routes(lineage: RouteHandler): Record<string, RouteHandler> {
  return { "GET /api/datasets/:key": () => json(200, manifest()), "GET /api/datasets/:key/lineage": lineage };
}

describe("dataset page: built on this dataset", () => {
  it("lists its training runs, linked, with their status, and the model versions promoted from each", async () => {
    const { requests } = mockFetch(routes(() => json(200, datasetLineage())));
    renderApp("/datasets/duels-v1");

    const card = await screen.findByTestId("models:built-on");
    expect(within(card).getByRole("heading", { name: "Built on this dataset" })).toBeInTheDocument();
    const runs = await within(card).findAllByTestId("models:built-on-run");
    expect(runs.map((run) => run.dataset.runId)).toEqual([RUN_ID, V1_RUN_ID]);
    const [trained, failed] = runs as [HTMLElement, HTMLElement];

    expect(within(trained).getByTestId("models:built-on-run-link")).toHaveAttribute("href", `/runs/${RUN_ID}`);
    expect(within(trained).getByTestId("models:built-on-run-status")).toHaveTextContent("completed");
    const promoted = within(trained).getByTestId("models:built-on-version");
    expect(within(promoted).getByTestId("models:built-on-version-link")).toHaveAttribute("href", `/models/${MODEL_ID}`);
    expect(promoted).toHaveTextContent("duel-reasoner v2");
    expect(within(promoted).getByTestId("models:alias-chip")).toHaveAttribute("data-alias", "staging");

    expect(within(failed).getByTestId("models:built-on-run-status")).toHaveTextContent("failed");
    expect(failed).toHaveTextContent("Not registered as a model.");
    expect(within(card).queryByTestId("models:built-on-truncated")).not.toBeInTheDocument();
    expect(requests.some((r) => new URL(r.url).pathname === "/api/datasets/duels-v1/lineage")).toBe(true);
  });

  it("says when nothing was trained on it, and when it lists only the newest runs", async () => {
    mockFetch(routes(() => json(200, datasetLineage({ runs: [] }))));
    const view = renderApp("/datasets/duels-v1");
    expect(await screen.findByTestId("models:built-on-empty")).toHaveTextContent("No training runs on it yet.");
    view.unmount();

    mockFetch(routes(() => json(200, datasetLineage({ runs_truncated: true }))));
    renderApp("/datasets/duels-v1");
    expect(await screen.findByTestId("models:built-on-truncated")).toHaveTextContent("The newest 2 runs; it has more.");
  });

  it("shows its load error from {error, detail}, below the manifest", async () => {
    mockFetch(routes(() => apiError(503, "Unavailable", "database is busy")));
    renderApp("/datasets/duels-v1");

    expect(await within(await screen.findByTestId("models:built-on")).findByTestId("sys:error")).toHaveTextContent(
      "Could not load what was built on it: Unavailable (HTTP 503) — database is busy",
    );
    expect(screen.getByTestId("dataset:detail")).toBeInTheDocument();
  });
});
