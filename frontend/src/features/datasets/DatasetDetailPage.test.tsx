import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { setToken } from "../../api/token";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { datasetPage, datasetsPageRoutes, manifest, membersRoute, SAMPLE, SHA, TEMPLATE_SHA } from "../../test/datasets";
import { datasetLineage } from "../../test/models";
import { renderApp } from "../../test/render";

/** jsdom has no object URLs: stub them for one test. */
function stubObjectUrls() {
  const createObjectURL = vi.fn<(blob: Blob) => string>(() => "blob:export");
  Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
  onTestFinished(() => {
    Reflect.deleteProperty(URL, "createObjectURL");
    Reflect.deleteProperty(URL, "revokeObjectURL");
  });
  return createObjectURL;
}

const detailRoute = {
  "GET /api/datasets/:key": () => json(200, manifest()),
  // Nothing built on it yet (the card has tests of its own: BuiltOnDataset.test.tsx).
  "GET /api/datasets/:key/lineage": () => json(200, datasetLineage({ runs: [] })),
  // Its traces (the table has tests of its own: DatasetMembers.test.tsx).
  "GET /api/datasets/:key/traces": membersRoute(),
};

describe("dataset detail", () => {
  it("shows the manifest: split, hash, build parameters, stats, sources and the template sample", async () => {
    mockFetch(detailRoute);
    renderApp("/datasets/duels-v1");

    const detail = await screen.findByTestId("dataset:detail");
    expect(screen.getByTestId("dataset:key")).toHaveTextContent("duels-v1");
    expect(detail).toHaveTextContent("version 1 of duels");
    expect(screen.getByTestId("dataset:description")).toHaveTextContent("Duels, version 1");
    expect(screen.getByTestId("dataset:trace-count")).toHaveTextContent("30");
    expect(screen.getByTestId("dataset:split-train")).toHaveTextContent("27");
    expect(screen.getByTestId("dataset:split-eval")).toHaveTextContent("3");
    expect(detail).toHaveTextContent("(10% held out)");
    expect(screen.getByTestId("dataset:sha256")).toHaveTextContent(SHA);

    const build = screen.getByTestId("dataset:build-params");
    expect(build).toHaveTextContent("strategylatest");
    expect(build).toHaveTextContent("filters.sourceungar");
    expect(build).toHaveTextContent("filters.min_score—");

    const prompts = screen.getByTestId("dataset:stat-prompt_chars");
    expect(within(prompts).getAllByRole("cell").map((c) => c.textContent)).toEqual(["120", "130.5", "131.25", "140"]);
    expect(screen.getByTestId("dataset:stats")).toHaveTextContent("Steps3333");
    expect(screen.getByTestId("dataset:sources")).toHaveTextContent("ungar 28");
    expect(screen.getByTestId("dataset:sources")).toHaveTextContent("arithmetic 2");

    expect(screen.getByTestId("dataset:template-name")).toHaveTextContent("gemma-reasoning-v1");
    expect(screen.getByTestId("dataset:template-sha256")).toHaveTextContent(TEMPLATE_SHA);
    const prompt = screen.getByTestId("dataset:sample-prompt");
    expect(prompt.tagName).toBe("PRE");
    expect(prompt.textContent).toBe(SAMPLE.prompt);
    expect(screen.getByTestId("dataset:sample-completion").textContent).toBe(SAMPLE.completion);
  });

  it("shows stats of an unknown shape as JSON, and says when there is no sample", async () => {
    mockFetch({
      "GET /api/datasets/:key": () =>
        json(200, manifest({ stats: { rows: 3 }, template: { name: "t", sha256: "x", sample: null } })),
    });
    renderApp("/datasets/duels-v1");

    expect(await screen.findByTestId("dataset:stats-raw")).toHaveTextContent('"rows": 3');
    expect(screen.getByText(/No sample/)).toBeInTheDocument();
  });

  it("shows the server's detail for an unknown key", async () => {
    mockFetch({ "GET /api/datasets/:key": () => apiError(404, "DatasetNotFound", "Dataset 'nope-v9' not found.") });
    renderApp("/datasets/nope-v9");

    const notFound = await screen.findByTestId("dataset:not-found");
    expect(notFound).toHaveTextContent("Dataset not found");
    expect(notFound).toHaveTextContent("Dataset 'nope-v9' not found.");
  });

  it("shows other load errors from {error, detail}", async () => {
    mockFetch({ "GET /api/datasets/:key": () => apiError(403, "Forbidden", "Token scope") });
    renderApp("/datasets/duels-v1");
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Forbidden (HTTP 403) — Token scope");
  });

  it("asks before deleting and shows the 409 when a run uses the dataset", async () => {
    const { pathsCalled } = mockFetch({
      ...detailRoute,
      "DELETE /api/datasets/:key": () => apiError(409, "DatasetInUse", "Dataset 'duels-v1' is used by 2 run(s); it is kept."),
    });
    const { user } = renderApp("/datasets/duels-v1");

    await user.click(await screen.findByTestId("dataset:delete"));
    expect(screen.getByRole("group", { name: "Confirm delete" })).toHaveTextContent("Delete duels-v1? Its traces stay.");
    expect(pathsCalled().some((p) => p.startsWith("DELETE"))).toBe(false);
    await user.click(screen.getByTestId("dataset:delete-confirm"));

    const alert = await screen.findByTestId("sys:error");
    expect(alert).toHaveTextContent("Not deleted: DatasetInUse (HTTP 409) — Dataset 'duels-v1' is used by 2 run(s); it is kept.");
    expect(screen.getByTestId("dataset:detail")).toBeInTheDocument();

    await user.click(screen.getByTestId("dataset:delete-cancel"));
    expect(screen.queryByTestId("sys:error")).not.toBeInTheDocument();
    expect(screen.getByTestId("dataset:delete")).toBeInTheDocument();
  });

  it("deletes and goes back to the refreshed list", async () => {
    let deleted = false;
    mockFetch(
      datasetsPageRoutes({
        ...detailRoute,
        "GET /api/datasets": () => json(200, datasetPage(deleted ? [2] : [1, 2], 0, null)),
        "DELETE /api/datasets/:key": () => {
          deleted = true;
          return new Response(null, { status: 204 });
        },
      }),
    );
    const { user } = renderApp("/datasets");
    expect(await screen.findAllByTestId("dataset:row")).toHaveLength(2);
    await user.click(screen.getByRole("link", { name: "duels-v1" }));

    await user.click(await screen.findByTestId("dataset:delete"));
    await user.click(screen.getByTestId("dataset:delete-confirm"));

    expect(await screen.findByTestId("dataset:build-form")).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId("dataset:row")).toHaveLength(1));
    expect(screen.queryByRole("link", { name: "duels-v1" })).not.toBeInTheDocument();
  });

  it("downloads an export through the client, with the bearer token", async () => {
    setToken("trt_secret");
    const createObjectURL = stubObjectUrls();
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    const { requests } = mockFetch({
      ...detailRoute,
      "GET /api/datasets/:key/export.jsonl": () =>
        new Response('{"a":1}\n{"a":2}\n', {
          status: 200,
          headers: { "Content-Type": "application/x-ndjson", "Content-Disposition": 'attachment; filename="duels-v1.tunix_sft.train.jsonl"' },
        }),
    });
    const { user } = renderApp("/datasets/duels-v1");

    const link = await screen.findByTestId("dataset:export-tunix_sft-train");
    expect(link).toHaveAttribute("href", "/api/datasets/duels-v1/export.jsonl?format=tunix_sft&split=train");
    expect(link).toHaveTextContent("27");
    await user.click(link);

    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    const saved = click.mock.contexts[0] as HTMLAnchorElement;
    expect(saved.download).toBe("duels-v1.tunix_sft.train.jsonl");
    expect(saved.href).toBe("blob:export");
    const blob = createObjectURL.mock.calls[0]![0];
    expect(await blob.text()).toBe('{"a":1}\n{"a":2}\n');
    const exportRequest = requests.find((r) => r.url.includes("export.jsonl"))!;
    expect(exportRequest.headers.get("Authorization")).toBe("Bearer trt_secret");
    expect(new URL(exportRequest.url).search).toBe("?format=tunix_sft&split=train");
  });

  it("shows an export's error", async () => {
    mockFetch({
      ...detailRoute,
      "GET /api/datasets/:key/export.jsonl": () => apiError(404, "DatasetNotFound", "Dataset 'duels-v1' not found."),
    });
    const { user } = renderApp("/datasets/duels-v1");

    await user.click(await screen.findByTestId("dataset:export-trace-all"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Export failed: DatasetNotFound");
  });
});
