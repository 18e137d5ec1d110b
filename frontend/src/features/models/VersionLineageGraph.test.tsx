import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { EVALUATION_ID } from "../../test/evaluations";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import {
  aliasEvent,
  DATASET_SHA,
  historyPage,
  lineageVersion,
  model,
  MODEL_ID,
  SAMPLE_TRACE_IDS,
  V1_ID,
  V2_ID,
  version,
  version1,
  versionLineage,
  versionPage,
} from "../../test/models";
import { CHECK_ID } from "../../test/regression";
import { renderApp } from "../../test/render";
import { RUN_ID } from "../../test/runs";

const MODEL = `/api/models/${MODEL_ID}`;

function pageRoutes(lineage: Record<string, RouteHandler>): Record<string, RouteHandler> {
  return {
    [`GET ${MODEL}`]: () => json(200, model()),
    [`GET ${MODEL}/versions`]: () => json(200, versionPage([version(), version1()])),
    "GET /api/models/:id/aliases/:alias/history": () => json(200, historyPage([aliasEvent(1, "set", null, "v2")])),
    ...lineage,
  };
}

/** Opens the lineage of the version `label` from its row; returns the graph. */
async function openLineage(user: ReturnType<typeof renderApp>["user"], label: string): Promise<HTMLElement> {
  const rows = await screen.findAllByTestId("models:version-row");
  const row = rows.find((r) => r.dataset.version === label)!;
  await user.click(within(row).getByTestId("models:version-lineage-toggle"));
  return screen.findByTestId("models:lineage");
}

function node(graph: HTMLElement, name: string): HTMLElement {
  return within(graph).getByTestId(`models:lineage-${name}`);
}

describe("model page: a version's lineage", () => {
  it("draws traces -> dataset -> run -> evaluations and checks -> version -> aliases, each linked to its page", async () => {
    const { requests } = mockFetch(pageRoutes({ [`GET /api/models/versions/${V2_ID}/lineage`]: () => json(200, versionLineage()) }));
    const { user } = renderApp(`/models/${MODEL_ID}`);

    const graph = await openLineage(user, "v2");
    expect(within(graph).getByRole("list", { name: /^Lineage of duel-reasoner v2/ })).toBeInTheDocument();
    expect(requests.filter((r) => new URL(r.url).pathname.endsWith("/lineage"))).toHaveLength(1);

    const traces = node(graph, "traces");
    expect(within(traces).getByTestId("models:lineage-trace-count")).toHaveTextContent("30");
    expect(within(traces).getByTestId("models:lineage-trace-split")).toHaveTextContent("train 27 · eval 3");
    expect(within(traces).getAllByTestId("models:lineage-trace-link").map((a) => a.getAttribute("href"))).toEqual(
      SAMPLE_TRACE_IDS.slice(0, 3).map((id) => `/traces/${id}`),
    );
    expect(traces).toHaveTextContent("+27 more");

    const dataset = node(graph, "dataset");
    expect(within(dataset).getByTestId("models:lineage-dataset-link")).toHaveAttribute("href", "/datasets/duels-v1");
    expect(dataset).toHaveTextContent(`sha256 ${DATASET_SHA.slice(0, 12)}`);
    expect(within(dataset).queryByTestId("models:lineage-dataset-flag")).not.toBeInTheDocument();

    const run = node(graph, "run");
    expect(within(run).getByTestId("models:lineage-run-link")).toHaveAttribute("href", `/runs/${RUN_ID}`);
    expect(within(run).getByTestId("models:lineage-run-status")).toHaveTextContent("completed");
    expect(run).toHaveTextContent("tunix-rt/tiny-gemma3");
    expect(run).toHaveTextContent("30 steps · lr 0.005 · batch 8");

    const [real, mock] = within(node(graph, "evaluations")).getAllByTestId("models:lineage-evaluation") as [HTMLElement, HTMLElement];
    expect(within(real).getByRole("link", { name: "70.0%" })).toHaveAttribute("href", `/evaluations/${EVALUATION_ID}`);
    expect(real).toHaveTextContent("70.0% exact_match eval");
    expect(real).not.toHaveTextContent("mock");
    expect(mock).toHaveAttribute("data-mock", "true");
    expect(mock).toHaveTextContent("100.0% mock eval mock");

    const [check] = within(node(graph, "checks")).getAllByTestId("models:lineage-check") as [HTMLElement];
    expect(within(check).getByRole("link", { name: "gemma-v1" })).toHaveAttribute("href", `/regression?check=${CHECK_ID}`);
    expect(within(check).getByText("pass")).toHaveAttribute("data-verdict", "pass");

    expect(within(node(graph, "version")).getByTestId("models:lineage-version-link")).toHaveAttribute("href", `/models/${MODEL_ID}`);
    expect(node(graph, "version")).toHaveTextContent("duel-reasoner v2");
    const [chip] = within(node(graph, "aliases")).getAllByTestId("models:alias-chip");
    expect(chip).toHaveAttribute("data-alias", "staging");
    expect(chip).toHaveAttribute("data-protected", "false");
  });

  it("flags a dataset rebuilt since the run trained on it, and marks a protected alias", async () => {
    mockFetch(
      pageRoutes({
        [`GET /api/models/versions/${V1_ID}/lineage`]: () =>
          json(
            200,
            versionLineage({
              dataset: { ...versionLineage().dataset, sha256_now: "f".repeat(64) },
              version: lineageVersion({ id: V1_ID, version: "v1", aliases: ["prod"] }),
            }),
          ),
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    const graph = await openLineage(user, "v1");
    const flag = within(node(graph, "dataset")).getByTestId("models:lineage-dataset-flag");
    expect(flag).toHaveTextContent("changed since");
    expect(flag).toHaveAttribute("data-drift", "changed");
    expect(node(graph, "dataset")).toHaveTextContent("now ffffffffffff");
    // Still linked: the key names the dataset as it is now.
    expect(within(node(graph, "dataset")).getByTestId("models:lineage-dataset-link")).toHaveAttribute("href", "/datasets/duels-v1");
    expect(node(graph, "traces")).toHaveTextContent("as the dataset is now");
    const chip = within(node(graph, "aliases")).getByTestId("models:alias-chip");
    expect(chip).toHaveAttribute("data-protected", "true");
    expect(chip).toHaveTextContent("protected");
  });

  it("says what is gone: a deleted dataset (not linked) and a deleted run; none of either kind of check", async () => {
    mockFetch(
      pageRoutes({
        [`GET /api/models/versions/${V2_ID}/lineage`]: () =>
          json(
            200,
            versionLineage({
              dataset: { key: "duels-v1", sha256: DATASET_SHA, sha256_now: null, traces: null },
              run: null,
              evaluations: [],
              checks: [],
            }),
          ),
      }),
    );
    const { user } = renderApp(`/models/${MODEL_ID}`);

    const graph = await openLineage(user, "v2");
    expect(within(node(graph, "dataset")).getByTestId("models:lineage-dataset-flag")).toHaveTextContent("deleted");
    expect(within(node(graph, "dataset")).queryByRole("link")).not.toBeInTheDocument();
    expect(node(graph, "traces")).toHaveTextContent("Unknown: the dataset was deleted.");
    expect(node(graph, "run")).toHaveTextContent("Deleted.");
    expect(node(graph, "evaluations")).toHaveTextContent("None.");
    expect(node(graph, "checks")).toHaveTextContent("None.");
  });

  it("switches between provenance and lineage under one row, and shows a lineage's load error", async () => {
    mockFetch(pageRoutes({ "GET /api/models/versions/:id/lineage": () => apiError(404, "VersionNotFound", `no version ${V2_ID}`) }));
    const { user } = renderApp(`/models/${MODEL_ID}`);

    const [v2] = await screen.findAllByTestId("models:version-row");
    await user.click(within(v2!).getByTestId("models:version-toggle"));
    expect(screen.getByTestId("models:provenance")).toBeInTheDocument();
    await user.click(within(v2!).getByTestId("models:version-lineage-toggle"));
    expect(screen.queryByTestId("models:provenance")).not.toBeInTheDocument();
    expect(within(v2!).getByTestId("models:version-lineage-toggle")).toHaveAttribute("aria-expanded", "true");
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the lineage: VersionNotFound (HTTP 404)");
    await user.click(within(v2!).getByTestId("models:version-lineage-toggle"));
    await waitFor(() => expect(screen.queryByTestId("sys:error")).not.toBeInTheDocument());
  });
});
